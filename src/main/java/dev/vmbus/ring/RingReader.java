package dev.vmbus.ring;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The consumer side of one ring: the packet iterator of {@code hv_pkt_iter_first/next/close}, stricter than
 * Linux about what the peer may publish. One thread owns a reader.
 *
 * <p>Use: {@link #peek()} validates the next packet and snapshots its descriptor; the caller copies what it
 * needs out of the ring ({@link #copyPacket}, {@link #copyPayload}) and calls {@link #consume()}; after a
 * batch, {@link #commit()} publishes {@code read_index} once and says whether the peer must be signalled.
 *
 * <p>The protocol contract this class relies on (spec sections 2.5-2.7 and 4):
 * <ol>
 *   <li>{@code write_index} is loaded with acquire, and must be an 8-aligned offset below {@code dsize}; a peek
 *       loads it only when every byte before the last value loaded has been consumed (a well-behaved producer
 *       publishes whole packets, so that value always ends one);</li>
 *   <li>the first descriptor word (type, offset8, len8, flags) is one 8-byte load, so the peer cannot change
 *       one field after we validated another; we require {@code 16 <= offset8*8 <= len8*8} and
 *       {@code len8*8 + 8 <= available}, and a violation faults the ring instead of truncating (Linux clamps);</li>
 *   <li>all later uses come from that snapshot or from the caller's copy, never from a second ring read of the
 *       same field;</li>
 *   <li>{@code read_index} is published after every data read, then {@code pending_send_sz}, then
 *       {@code write_index} are read, with the fences named at each site; the peer is signalled only on a real
 *       "not enough space" to "enough space" crossing, equal counting as not enough, and only if the peer set
 *       {@code feat_pending_send_sz};</li>
 *   <li>after unmasking, the ring is re-checked: the peer only interrupts an empty ring.</li>
 * </ol>
 */
public final class RingReader {
    /** {@link #peek()}: no packet. */
    public static final int EMPTY = 0;
    /** {@link #peek()}: the ring is faulted; see {@link #fault()}. */
    public static final int FAULTED = -1;

    private static final int MIN_RECORD = PacketLayout.DESCRIPTOR_LENGTH + PacketLayout.TRAILER_LENGTH;

    private final Ring ring;
    private int readPos;
    private int published;
    /**
     * {@code write_index} as last loaded (with acquire) and validated: everything before it is published and
     * visible, so {@link #peek()} loads the index again only once it has consumed up to it, one load per batch
     * instead of one per packet.
     */
    private int knownWrite;
    private RingFault fault;

    private long word0;
    private long transId;
    private int packetLength;

    /** Private copy of the peeked packet's header for the type-specific decoders; grows, never shrinks. */
    private byte[] headerCopy = new byte[64];
    private ByteBuffer headerCopyBuffer = view(headerCopy);

    private long packets;
    private long bytes;
    private long intrInFull;
    private long malformed;

    /** Attaches to a ring as its consumer, continuing from its current {@code read_index}. */
    public RingReader(Ring ring) {
        this.ring = ring;
        int r = ring.attachIndex(ring.readIndexVolatile(), "read_index");
        this.readPos = r;
        this.published = r;
        this.knownWrite = r;
    }

    public Ring ring() {
        return ring;
    }

    /**
     * Validates the packet at the private read position and snapshots its descriptor.
     *
     * @return the packet length {@code len8*8} (descriptor, header and payload, without the trailer),
     *         {@link #EMPTY}, or {@link #FAULTED}
     */
    public int peek() {
        if (fault != null) {
            return FAULTED;
        }
        int avail = ring.bytesToRead(knownWrite, readPos);
        if (avail == 0) {
            // Acquire: the packet bytes we read next must be at least as new as the index that covers them.
            int w = ring.writeIndexAcquire();
            if (!ring.validIndex(w)) {
                return fail(RingFault.Kind.WRITE_INDEX_INVALID, "write_index=" + w + " dsize=" + ring.dataSize());
            }
            knownWrite = w;
            avail = ring.bytesToRead(w, readPos);
            if (avail == 0) {
                return EMPTY;
            }
        }
        if (avail < MIN_RECORD) {
            return fail(RingFault.Kind.TRUNCATED_PACKET, "available=" + avail + " at read position " + readPos);
        }
        long d0 = ring.getWord(readPos);
        int dataOffset = PacketLayout.offset8(d0) << 3;
        int length = PacketLayout.len8(d0) << 3;
        if (dataOffset < PacketLayout.DESCRIPTOR_LENGTH) {
            return fail(RingFault.Kind.DATA_OFFSET_TOO_SMALL, "offset8=" + (dataOffset >>> 3) + " at " + readPos);
        }
        if (dataOffset > length) {
            return fail(RingFault.Kind.DATA_OFFSET_BEYOND_LENGTH,
                    "offset8=" + (dataOffset >>> 3) + " len8=" + (length >>> 3) + " at " + readPos);
        }
        if (length + PacketLayout.TRAILER_LENGTH > avail) {
            return fail(RingFault.Kind.LENGTH_BEYOND_AVAILABLE,
                    "len8=" + (length >>> 3) + " needs " + (length + 8) + " bytes, " + avail + " published");
        }
        word0 = d0;
        transId = ring.getWord(ring.advance(readPos, 8));
        packetLength = length;
        return length;
    }

    private int fail(RingFault.Kind kind, String detail) {
        fault = new RingFault(kind, detail);
        malformed++;
        packetLength = 0;
        return FAULTED;
    }

    /** Marks the ring faulted for a reason found above the ring (a forged completion, say). */
    public void fault(String detail) {
        if (fault == null) {
            fail(RingFault.Kind.PROTOCOL, detail);
        }
    }

    // ---- the peeked packet (valid after peek() returned a length, until consume()) --------------------------

    public int type() {
        return PacketLayout.type(word0);
    }

    public int flags() {
        return PacketLayout.flags(word0);
    }

    public long transactionId() {
        return transId;
    }

    /** {@code offset8 * 8}: where the payload starts inside the packet. */
    public int dataOffset() {
        return PacketLayout.offset8(word0) << 3;
    }

    /** {@code len8 * 8}. */
    public int packetLength() {
        return packetLength;
    }

    /** {@code len8*8 - offset8*8}, padding included (as Linux's {@code hv_pkt_datalen}). */
    public int payloadLength() {
        return packetLength - dataOffset();
    }

    /**
     * Copies the whole peeked packet ({@code len8*8} bytes) to {@code dst}, then rewrites the copy's
     * descriptor from the validated snapshot, so the copy says exactly what was checked even if the peer
     * changed the ring in between.
     */
    public void copyPacket(MemorySegment dst, long dstOffset) {
        ring.copyOut(readPos, dst, dstOffset, packetLength);
        dst.set(Ring.U64_UNALIGNED, dstOffset, word0);
        dst.set(Ring.U64_UNALIGNED, dstOffset + PacketLayout.TRANS_ID_OFFSET, transId);
    }

    /** Copies {@code length} bytes of the packet starting {@code from} bytes after its start. */
    public void copyOut(int from, MemorySegment dst, long dstOffset, int length) {
        checkRange(from, length);
        ring.copyOut(ring.advance(readPos, from), dst, dstOffset, length);
    }

    /** Copies {@code length} bytes of the packet starting {@code from} bytes after its start. */
    public void copyOut(int from, byte[] dst, int dstOffset, int length) {
        checkRange(from, length);
        ring.copyOut(ring.advance(readPos, from), dst, dstOffset, length);
    }

    /** Copies the payload ({@link #payloadLength()} bytes from {@link #dataOffset()}) into {@code dst}. */
    public void copyPayload(byte[] dst, int dstOffset) {
        ring.copyOut(ring.advance(readPos, dataOffset()), dst, dstOffset, payloadLength());
    }

    private void checkRange(int from, int length) {
        if (from < 0 || length < 0 || from + length > packetLength) {
            throw new IndexOutOfBoundsException("bytes [" + from + ", " + (from + length) + ") outside the "
                    + packetLength + "-byte packet");
        }
    }

    // ---- type-specific validation and decoding of the peeked packet --------------------------------------------

    /**
     * Checks the peeked packet's type and flags ({@link PacketCodec#checkDescriptor}): only the types devices use
     * and only the completion-requested flag. {@link #peek()} checks framing alone, so that raw reads
     * ({@code vmbus_recvpacket_raw}) still see whatever the peer sent; a receiver that interprets packets calls
     * this first.
     *
     * @return true if valid; false if the ring is now faulted with {@link RingFault.Kind#UNKNOWN_TYPE} or
     *         {@link RingFault.Kind#INVALID_FLAGS}
     */
    public boolean checkDescriptor() {
        requirePeeked();
        return accept(PacketCodec.checkDescriptor(type(), flags()));
    }

    /**
     * Copies the peeked transfer-page packet's header out of the ring, then validates and decodes the copy into
     * {@code out} ({@link PacketCodec#decodeTransferPages}). Nothing beyond {@code offset8*8} is read.
     *
     * @return true if {@code out} holds the ranges; false if the ring is now faulted
     */
    public boolean readTransferPages(TransferPageRanges out) {
        requireType(PacketType.DATA_USING_XFER_PAGES);
        return accept(PacketCodec.decodeTransferPages(copyHeader(), dataOffset(), out));
    }

    /** As {@link #readTransferPages} for a GPA-direct packet ({@link PacketCodec#decodeGpaDirect}). */
    public boolean readGpaDirect(GpaRanges out) {
        requireType(PacketType.DATA_USING_GPA_DIRECT);
        return accept(PacketCodec.decodeGpaDirect(copyHeader(), dataOffset(), out));
    }

    private ByteBuffer copyHeader() {
        int length = dataOffset();
        if (length > headerCopy.length) {
            headerCopy = new byte[Math.max(length, headerCopy.length * 2)];
            headerCopyBuffer = view(headerCopy);
        }
        ring.copyOut(readPos, headerCopy, 0, length);
        return headerCopyBuffer;
    }

    private static ByteBuffer view(byte[] copy) {
        return ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN);
    }

    private boolean accept(RingFault f) {
        if (f == null) {
            return true;
        }
        fault = f;
        malformed++;
        packetLength = 0;
        return false;
    }

    private void requirePeeked() {
        if (packetLength == 0) {
            throw new IllegalStateException("no packet peeked");
        }
    }

    private void requireType(int type) {
        requirePeeked();
        if (type() != type) {
            throw new IllegalStateException("the peeked packet is " + PacketType.name(type()) + ", not "
                    + PacketType.name(type));
        }
    }

    /** Moves past the peeked packet by its validated length plus the trailer ({@code __hv_pkt_iter_next}). */
    public void consume() {
        int advance = packetLength + PacketLayout.TRAILER_LENGTH;
        if (packetLength == 0) {
            throw new IllegalStateException("no packet peeked");
        }
        readPos = ring.advance(readPos, advance);
        packets++;
        bytes += advance;
        packetLength = 0;
    }

    /**
     * Publishes {@code read_index} for everything consumed since the last commit ({@code hv_pkt_iter_close})
     * and decides whether the blocked producer must be signalled.
     *
     * @return true if the caller must signal the peer
     */
    public boolean commit() {
        int start = published;
        int end = readPos;
        if (start == end) {
            return false;
        }
        // Acquire fence (load-load, load-store): all packet reads complete before the space is handed back.
        VarHandle.acquireFence();
        ring.readIndexRelease(end);
        published = end;
        if ((ring.featureBitsVolatile() & RingLayout.FEAT_PENDING_SEND_SZ) == 0) {
            return false; // a producer without the feature polls and must not be signalled
        }
        // Full fence: the read_index store must be visible before pending_send_sz is loaded (store->load),
        // or the producer may arm it after our load but read our old index: a lost wakeup.
        VarHandle.fullFence();
        int pending = ring.pendingSendSizeVolatile();
        if (pending == 0) {
            return false;
        }
        // Load-load: pending_send_sz before write_index, the order the kernel comment requires.
        VarHandle.loadLoadFence();
        int w = ring.writeIndexVolatile();
        if (!ring.validIndex(w)) {
            fail(RingFault.Kind.WRITE_INDEX_INVALID, "write_index=" + w + " dsize=" + ring.dataSize());
            return false;
        }
        int currentFree = ring.bytesToWrite(w, end);
        int bytesRead = end >= start ? end - start : ring.dataSize() - start + end;
        // u32 arithmetic: if the producer refilled the ring meanwhile, this wraps to a huge value = no signal.
        if (Integer.compareUnsigned(currentFree - bytesRead, pending) > 0) {
            return false; // it already had enough before this batch: it was not blocked on us
        }
        if (Integer.compareUnsigned(currentFree, pending) <= 0) {
            return false; // still not enough (equal is not enough: a ring is never filled completely)
        }
        intrInFull++;
        return true;
    }

    /** {@code hv_begin_read}: asks the producer not to interrupt while we drain. */
    public void mask() {
        ring.interruptMaskVolatile(1);
        // Full fence: the mask store is ordered before the packet reads that follow.
        VarHandle.fullFence();
    }

    /**
     * {@code hv_end_read}: allows interrupts again and re-checks. A non-zero result means packets arrived while
     * masked; the producer will not interrupt for them, so the caller must drain again.
     *
     * @return bytes waiting after unmasking (1 if the peer's index is impossible, so the next peek reports it)
     */
    public int unmask() {
        ring.interruptMaskVolatile(0);
        // Full fence: the unmask store must be visible before we re-read write_index (store->load).
        VarHandle.fullFence();
        int w = ring.writeIndexAcquire();
        return ring.validIndex(w) ? ring.bytesToRead(w, readPos) : 1;
    }

    /** True if the consumer has interrupts masked right now (as stored in the shared header). */
    public boolean masked() {
        return ring.interruptMaskVolatile() != 0;
    }

    /** Bytes published by the producer and not yet consumed, from the private read position. */
    public int bytesAvailable() {
        int w = ring.writeIndexAcquire();
        return ring.validIndex(w) ? ring.bytesToRead(w, readPos) : 0;
    }

    public RingFault fault() {
        return fault;
    }

    public int readPosition() {
        return readPos;
    }

    public long packets() {
        return packets;
    }

    public long bytes() {
        return bytes;
    }

    /** Linux {@code intr_in_full}: signals owed because the blocked producer now has room. */
    public long intrInFull() {
        return intrInFull;
    }

    /** Packets (or indices) rejected as malformed. */
    public long malformed() {
        return malformed;
    }
}
