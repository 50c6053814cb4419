package dev.vmbus.ring;

import java.util.Arrays;

/**
 * The ranges of a GPA-direct packet (type 9, {@code struct vmdata_gpa_direct}; the send-side
 * {@code vmbus_packet_mpb_array} has the same format): {@code range_cnt} ranges, each {@code byte_count} u32,
 * {@code byte_offset} u32 (inside the first page, so at most 0xFFF), then
 * {@code ceil((byte_offset + byte_count) / 4096)} u64 PFNs. PFNs always count 4 KiB Hyper-V pages, whatever
 * the guest's own page size.
 *
 * <p>Stored as the wire words themselves, so encoding is a copy of {@link #wordCount()} longs and decoding the
 * reverse. Mutable and reusable (no allocation once grown); one thread owns an instance. A single-page
 * {@code hv_page_buffer} (Linux's {@code vmbus_sendpacket_pagebuffer}) is a range with one PFN.
 */
public final class GpaRanges {
    private int count;
    /** Range header words ({@code byte_count | (long) byte_offset << 32}) each followed by its PFNs. */
    private long[] words;
    private int wordCount;
    /** Index in {@link #words} of each range's header word. */
    private int[] starts;

    public GpaRanges() {
        this(4, 16);
    }

    public GpaRanges(int rangeCapacity, int wordCapacity) {
        starts = new int[Math.max(1, rangeCapacity)];
        words = new long[Math.max(2, wordCapacity)];
    }

    public GpaRanges clear() {
        count = 0;
        wordCount = 0;
        return this;
    }

    /**
     * Appends one range whose PFNs are {@code pfns[from ..]}; it takes exactly
     * {@link PacketLayout#pfnCount(int, int)} of them.
     */
    public GpaRanges add(int byteCount, int byteOffset, long[] pfns, int from) {
        int n = checkRange(byteCount, byteOffset);
        if (from < 0 || from + n > pfns.length) {
            throw new IllegalArgumentException("a range of " + Integer.toUnsignedString(byteCount) + " bytes at page offset "
                    + byteOffset + " needs " + n + " PFNs, " + Math.max(0, pfns.length - from) + " given");
        }
        startRange(byteCount, byteOffset, n);
        for (int i = 0; i < n; i++) {
            words[wordCount++] = pfns[from + i];
        }
        return this;
    }

    /** Appends one single-page range ({@code struct hv_page_buffer}: len, offset, pfn). */
    public GpaRanges addPage(int length, int offset, long pfn) {
        int n = checkRange(length, offset);
        if (n != 1) {
            throw new IllegalArgumentException(length + " bytes at page offset " + offset + " cross a 4 KiB page");
        }
        startRange(length, offset, 1);
        words[wordCount++] = pfn;
        return this;
    }

    /** Appends one range over {@code length} bytes of guest-physically contiguous memory starting at {@code gpa}. */
    public GpaRanges addContiguous(long gpa, int length) {
        if (gpa < 0) {
            throw new IllegalArgumentException("negative guest physical address " + gpa);
        }
        int offset = (int) (gpa & PacketLayout.HV_PAGE_OFFSET_MAX);
        int n = checkRange(length, offset);
        long first = gpa / PacketLayout.HV_PAGE_SIZE;
        startRange(length, offset, n);
        for (int i = 0; i < n; i++) {
            words[wordCount++] = first + i;
        }
        return this;
    }

    private static int checkRange(int byteCount, int byteOffset) {
        if (byteCount == 0) {
            throw new IllegalArgumentException("a GPA range needs byte_count > 0");
        }
        if (byteOffset < 0 || byteOffset > PacketLayout.HV_PAGE_OFFSET_MAX) {
            throw new IllegalArgumentException("a GPA range's byte_offset lies inside its first 4 KiB page, got "
                    + Integer.toUnsignedString(byteOffset));
        }
        return (int) PacketLayout.pfnCount(byteOffset, byteCount);
    }

    private void startRange(int byteCount, int byteOffset, int pfns) {
        if (PacketLayout.GPA_RANGES_OFFSET + 8L * (wordCount + 1 + pfns) > RingWriter.MAX_PACKET_LENGTH) {
            throw new IllegalArgumentException("GPA ranges of " + (wordCount + 1 + pfns) + " words do not fit a VMBus packet");
        }
        ensureWords(wordCount + 1 + pfns);
        if (count == starts.length) {
            starts = Arrays.copyOf(starts, count * 2);
        }
        starts[count++] = wordCount;
        words[wordCount++] = Integer.toUnsignedLong(byteCount) | (long) byteOffset << 32;
    }

    private void ensureWords(int needed) {
        if (needed > words.length) {
            words = Arrays.copyOf(words, Math.max(needed, words.length * 2));
        }
    }

    /** Decoder side: stores one range header word and reserves its PFN words, returning the first PFN index. */
    int decodeRange(long headerWord, int pfns) {
        ensureWords(wordCount + 1 + pfns);
        if (count == starts.length) {
            starts = Arrays.copyOf(starts, count * 2);
        }
        starts[count++] = wordCount;
        words[wordCount++] = headerWord;
        int first = wordCount;
        wordCount += pfns;
        return first;
    }

    void putWord(int index, long word) {
        words[index] = word;
    }

    /** Stores the ranges' wire words (each range's header word and its PFNs) into {@code ring} from {@code pos}; returns the position after them. */
    int putWords(Ring ring, int pos) {
        return ring.putWords(pos, words, wordCount);
    }

    public int count() {
        return count;
    }

    /** Header and PFN words together: the ranges take {@code 8 * wordCount()} bytes after byte 24. */
    public int wordCount() {
        return wordCount;
    }

    public int byteCount(int i) {
        return (int) words[starts[check(i)]];
    }

    public int byteOffset(int i) {
        return (int) (words[starts[check(i)]] >>> 32);
    }

    public int pfnCount(int i) {
        return (int) PacketLayout.pfnCount(byteOffset(i), byteCount(i));
    }

    /** PFN {@code j} of range {@code i}, in 4 KiB Hyper-V pages. */
    public long pfn(int i, int j) {
        int n = pfnCount(i);
        if (j < 0 || j >= n) {
            throw new IndexOutOfBoundsException("PFN " + j + " of " + n + " in range " + i);
        }
        return words[starts[i] + 1 + j];
    }

    private int check(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("range " + i + " of " + count);
        }
        return i;
    }

    /** {@code offset8 * 8} of a packet carrying exactly these ranges. */
    public int headerLength() {
        return PacketLayout.GPA_RANGES_OFFSET + wordCount * 8;
    }

    /** An independent copy. */
    public GpaRanges copy() {
        GpaRanges c = new GpaRanges(count, wordCount);
        c.count = count;
        c.wordCount = wordCount;
        System.arraycopy(starts, 0, c.starts, 0, count);
        System.arraycopy(words, 0, c.words, 0, wordCount);
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GpaRanges g && g.count == count && g.wordCount == wordCount
                && Arrays.equals(g.words, 0, wordCount, words, 0, wordCount);
    }

    @Override
    public int hashCode() {
        int h = count;
        for (int i = 0; i < wordCount; i++) {
            h = h * 31 + Long.hashCode(words[i]);
        }
        return h;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("GpaRanges[");
        for (int i = 0; i < count; i++) {
            b.append(i == 0 ? "" : "; ").append(Integer.toUnsignedString(byteCount(i))).append(" bytes at +")
                    .append(byteOffset(i)).append(" pfns");
            for (int j = 0; j < pfnCount(i); j++) {
                b.append(' ').append(Long.toHexString(pfn(i, j)));
            }
        }
        return b.append(']').toString();
    }
}
