package dev.vmbus.ring;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * The producer side of one ring ({@code hv_ringbuffer_write} and {@code hv_signal_on_write}). One thread owns
 * a writer; writers of one ring must be serialised by their caller (the kernel takes a spinlock, we own the
 * ring on one event loop).
 *
 * <p>The protocol contract this class relies on, as numbered in the spec (section 2.2 and 2.3):
 * <ol>
 *   <li>a write needs {@code free > total} (strict: the ring is never filled completely, so
 *       {@code read_index == write_index} always means empty);</li>
 *   <li>descriptor, payload, zero padding and the {@code old_write << 32} trailer are all stored, then a full
 *       fence, then {@code write_index} is published;</li>
 *   <li>the peer is signalled only if its {@code interrupt_mask} is clear and the ring went from empty to
 *       non-empty ({@code old_write == read_index}): Hyper-V treats other interrupts as a possible DoS.</li>
 * </ol>
 * The writer never signals by itself: {@link #write} returns whether the caller must.
 *
 * <p>Our own {@code write_index} is kept privately and never read back from shared memory, so a peer that
 * scribbles on it cannot steer our stores. Counters are plain fields updated by the owning thread.
 */
public final class RingWriter {
    /** Published; the peer need not be signalled. */
    public static final int WRITTEN = 0;
    /** Published, and the ring went empty to non-empty with the peer's mask clear: signal it. */
    public static final int WRITTEN_SIGNAL = 1;
    /** Not written: {@code free <= total} ({@code -EAGAIN}). Nothing is visible to the peer. */
    public static final int FULL = -1;
    /** Not written: the peer's {@code read_index} is impossible; see {@link #fault()}. */
    public static final int FAULTED = -2;

    /** {@code len8} is a u16, so one packet is at most this long (Linux truncates silently; we refuse). */
    public static final int MAX_PACKET_LENGTH = 0xFFFF * 8;

    private final Ring ring;
    private int writeIndex;
    /** {@code write_index} as last published; differs from {@link #writeIndex} while packets are staged. */
    private int published;
    private boolean outFullFlag;
    private RingFault fault;

    private long packets;
    private long bytes;
    private long intrOutEmpty;
    private long outFullFirst;
    private long outFullTotal;

    /** Attaches to a ring as its producer, continuing from its current {@code write_index}. */
    public RingWriter(Ring ring) {
        this.ring = ring;
        int w = ring.attachIndex(ring.writeIndexVolatile(), "write_index");
        this.writeIndex = w;
        this.published = w;
    }

    public Ring ring() {
        return ring;
    }

    /**
     * Writes one packet with the bare 16-byte descriptor ({@code offset8 = 2}), as {@code vmbus_sendpacket}.
     *
     * @return {@link #WRITTEN}, {@link #WRITTEN_SIGNAL}, {@link #FULL} or {@link #FAULTED}
     */
    public int write(int type, int flags, long transId, MemorySegment payload, long offset, int length) {
        int staged = stage(type, flags, transId, payload, offset, length);
        return staged == WRITTEN ? publish() : staged;
    }

    /**
     * Writes one packet like {@link #write(int, int, long, MemorySegment, long, int)} but does not publish it:
     * the peer sees it, with every packet staged before it, at the next {@link #publish()}. A producer with a
     * burst pays the publishing fences and the signal decision once per burst instead of once per packet
     * (DPDK defers its signal decision the same way). Staged bytes count as used for the free-space check.
     *
     * @return {@link #WRITTEN} (staged), {@link #FULL} or {@link #FAULTED}
     */
    public int stage(int type, int flags, long transId, MemorySegment payload, long offset, int length) {
        return stage(type, flags, transId, null, payload, offset, length);
    }

    /** As {@link #write(int, int, long, MemorySegment, long, int)}, with the payload in a byte array. */
    public int write(int type, int flags, long transId, byte[] payload, int offset, int length) {
        int staged = stage(type, flags, transId, payload, offset, length);
        return staged == WRITTEN ? publish() : staged;
    }

    /** As {@link #stage(int, int, long, MemorySegment, long, int)}, with the payload in a byte array. */
    public int stage(int type, int flags, long transId, byte[] payload, int offset, int length) {
        return stage(type, flags, transId, payload, null, offset, length);
    }

    private int stage(int type, int flags, long transId, byte[] array, MemorySegment segment, long offset,
                      int length) {
        int aligned = checkedPacketLength(length);
        int total = aligned + PacketLayout.TRAILER_LENGTH;
        int oldWrite = writeIndex;
        int room = room(oldWrite, total);
        if (room != WRITTEN) {
            return room;
        }
        int pos = putDescriptor(oldWrite, type, flags, aligned, transId, length);
        copyPayload(pos, array, segment, offset, length);
        return append(oldWrite, ring.advance(pos, aligned - PacketLayout.DESCRIPTOR_LENGTH), total);
    }

    // ---- packets with a type-specific header (types 7 and 9) -------------------------------------------------

    /**
     * Writes a transfer-page packet (type 7): descriptor with {@code offset8 = 3 + range_cnt}, the
     * {@code xfer_pageset_id} / {@code sender_owns_set} / {@code range_cnt} word, one word per range, then the
     * payload, padding and trailer, straight into the ring (nothing is allocated).
     *
     * @param flags 0 or 1 (completion requested; hosts always set it on this type)
     * @return {@link #WRITTEN}, {@link #WRITTEN_SIGNAL}, {@link #FULL} or {@link #FAULTED}
     */
    public int writeTransferPages(int flags, long transId, TransferPageRanges ranges, MemorySegment payload,
                                  long offset, int length) {
        int staged = stageTransferPages(flags, transId, ranges, payload, offset, length);
        return staged == WRITTEN ? publish() : staged;
    }

    /** As {@link #writeTransferPages(int, long, TransferPageRanges, MemorySegment, long, int)}, payload in an array. */
    public int writeTransferPages(int flags, long transId, TransferPageRanges ranges, byte[] payload, int offset,
                                  int length) {
        int staged = stageTransferPages(flags, transId, ranges, payload, offset, length);
        return staged == WRITTEN ? publish() : staged;
    }

    /** Stages a transfer-page packet (see {@link #stage(int, int, long, MemorySegment, long, int)}). */
    public int stageTransferPages(int flags, long transId, TransferPageRanges ranges, MemorySegment payload,
                                  long offset, int length) {
        return stageTransferPages(flags, transId, ranges, null, payload, offset, length);
    }

    /** Stages a transfer-page packet with the payload in an array. */
    public int stageTransferPages(int flags, long transId, TransferPageRanges ranges, byte[] payload, int offset,
                                  int length) {
        return stageTransferPages(flags, transId, ranges, payload, null, offset, length);
    }

    private int stageTransferPages(int flags, long transId, TransferPageRanges ranges, byte[] array,
                                   MemorySegment segment, long offset, int length) {
        int n = ranges.count();
        if (n == 0) {
            throw new IllegalArgumentException("a transfer-page packet needs at least one range");
        }
        long word16 = ranges.pageSetId() | (ranges.senderOwns() ? 1L : 0L) << 16 | (long) n << 32;
        int pos = beginRanged(PacketType.DATA_USING_XFER_PAGES, flags, transId, ranges.headerLength(), word16, length);
        return pos < 0 ? pos
                : finishRanged(ranges.putWords(ring, pos), ranges.headerLength(), array, segment, offset, length);
    }

    /**
     * Writes a GPA-direct packet (type 9), the layout of Linux's {@code vmbus_sendpacket_mpb_desc}: descriptor
     * with {@code offset8 = (24 + 8 * ranges.wordCount()) / 8}, reserved 0, {@code range_cnt}, each range's
     * count/offset word and its PFNs, then payload, padding and trailer.
     *
     * @param flags 0 or 1 (Linux, DPDK and OpenVMM always send 1)
     */
    public int writeGpaDirect(int flags, long transId, GpaRanges ranges, MemorySegment payload, long offset,
                              int length) {
        int staged = stageGpaDirect(flags, transId, ranges, payload, offset, length);
        return staged == WRITTEN ? publish() : staged;
    }

    /** As {@link #writeGpaDirect(int, long, GpaRanges, MemorySegment, long, int)}, payload in an array. */
    public int writeGpaDirect(int flags, long transId, GpaRanges ranges, byte[] payload, int offset, int length) {
        int staged = stageGpaDirect(flags, transId, ranges, payload, offset, length);
        return staged == WRITTEN ? publish() : staged;
    }

    /** Stages a GPA-direct packet. */
    public int stageGpaDirect(int flags, long transId, GpaRanges ranges, MemorySegment payload, long offset,
                              int length) {
        return stageGpaDirect(flags, transId, ranges, null, payload, offset, length);
    }

    /** Stages a GPA-direct packet with the payload in an array. */
    public int stageGpaDirect(int flags, long transId, GpaRanges ranges, byte[] payload, int offset, int length) {
        return stageGpaDirect(flags, transId, ranges, payload, null, offset, length);
    }

    private int stageGpaDirect(int flags, long transId, GpaRanges ranges, byte[] array, MemorySegment segment,
                               long offset, int length) {
        int n = ranges.count();
        if (n == 0) {
            throw new IllegalArgumentException("a GPA-direct packet needs at least one range");
        }
        int pos = beginRanged(PacketType.DATA_USING_GPA_DIRECT, flags, transId, ranges.headerLength(), (long) n << 32,
                length);
        return pos < 0 ? pos
                : finishRanged(ranges.putWords(ring, pos), ranges.headerLength(), array, segment, offset, length);
    }

    /** Ring bytes a type 7 or 9 packet with this header and payload takes (descriptor to trailer). */
    public static int requiredSpace(int headerLength, int payloadLength) {
        return RingLayout.align8(headerLength + payloadLength) + PacketLayout.TRAILER_LENGTH;
    }

    private static int checkedRangedLength(int flags, int headerLength, int payloadLength) {
        if (flags != 0 && flags != PacketLayout.FLAG_COMPLETION_REQUESTED) {
            throw new IllegalArgumentException("flags must be 0 or 1 (completion requested), got " + flags);
        }
        if (payloadLength < 0 || (long) headerLength + payloadLength > MAX_PACKET_LENGTH) {
            throw new IllegalArgumentException("a " + headerLength + "-byte header and a " + payloadLength
                    + "-byte payload do not fit a VMBus packet (len8 is 16 bits: at most " + MAX_PACKET_LENGTH + ")");
        }
        return RingLayout.align8(headerLength + payloadLength);
    }

    /**
     * Checks a type 7 or 9 packet, checks the room for it, and stores its descriptor and the word at byte 16.
     *
     * @return the position of byte 24, where the ranges go, or {@link #FULL} or {@link #FAULTED} (negative)
     */
    private int beginRanged(int type, int flags, long transId, int headerLength, long word16, int length) {
        int aligned = checkedRangedLength(flags, headerLength, length);
        int oldWrite = writeIndex;
        int room = room(oldWrite, aligned + PacketLayout.TRAILER_LENGTH);
        if (room != WRITTEN) {
            return room;
        }
        int pos = oldWrite;
        ring.putWord(pos, PacketLayout.word0(type, headerLength >>> 3, aligned >>> 3, flags));
        pos = ring.advance(pos, 8);
        ring.putWord(pos, transId);
        pos = ring.advance(pos, 8);
        ring.putWord(pos, word16);
        return ring.advance(pos, 8);
    }

    /**
     * Payload area (zeroed last word, then the payload) and trailer of the type 7 or 9 packet {@link #beginRanged}
     * began, whose ranges end at {@code pos}.
     */
    private int finishRanged(int pos, int headerLength, byte[] array, MemorySegment segment, long offset,
                             int length) {
        int aligned = RingLayout.align8(headerLength + length);
        int payloadArea = aligned - headerLength;
        if (payloadArea > length) {
            ring.putWord(ring.advance(pos, payloadArea - 8), 0L);
        }
        copyPayload(pos, array, segment, offset, length);
        return append(writeIndex, ring.advance(pos, payloadArea), aligned + PacketLayout.TRAILER_LENGTH);
    }

    /** Copies the payload, held in {@code array} or else in {@code segment}, into the ring at {@code pos}. */
    private void copyPayload(int pos, byte[] array, MemorySegment segment, long offset, int length) {
        if (length > 0) {
            if (array != null) {
                ring.copyIn(pos, array, (int) offset, length);
            } else {
                ring.copyIn(pos, segment, offset, length);
            }
        }
    }

    /**
     * Writes bytes that already form a packet (descriptor included), followed by the trailer. Nothing is
     * checked beyond the length being a positive multiple of 8: this is how a test or a fault-injecting host
     * puts a malformed packet on the ring.
     */
    public int writeRaw(MemorySegment packet, long offset, int length) {
        if (length <= 0 || length % RingLayout.ALIGNMENT != 0 || length > MAX_PACKET_LENGTH) {
            throw new IllegalArgumentException("raw packet length must be a positive multiple of 8, got " + length);
        }
        int total = length + PacketLayout.TRAILER_LENGTH;
        int oldWrite = writeIndex;
        int room = room(oldWrite, total);
        if (room != WRITTEN) {
            return room;
        }
        ring.copyIn(oldWrite, packet, offset, length);
        int staged = append(oldWrite, ring.advance(oldWrite, length), total);
        return staged == WRITTEN ? publish() : staged;
    }

    /** Ring bytes a packet with this payload length needs to be free, strictly exceeded ({@code pending_send_sz}). */
    public static int requiredSpace(int payloadLength) {
        return PacketLayout.ringBytes(payloadLength);
    }

    private static int checkedPacketLength(int payloadLength) {
        if (payloadLength < 0 || payloadLength > MAX_PACKET_LENGTH - PacketLayout.DESCRIPTOR_LENGTH) {
            throw new IllegalArgumentException("payload of " + payloadLength + " bytes does not fit a VMBus packet"
                    + " (len8 is 16 bits: at most " + (MAX_PACKET_LENGTH - PacketLayout.DESCRIPTOR_LENGTH) + ")");
        }
        return RingLayout.align8(PacketLayout.DESCRIPTOR_LENGTH + payloadLength);
    }

    /** The free-space check of step 4/5: counts a full ring exactly as Linux's out_full_* counters do. */
    private int room(int oldWrite, int total) {
        if (fault != null) {
            return FAULTED;
        }
        // Acquire: our stores into the freed space must not move before the peer's read_index we base them on.
        int r = ring.readIndexAcquire();
        if (!ring.validIndex(r)) {
            fault = new RingFault(RingFault.Kind.READ_INDEX_INVALID, "read_index=" + r + " dsize=" + ring.dataSize());
            return FAULTED;
        }
        if (ring.bytesToWrite(oldWrite, r) <= total) {
            countOutFull();
            return FULL;
        }
        outFullFlag = false;
        return WRITTEN;
    }

    /** A write found the ring full: Linux's {@code out_full_total}, and {@code out_full_first} on the edge. */
    private void countOutFull() {
        outFullTotal++;
        if (!outFullFlag) {
            outFullFirst++;
            outFullFlag = true;
        }
    }

    /** Stores the descriptor and pre-zeroes the padding word; returns the payload position. */
    private int putDescriptor(int pos, int type, int flags, int aligned, long transId, int payloadLength) {
        ring.putWord(pos, PacketLayout.word0(type, PacketLayout.DEFAULT_OFFSET8, aligned >>> 3, flags));
        pos = ring.advance(pos, 8);
        ring.putWord(pos, transId);
        pos = ring.advance(pos, 8);
        int payloadArea = aligned - PacketLayout.DESCRIPTOR_LENGTH;
        if (payloadArea > payloadLength) {
            // The padding lies inside the area's last 8-byte word, which cannot straddle the (8-aligned) wrap
            // point: zero that word, then the payload copy overwrites its leading bytes.
            ring.putWord(ring.advance(pos, payloadArea - 8), 0L);
        }
        return pos;
    }

    /** Stores the trailer and moves the private write position past the packet (not yet visible). */
    private int append(int oldWrite, int pos, int total) {
        ring.putWord(pos, PacketLayout.trailer(oldWrite));
        writeIndex = ring.advance(pos, PacketLayout.TRAILER_LENGTH);
        packets++;
        bytes += total;
        return WRITTEN;
    }

    /**
     * Publishes every staged packet ({@code write_index}) and makes the signal decision of
     * {@code hv_signal_on_write} for them as one write: signal if the peer's mask is clear and the ring was
     * empty before the first of them.
     *
     * @return {@link #WRITTEN_SIGNAL} if the caller must signal the peer, else {@link #WRITTEN}
     */
    public int publish() {
        int oldWrite = published;
        int newWrite = writeIndex;
        if (oldWrite == newWrite) {
            return WRITTEN;
        }
        // Full fence: every packet byte and trailer must be visible before the peer can see the new index.
        VarHandle.fullFence();
        ring.writeIndexRelease(newWrite);
        published = newWrite;
        // Full fence: the write_index store must be ordered before the load of the peer's mask (store->load).
        VarHandle.fullFence();
        if (ring.interruptMaskVolatile() != 0) {
            return WRITTEN; // the peer is draining and promised to re-check after unmasking
        }
        // Load-load: the mask must be read before read_index, or a stale read_index could suppress a signal.
        VarHandle.loadLoadFence();
        if (oldWrite == ring.readIndexVolatile()) {
            intrOutEmpty++;
            return WRITTEN_SIGNAL;
        }
        return WRITTEN;
    }

    /** Packets are staged and not yet published. */
    public boolean hasStaged() {
        return published != writeIndex;
    }

    /**
     * A blocked writer asks to be woken ({@code set_channel_pending_send_size} then the re-check of spec
     * section 2.4): stores {@code pending_send_sz = needed} and returns true if that much space is already free,
     * in which case the caller retries at once instead of waiting for a signal that may never come.
     */
    public boolean armPendingSend(int needed) {
        if (needed <= 0) {
            throw new IllegalArgumentException("pending_send_sz must be positive, got " + needed);
        }
        countOutFull();
        ring.pendingSendSizeVolatile(needed);
        // Full fence: the peer may have drained just before it could see pending_send_sz; re-read after publishing.
        VarHandle.fullFence();
        int r = ring.readIndexAcquire();
        return ring.validIndex(r) && ring.bytesToWrite(writeIndex, r) > needed;
    }

    /** No longer blocked: {@code pending_send_sz = 0}, which also clears the out-full edge flag. */
    public void clearPendingSend() {
        ring.pendingSendSizeVolatile(0);
        outFullFlag = false;
    }

    /** Free bytes as of now (the peer's read_index read once), {@code -1} if that index is impossible. */
    public int bytesFree() {
        int r = ring.readIndexAcquire();
        return ring.validIndex(r) ? ring.bytesToWrite(writeIndex, r) : -1;
    }

    public int writeIndex() {
        return writeIndex;
    }

    public RingFault fault() {
        return fault;
    }

    public long packets() {
        return packets;
    }

    public long bytes() {
        return bytes;
    }

    /** Linux {@code intr_out_empty}: signals owed because the ring went empty to non-empty. */
    public long intrOutEmpty() {
        return intrOutEmpty;
    }

    /** Linux {@code out_full_first}: the first attempt of a run that found the ring full. */
    public long outFullFirst() {
        return outFullFirst;
    }

    /** Linux {@code out_full_total}: every attempt (and every arming of pending_send_sz) that found it full. */
    public long outFullTotal() {
        return outFullTotal;
    }
}
