package dev.vmbus.transport.uio;

import dev.vmbus.os.LockedMemory;
import dev.vmbus.transport.AllocatedPages;
import dev.vmbus.transport.GuestMemory;
import dev.vmbus.transport.GuestPages;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Guest memory on a real guest: pages this process locks ({@link LockedMemory}) whose PFNs come from
 * {@code /proc/self/pagemap} (64 bits per page: PFN in bits 0-54, swapped bit 62, present bit 63), as DPDK's
 * {@code rte_mem_virt2phy} reads them (spec netvsc-and-buffers.md section 4).
 *
 * <p>Refused, with the reason, where it cannot work:
 * <ul>
 *   <li>without {@code CAP_SYS_ADMIN} (effectively: not root): since Linux 4.2 the kernel reports every PFN as 0
 *       to such a reader (Documentation/admin-guide/mm/pagemap.rst);</li>
 *   <li>on a confidential VM (SEV-SNP, TDX): the host cannot read the guest's private pages, and userspace cannot
 *       make pages shared; such a guest uses only the channel's receive and send buffers.</li>
 * </ul>
 * A system page larger than 4 KiB is split into its Hyper-V pages: PFN {@code sysPfn * (pageSize / 4096) + k}.
 *
 * <p>Threads: made for concurrent use. {@link #allocate} makes blocking system calls (mmap, mlock, a pagemap
 * read): call it at start-up or from a worker.
 */
public final class PinnedGuestMemory implements GuestMemory {
    /** {@code CAP_SYS_ADMIN}'s bit in {@code CapEff}. */
    static final int CAP_SYS_ADMIN = 21;
    private static final long PFN_MASK = (1L << 55) - 1;
    private static final long SWAPPED = 1L << 62;
    private static final long PRESENT = 1L << 63;

    private final Path procRoot;
    private final int pageSize;
    private final String confidential;
    private final AtomicLong inUse = new AtomicLong();

    /**
     * @param procRoot     {@code /proc} (a fixture tree in tests)
     * @param pageSize     the kernel's page size (the unit of pagemap entries)
     * @param confidential why this is a confidential VM, or null when it is not
     */
    public PinnedGuestMemory(Path procRoot, int pageSize, String confidential) {
        if (pageSize < PAGE_SIZE || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size must be a power of two >= 4096, got " + pageSize);
        }
        this.procRoot = procRoot;
        this.pageSize = pageSize;
        this.confidential = confidential;
    }

    @Override
    public String unavailableReason() {
        if (confidential != null) {
            return "this is a confidential VM (" + confidential + "): the host cannot read its private pages and"
                    + " userspace cannot share them, so GPA-direct packets are refused; use the channel's receive"
                    + " and send buffers";
        }
        Path status = procRoot.resolve("self/status");
        try {
            if (!hasCapSysAdmin(status)) {
                return "reading PFNs from " + procRoot.resolve("self/pagemap") + " needs CAP_SYS_ADMIN (run the"
                        + " agent as root); without it the kernel reports every PFN as 0";
            }
        } catch (IOException e) {
            return "cannot tell whether this process has CAP_SYS_ADMIN: " + e.getMessage();
        }
        return null;
    }

    /** Whether {@code CapEff} in a {@code /proc/<pid>/status} file has {@code CAP_SYS_ADMIN}. */
    static boolean hasCapSysAdmin(Path status) throws IOException {
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("CapEff:")) {
                String hex = line.substring("CapEff:".length()).trim();
                try {
                    return (Long.parseUnsignedLong(hex, 16) & (1L << CAP_SYS_ADMIN)) != 0;
                } catch (NumberFormatException e) {
                    throw new IOException(status + ": CapEff is not hexadecimal: '" + hex + "'");
                }
            }
        }
        throw new IOException(status + " has no CapEff line");
    }

    @Override
    public GuestPages allocate(int pages) {
        if (pages <= 0) {
            throw new IllegalArgumentException("allocate at least one page, not " + pages);
        }
        String refused = unavailableReason();
        if (refused != null) {
            throw new GuestMemoryException("no guest memory for GPA-direct packets: " + refused);
        }
        long bytes = (long) pages * PAGE_SIZE;
        long mapped = (bytes + pageSize - 1) / pageSize * pageSize;
        Arena arena = Arena.ofShared();
        try {
            MemorySegment memory = LockedMemory.allocate(mapped, arena);
            long[] pfns = hyperVPfns(procRoot.resolve("self/pagemap"), memory.address(), pages, pageSize);
            inUse.addAndGet(pages);
            return new Pages(memory.asSlice(0, bytes), pfns, arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e instanceof GuestMemoryException g ? g
                    : new GuestMemoryException("cannot pin " + pages + " pages of guest memory: " + e.getMessage(), e);
        }
    }

    /**
     * The PFNs (in 4 KiB Hyper-V pages) of {@code hvPages} pages starting at virtual address {@code address}
     * (system-page aligned), from a pagemap file. Every covering system page must be present and not swapped, and
     * its PFN non-zero (0 is what a reader without CAP_SYS_ADMIN sees).
     */
    static long[] hyperVPfns(Path pagemap, long address, int hvPages, int pageSize) throws IOException {
        if (address % pageSize != 0) {
            throw new IllegalArgumentException("address 0x" + Long.toHexString(address) + " is not page-aligned");
        }
        int perPage = pageSize / PAGE_SIZE;
        int systemPages = (hvPages + perPage - 1) / perPage;
        ByteBuffer entries = ByteBuffer.allocate(systemPages * 8).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(pagemap, StandardOpenOption.READ)) {
            long at = address / pageSize * 8;
            while (entries.hasRemaining()) {
                if (ch.read(entries, at + entries.position()) < 0) {
                    throw new IOException(pagemap + " ends before the entry of 0x" + Long.toHexString(address));
                }
            }
        }
        entries.flip();
        long[] out = new long[hvPages];
        for (int i = 0; i < systemPages; i++) {
            long entry = entries.getLong();
            long va = address + (long) i * pageSize;
            if ((entry & PRESENT) == 0 || (entry & SWAPPED) != 0) {
                throw new GuestMemoryException("the locked page at 0x" + Long.toHexString(va) + " is "
                        + ((entry & SWAPPED) != 0 ? "swapped out" : "not present") + " in " + pagemap);
            }
            long pfn = entry & PFN_MASK;
            if (pfn == 0) {
                throw new GuestMemoryException(pagemap + " reports PFN 0 for the page at 0x" + Long.toHexString(va)
                        + ": the kernel hides PFNs from a reader without CAP_SYS_ADMIN");
            }
            for (int k = 0; k < perPage && i * perPage + k < hvPages; k++) {
                out[i * perPage + k] = pfn * perPage + k;
            }
        }
        return out;
    }

    @Override
    public long freePages() {
        return -1; // bounded by RLIMIT_MEMLOCK and RAM, not by us
    }

    @Override
    public String describe() {
        String refused = unavailableReason();
        return refused != null ? "unavailable: " + refused
                : "pinned pages (mlock, PFNs from pagemap): " + inUse.get() + " pages of " + PAGE_SIZE + " bytes in use";
    }

    /** Pinned pages: their PFNs are what pagemap said at allocation. */
    private final class Pages extends AllocatedPages {
        private final long[] pfns;
        private final Arena arena;

        Pages(MemorySegment memory, long[] pfns, Arena arena) {
            super(memory);
            this.pfns = pfns;
            this.arena = arena;
        }

        @Override
        public long pfn(int index) {
            return pfns[index];
        }

        @Override
        protected void release() {
            inUse.addAndGet(-pfns.length);
            arena.close();
        }
    }
}
