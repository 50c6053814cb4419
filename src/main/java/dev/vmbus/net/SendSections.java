package dev.vmbus.net;

/**
 * Which sections of a synthetic NIC's send buffer are free: a bitmap over {@code send buffer size / section size}
 * sections (spec §3.7; DPDK's {@code hn_chim_alloc}), taken one per frame and given back when the host completes
 * the NVSP 107 that named it. Allocation looks at 64 sections per step from where the last free one was found,
 * so it is O(1) while sections are plentiful and O(count / 64) at worst; nothing is allocated per call.
 *
 * <p>Threads: one owner (the NIC's context).
 */
public final class SendSections {
    /** Most sections a send buffer may be cut into here (16 MiB / 6144 B is 2730). */
    public static final int MAX_SECTIONS = 1 << 20;

    private final long[] used;
    private final int count;
    private int inUse;
    /** The word where the last allocation or free found room. */
    private int hint;

    /** {@code count} sections, all free. */
    public SendSections(int count) {
        if (count <= 0 || count > MAX_SECTIONS) {
            throw new IllegalArgumentException("a send buffer has 1.." + MAX_SECTIONS + " sections, not " + count);
        }
        this.count = count;
        this.used = new long[(count + 63) / 64];
        int tail = count % 64;
        if (tail != 0) {
            used[used.length - 1] = -1L << tail; // bits past the last section are never free
        }
    }

    /** Takes a free section: its index, or -1 when all are in use. */
    public int allocate() {
        if (inUse == count) {
            return -1;
        }
        for (int n = 0, w = hint; n < used.length; n++, w = w + 1 == used.length ? 0 : w + 1) {
            long word = used[w];
            if (word != -1L) {
                int bit = Long.numberOfTrailingZeros(~word);
                used[w] = word | 1L << bit;
                inUse++;
                hint = w;
                return w * 64 + bit;
            }
        }
        throw new IllegalStateException("send sections: " + inUse + " of " + count + " in use but no free bit");
    }

    /** Gives section {@code index} back; false (and nothing changes) if it is out of range or was not in use. */
    public boolean free(int index) {
        if (!inUse(index)) {
            return false;
        }
        used[index >>> 6] &= ~(1L << index);
        inUse--;
        hint = index >>> 6;
        return true;
    }

    /** Whether {@code index} is a section that is in use. */
    public boolean inUse(int index) {
        return index >= 0 && index < count && (used[index >>> 6] & 1L << index) != 0;
    }

    /** Sections in use. */
    public int used() {
        return inUse;
    }

    /** Sections in all. */
    public int count() {
        return count;
    }
}
