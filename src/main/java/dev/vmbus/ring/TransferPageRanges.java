package dev.vmbus.ring;

import java.util.Arrays;

/**
 * The type-specific header of a transfer-page packet (type 7, {@code struct vmtransfer_page_packet_header}):
 * the transfer page set it refers to, the sender-owns flag, and {@code range_cnt} ranges of
 * ({@code byte_count}, {@code byte_offset}), offsets counted from the start of the buffer the page set names.
 *
 * <p>Mutable and reusable, so that neither encoding nor decoding allocates once its capacity has grown: a sender
 * fills one with {@link #reset} and {@link #add} and hands it to {@link RingWriter#stageTransferPages}; a receiver
 * passes one to {@link RingReader#readTransferPages}, which overwrites it with a private copy of what was on the
 * ring. Counts and offsets are u32 on the wire and kept as raw ints; read them unsigned. One thread owns an
 * instance.
 */
public final class TransferPageRanges {
    private int pageSetId;
    private boolean senderOwns;
    private int count;
    /** One wire word per range: {@code byte_count | (long) byte_offset << 32}. */
    private long[] words;

    public TransferPageRanges() {
        this(8);
    }

    public TransferPageRanges(int initialCapacity) {
        words = new long[Math.max(1, initialCapacity)];
    }

    /** Empties the list and sets the header fields. */
    public TransferPageRanges reset(int pageSetId, boolean senderOwns) {
        if (pageSetId < 0 || pageSetId > 0xFFFF) {
            throw new IllegalArgumentException("xfer_pageset_id is a u16, got " + pageSetId);
        }
        this.pageSetId = pageSetId;
        this.senderOwns = senderOwns;
        this.count = 0;
        return this;
    }

    /** Appends one range; {@code byteCount} must not be 0 (a receiver faults the ring on an empty range). */
    public TransferPageRanges add(int byteCount, int byteOffset) {
        if (byteCount == 0) {
            throw new IllegalArgumentException("a transfer-page range needs byte_count > 0");
        }
        if (PacketLayout.XFER_RANGES_OFFSET + (long) (count + 1) * PacketLayout.XFER_RANGE_LENGTH
                > RingWriter.MAX_PACKET_LENGTH) {
            throw new IllegalArgumentException((count + 1) + " transfer-page ranges do not fit a VMBus packet");
        }
        putWord(count, Integer.toUnsignedLong(byteCount) | (long) byteOffset << 32);
        return this;
    }

    /** Decoder side: header fields and the count, before the words are stored one by one. */
    void startDecode(int pageSetId, boolean senderOwns) {
        this.pageSetId = pageSetId;
        this.senderOwns = senderOwns;
        this.count = 0;
    }

    void putWord(int index, long word) {
        if (index >= words.length) {
            words = Arrays.copyOf(words, Math.max(index + 1, words.length * 2));
        }
        words[index] = word;
        count = index + 1;
    }

    /** Stores the ranges' wire words (one word per range) into {@code ring} from {@code pos}; returns the position after them. */
    int putWords(Ring ring, int pos) {
        return ring.putWords(pos, words, count);
    }

    public int pageSetId() {
        return pageSetId;
    }

    public boolean senderOwns() {
        return senderOwns;
    }

    public int count() {
        return count;
    }

    /** {@code byte_count} of range {@code i} (a u32: use {@link Integer#toUnsignedLong}). */
    public int byteCount(int i) {
        return (int) words[check(i)];
    }

    /** {@code byte_offset} of range {@code i} from the start of the buffer (a u32). */
    public int byteOffset(int i) {
        return (int) (words[check(i)] >>> 32);
    }

    /** {@code byte_offset + byte_count} of range {@code i}, unsigned, without overflow. */
    public long end(int i) {
        return Integer.toUnsignedLong(byteOffset(i)) + Integer.toUnsignedLong(byteCount(i));
    }

    private int check(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("range " + i + " of " + count);
        }
        return i;
    }

    /** {@code offset8 * 8} of a packet carrying these ranges: 24 + 8 per range. */
    public int headerLength() {
        return PacketLayout.XFER_RANGES_OFFSET + count * PacketLayout.XFER_RANGE_LENGTH;
    }

    /** An independent copy (for a receiver that keeps the ranges past the next decode). */
    public TransferPageRanges copy() {
        TransferPageRanges c = new TransferPageRanges(count);
        c.pageSetId = pageSetId;
        c.senderOwns = senderOwns;
        c.count = count;
        System.arraycopy(words, 0, c.words, 0, count);
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TransferPageRanges t && t.pageSetId == pageSetId && t.senderOwns == senderOwns
                && t.count == count && Arrays.equals(t.words, 0, count, words, 0, count);
    }

    @Override
    public int hashCode() {
        int h = pageSetId * 31 + (senderOwns ? 1 : 0);
        for (int i = 0; i < count; i++) {
            h = h * 31 + Long.hashCode(words[i]);
        }
        return h;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("TransferPageRanges[set=").append(pageSetId)
                .append(", senderOwns=").append(senderOwns).append(", ranges=");
        for (int i = 0; i < count; i++) {
            b.append(i == 0 ? "" : " ").append(Integer.toUnsignedString(byteCount(i))).append('@')
                    .append(Integer.toUnsignedString(byteOffset(i)));
        }
        return b.append(']').toString();
    }
}
