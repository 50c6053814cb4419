package dev.vmbus.transport;

/**
 * Guest memory a device names by page frame number in GPA-direct packets (type 9): pages that stay put until the
 * host has completed the packet that names them. PFNs are in 4 KiB Hyper-V pages whatever the system page size
 * (spec netvsc-and-buffers.md section 1.4).
 *
 * <p>Where it comes from: on {@code sim} one segment shared with the simulated host, on {@code shm} the host's
 * {@code guest.mem} file (a guest physical address is a byte offset in it), on {@code uio} pages this process
 * pins whose PFNs come from {@code /proc/self/pagemap}, which only a process with {@code CAP_SYS_ADMIN} may read
 * and which a confidential VM cannot use (the host cannot read private pages). A transport without any, or one
 * that refuses, says why in {@link #unavailableReason()} and in the exception {@link #allocate} throws.
 *
 * <p>Threads: made for concurrent use (devices allocate from their own contexts). {@link #allocate} may do
 * blocking system calls on {@code uio} (mmap, mlock, a pagemap read): call it when a device starts or from a
 * worker, not per packet.
 */
public interface GuestMemory {
    /** Hyper-V's page size: the unit of every PFN in a GPA-direct range. */
    int PAGE_SIZE = 4096;

    /**
     * {@code pages} contiguous-in-this-process pages of 4 KiB for GPA-direct packets, zeroed. Return them with
     * {@link GuestPages#close()} once no packet naming them is outstanding.
     *
     * @throws GuestMemoryException when there is no guest memory here (with the reason) or not enough free
     */
    GuestPages allocate(int pages);

    /** Null when pages can be allocated; otherwise why not (no CAP_SYS_ADMIN, a confidential VM, no host memory). */
    String unavailableReason();

    /** 4 KiB pages free for {@link #allocate}, or -1 when unbounded or unknown. */
    long freePages();

    /** One line for logs and the dashboard: where the memory comes from and how much is in use. */
    String describe();

    /** Guest memory that cannot be used, for the reason given. */
    static GuestMemory unavailable(String reason) {
        return new GuestMemory() {
            @Override
            public GuestPages allocate(int pages) {
                throw new GuestMemoryException("no guest memory for GPA-direct packets: " + reason);
            }

            @Override
            public String unavailableReason() {
                return reason;
            }

            @Override
            public long freePages() {
                return 0;
            }

            @Override
            public String describe() {
                return "unavailable: " + reason;
            }
        };
    }

    /** Guest memory refused, out of pages, or a PFN outside it; the message says which. */
    final class GuestMemoryException extends RuntimeException {
        public GuestMemoryException(String message) {
            super(message);
        }

        public GuestMemoryException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
