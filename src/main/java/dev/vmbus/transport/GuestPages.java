package dev.vmbus.transport;

import java.lang.foreign.MemorySegment;

/**
 * Pages allocated from {@link GuestMemory}: contiguous in this process, each with the PFN the host knows it by
 * (in 4 KiB Hyper-V pages). The PFNs need not be contiguous (on {@code uio} they are whatever the kernel gave).
 *
 * <p>Threads: the memory is the device's; {@link #close()} is idempotent and safe from any thread.
 */
public interface GuestPages extends AutoCloseable {

    /** The pages, {@code pageCount() * 4096} bytes. */
    MemorySegment memory();

    /** How many pages: {@link #memory()}'s size in {@link GuestMemory#PAGE_SIZE} pages. */
    default int pageCount() {
        return (int) (memory().byteSize() / GuestMemory.PAGE_SIZE);
    }

    /** The PFN of page {@code index} (0-based, 4 KiB pages). */
    long pfn(int index);

    /** The PFNs of the 4 KiB pages that {@code [offset, offset + length)} of {@link #memory()} touches, in order. */
    default long[] pfns(long offset, long length) {
        if (offset < 0 || length <= 0 || offset > memory().byteSize() || length > memory().byteSize() - offset) {
            throw new IndexOutOfBoundsException("range of " + length + " bytes at " + offset + " is outside "
                    + pageCount() + " pages");
        }
        int first = (int) (offset / GuestMemory.PAGE_SIZE);
        int last = (int) ((offset + length - 1) / GuestMemory.PAGE_SIZE);
        long[] out = new long[last - first + 1];
        for (int i = 0; i < out.length; i++) {
            out[i] = pfn(first + i);
        }
        return out;
    }

    /** The guest physical address of byte {@code offset} of {@link #memory()}. */
    default long gpa(long offset) {
        if (offset < 0 || offset >= memory().byteSize()) {
            throw new IndexOutOfBoundsException("offset " + offset + " is outside " + pageCount() + " pages");
        }
        return pfn((int) (offset / GuestMemory.PAGE_SIZE)) * GuestMemory.PAGE_SIZE + offset % GuestMemory.PAGE_SIZE;
    }

    /** Gives the pages back. Only once no packet naming them is outstanding. */
    @Override
    void close();
}
