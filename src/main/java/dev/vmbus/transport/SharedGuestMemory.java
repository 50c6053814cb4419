package dev.vmbus.transport;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.BitSet;

/**
 * Guest memory that a simulated host can read: one segment standing for the guest's RAM, where a guest physical
 * address is a byte offset and a PFN is that offset / 4096 (DESIGN.md, {@code shm}'s {@code guest.mem}; the
 * {@code sim} transport's segment). The guest allocates pages from it ({@link #allocate}); the host resolves the
 * PFNs of a GPA-direct range against it ({@link #read}, {@link #write}), and a PFN past the end is refused with
 * {@link GuestMemory.GuestMemoryException} before any memory is touched.
 *
 * <p>Threads: allocation is synchronized (devices allocate from their own contexts); reads and writes touch only
 * the memory, whose contents are the protocol's business.
 */
public final class SharedGuestMemory implements GuestMemory {
    private final MemorySegment memory;
    private final long pages;
    private final String where;
    private final BitSet used = new BitSet();
    private long inUse;

    /**
     * @param memory the guest's RAM: a whole number of 4 KiB pages
     * @param where  where it lives, for messages ("sim segment", "/dev/shm/vmbus/guest.mem")
     */
    public SharedGuestMemory(MemorySegment memory, String where) {
        if (memory.byteSize() == 0 || memory.byteSize() % PAGE_SIZE != 0) {
            throw new IllegalArgumentException("guest memory must be a whole number of " + PAGE_SIZE
                    + "-byte pages, got " + memory.byteSize() + " bytes");
        }
        if (memory.byteSize() / PAGE_SIZE > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("guest memory of " + memory.byteSize() + " bytes is too large");
        }
        this.memory = memory;
        this.pages = memory.byteSize() / PAGE_SIZE;
        this.where = where;
    }

    /** Pages in the whole memory. */
    public long pages() {
        return pages;
    }

    public MemorySegment memory() {
        return memory;
    }

    @Override
    public synchronized GuestPages allocate(int count) {
        if (count <= 0) {
            throw new IllegalArgumentException("allocate at least one page, not " + count);
        }
        int start = 0;
        while (start + (long) count <= pages) {
            int busy = used.nextSetBit(start);
            if (busy < 0 || busy >= start + count) {
                used.set(start, start + count);
                inUse += count;
                MemorySegment slice = memory.asSlice((long) start * PAGE_SIZE, (long) count * PAGE_SIZE);
                slice.fill((byte) 0);
                return new Pages(start, slice);
            }
            start = used.nextClearBit(busy);
        }
        throw new GuestMemoryException("no " + count + " contiguous free pages in guest memory " + where + " ("
                + (pages - inUse) + " of " + pages + " free)");
    }

    private synchronized void free(int start, int count) {
        used.clear(start, start + count);
        inUse -= count;
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public synchronized long freePages() {
        return pages - inUse;
    }

    @Override
    public synchronized String describe() {
        return where + ": " + pages + " pages of " + PAGE_SIZE + " bytes, " + inUse + " in use";
    }

    /**
     * The host's side: copies a GPA range out of guest memory: {@code byteCount} bytes starting {@code byteOffset}
     * into the first of {@code pfns}, continuing page by page. Checks everything first (count positive, offset
     * inside the first page, enough PFNs, every PFN inside the memory), then copies.
     */
    public byte[] read(long[] pfns, int byteOffset, int byteCount) {
        check(pfns, byteOffset, byteCount);
        byte[] out = new byte[byteCount];
        int done = 0;
        int inPage = byteOffset;
        for (int i = 0; done < byteCount; i++) {
            int n = Math.min(PAGE_SIZE - inPage, byteCount - done);
            MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, pfns[i] * PAGE_SIZE + inPage, out, done, n);
            done += n;
            inPage = 0;
        }
        return out;
    }

    /** The host's side: copies {@code bytes} into a GPA range (as a storage host fills a read's pages). */
    public void write(long[] pfns, int byteOffset, byte[] bytes) {
        check(pfns, byteOffset, bytes.length);
        int done = 0;
        int inPage = byteOffset;
        for (int i = 0; done < bytes.length; i++) {
            int n = Math.min(PAGE_SIZE - inPage, bytes.length - done);
            MemorySegment.copy(bytes, done, memory, ValueLayout.JAVA_BYTE, pfns[i] * PAGE_SIZE + inPage, n);
            done += n;
            inPage = 0;
        }
    }

    /** Throws with the offending value unless the range resolves wholly inside this memory. */
    public void check(long[] pfns, int byteOffset, int byteCount) {
        long count = Integer.toUnsignedLong(byteCount); // a u32 on the wire
        if (count == 0) {
            throw new GuestMemoryException("GPA range of 0 bytes: a range must hold at least one byte");
        }
        if (count > memory.byteSize()) {
            throw new GuestMemoryException("GPA range of " + count + " bytes is larger than guest memory " + where
                    + " (" + memory.byteSize() + " bytes)");
        }
        if (byteOffset < 0 || byteOffset >= PAGE_SIZE) {
            throw new GuestMemoryException("GPA range offset " + Integer.toUnsignedString(byteOffset)
                    + " is not inside its first page (0.." + (PAGE_SIZE - 1) + ")");
        }
        long needed = ((long) byteOffset + count + PAGE_SIZE - 1) / PAGE_SIZE;
        if (pfns.length < needed) {
            throw new GuestMemoryException("GPA range of " + byteCount + " bytes at offset " + byteOffset + " needs "
                    + needed + " PFNs, it names " + pfns.length);
        }
        for (int i = 0; i < needed; i++) {
            if (pfns[i] < 0 || pfns[i] >= pages) {
                throw new GuestMemoryException("PFN " + Long.toUnsignedString(pfns[i]) + " is past the end of guest"
                        + " memory " + where + " (" + pages + " pages)");
            }
        }
    }

    /** Pages from this memory: their PFNs are their page numbers in it. */
    private final class Pages extends AllocatedPages {
        private final int start;

        Pages(int start, MemorySegment slice) {
            super(slice);
            this.start = start;
        }

        @Override
        public long pfn(int index) {
            int count = pageCount();
            if (index < 0 || index >= count) {
                throw new IndexOutOfBoundsException("page " + index + " of " + count);
            }
            return start + (long) index;
        }

        @Override
        protected void release() {
            free(start, pageCount());
        }
    }
}
