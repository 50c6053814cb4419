package dev.vmbus.ring;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One ring's shared memory: the header page and the data area, with the ordered accessors for the header
 * fields and the wrap-splitting copies for the data. It holds no state of its own beyond the two segments (and a
 * buffer view of each), so a host and a guest (or two processes mapping the same file) can each build one over
 * the same memory.
 *
 * <p>Header fields are read and written as single aligned 32-bit accesses through a {@link VarHandle}; the
 * peer may change them at any moment, so callers read each one once into a local and validate it there (the
 * kernel's {@code READ_ONCE}); a value kept past that (the reader's last {@code write_index}) is only a bound
 * already validated, never re-read in place of a fresh load.
 *
 * <p>The data area's words and copies go through a little-endian {@link ByteBuffer} view of the segment, not the
 * segment's own accessors: the same memory, session and bounds checks, through far fewer layers under the agent's
 * C1-only JIT, where the segment accessors' enclosing-layout and alignment checks were the largest single item of
 * a sim stream's profile (docs/benchmarks/stream.md). An access after the memory's session closed throws
 * {@link IllegalStateException} either way.
 */
public final class Ring {
    static final ValueLayout.OfLong U64_UNALIGNED = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /**
     * The header's 32-bit fields, through a little-endian view of the header page ({@link #fields}): the same
     * aligned single accesses with the same ordering modes as a memory segment's handle, through fewer layers
     * under the agent's C1-only JIT (docs/benchmarks/stream.md).
     */
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment header;
    private final ByteBuffer fields;
    private final MemorySegment data;
    /** The data area as a little-endian buffer, for the word accesses and the copies (see {@link #putWord}). */
    private final ByteBuffer words;
    private final int dataSize;

    /**
     * @param ring       the whole ring: header page followed by the data area
     * @param headerSize the header length, which is the guest kernel's page size, which the transport knows
     */
    public Ring(MemorySegment ring, int headerSize) {
        if (headerSize < RingLayout.HV_HYP_PAGE_SIZE || Integer.bitCount(headerSize) != 1) {
            throw new IllegalArgumentException("header size must be a power of two >= 4096, got " + headerSize);
        }
        long dsize = ring.byteSize() - headerSize;
        if (dsize < 2L * RingLayout.ALIGNMENT * 4 || dsize % RingLayout.ALIGNMENT != 0 || dsize > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException("ring of " + ring.byteSize() + " bytes with a " + headerSize
                    + "-byte header leaves an unusable data area of " + dsize + " bytes");
        }
        if (ring.address() % RingLayout.ALIGNMENT != 0) {
            throw new IllegalArgumentException("ring memory must be 8-byte aligned, address 0x"
                    + Long.toHexString(ring.address()));
        }
        this.header = ring.asSlice(0, headerSize);
        this.data = ring.asSlice(headerSize, dsize);
        this.dataSize = (int) dsize;
        this.words = data.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        this.fields = header.asByteBuffer();
    }

    /** Zeroes the first 4096 header bytes, sets both indices to 0 and {@code feature_bits} to 1, as
     * {@code hv_ringbuffer_init} does on every open. The data area is left alone. */
    public void initialize() {
        header.asSlice(0, RingLayout.HV_HYP_PAGE_SIZE).fill((byte) 0);
        INT.setVolatile(fields, RingLayout.FEATURE_BITS_OFFSET, RingLayout.FEAT_PENDING_SEND_SZ);
    }

    public int dataSize() {
        return dataSize;
    }

    public MemorySegment header() {
        return header;
    }

    MemorySegment data() {
        return data;
    }

    // ---- header fields -------------------------------------------------------------------------------------

    int writeIndexAcquire() {
        return (int) INT.getAcquire(fields, RingLayout.WRITE_INDEX_OFFSET);
    }

    int writeIndexVolatile() {
        return (int) INT.getVolatile(fields, RingLayout.WRITE_INDEX_OFFSET);
    }

    void writeIndexRelease(int value) {
        INT.setRelease(fields, RingLayout.WRITE_INDEX_OFFSET, value);
    }

    int readIndexAcquire() {
        return (int) INT.getAcquire(fields, RingLayout.READ_INDEX_OFFSET);
    }

    int readIndexVolatile() {
        return (int) INT.getVolatile(fields, RingLayout.READ_INDEX_OFFSET);
    }

    void readIndexRelease(int value) {
        INT.setRelease(fields, RingLayout.READ_INDEX_OFFSET, value);
    }

    int interruptMaskVolatile() {
        return (int) INT.getVolatile(fields, RingLayout.INTERRUPT_MASK_OFFSET);
    }

    void interruptMaskVolatile(int value) {
        INT.setVolatile(fields, RingLayout.INTERRUPT_MASK_OFFSET, value);
    }

    int pendingSendSizeVolatile() {
        return (int) INT.getVolatile(fields, RingLayout.PENDING_SEND_SZ_OFFSET);
    }

    void pendingSendSizeVolatile(int value) {
        INT.setVolatile(fields, RingLayout.PENDING_SEND_SZ_OFFSET, value);
    }

    int featureBitsVolatile() {
        return (int) INT.getVolatile(fields, RingLayout.FEATURE_BITS_OFFSET);
    }

    /** Sets this side's feature bits (the guest writes 1 on both headers at open). */
    public void featureBits(int value) {
        INT.setVolatile(fields, RingLayout.FEATURE_BITS_OFFSET, value);
    }

    // ---- index arithmetic (hv_get_bytes_to_write / hv_get_bytes_to_read) ------------------------------------

    /** Free bytes for the producer: {@code dsize - (w - r)} when {@code w >= r}, else {@code r - w}. */
    int bytesToWrite(int w, int r) {
        return w >= r ? dataSize - (w - r) : r - w;
    }

    /** Bytes between {@code r} and {@code w}, with wrap. */
    int bytesToRead(int w, int r) {
        return w >= r ? w - r : dataSize - r + w;
    }

    /** {@code idx += n; if (idx >= dsize) idx -= dsize}: one subtraction, never a modulo. */
    int advance(int index, int n) {
        int next = index + n;
        return next >= dataSize ? next - dataSize : next;
    }

    /** True if {@code index} is one a well-behaved peer could have written. */
    boolean validIndex(int index) {
        return index >= 0 && index < dataSize && (index & (RingLayout.ALIGNMENT - 1)) == 0;
    }

    /**
     * An index read when attaching an end: {@code index} itself if it is valid, else an exception that names the
     * field ({@code read_index} or {@code write_index}).
     */
    int attachIndex(int index, String field) {
        if (!validIndex(index)) {
            throw new IllegalStateException("ring " + field + " " + index + " is not an 8-aligned offset below dsize "
                    + dataSize());
        }
        return index;
    }

    // ---- data area: copies split at the wrap point ---------------------------------------------------------

    /** Copies {@code length} bytes from {@code src} into the data area at {@code pos}, wrapping. */
    void copyIn(int pos, MemorySegment src, long srcOffset, int length) {
        int first = Math.min(length, dataSize - pos);
        MemorySegment.copy(src, srcOffset, data, pos, first);
        if (first < length) {
            MemorySegment.copy(src, srcOffset + first, data, 0, length - first);
        }
    }

    /** Copies {@code length} bytes from {@code src} into the data area at {@code pos}, wrapping. */
    void copyIn(int pos, byte[] src, int srcOffset, int length) {
        int first = Math.min(length, dataSize - pos);
        words.put(pos, src, srcOffset, first);
        if (first < length) {
            words.put(0, src, srcOffset + first, length - first);
        }
    }

    /** Copies {@code length} bytes of the data area starting at {@code pos} into {@code dst}, wrapping. */
    void copyOut(int pos, MemorySegment dst, long dstOffset, int length) {
        int first = Math.min(length, dataSize - pos);
        MemorySegment.copy(data, pos, dst, dstOffset, first);
        if (first < length) {
            MemorySegment.copy(data, 0, dst, dstOffset + first, length - first);
        }
    }

    /** Copies {@code length} bytes of the data area starting at {@code pos} into {@code dst}, wrapping. */
    void copyOut(int pos, byte[] dst, int dstOffset, int length) {
        int first = Math.min(length, dataSize - pos);
        words.get(pos, dst, dstOffset, first);
        if (first < length) {
            words.get(0, dst, dstOffset + first, length - first);
        }
    }

    /**
     * An 8-byte store at an 8-aligned {@code pos} (so it never straddles the wrap point). The data area is
     * 8-aligned (checked in the constructor) and every position is, so the buffer's plain store is one aligned
     * access.
     */
    void putWord(int pos, long value) {
        words.putLong(pos, value);
    }

    /** Stores {@code words[0, count)} from the 8-aligned {@code pos} on, wrapping; returns the position after them. */
    int putWords(int pos, long[] words, int count) {
        for (int i = 0; i < count; i++) {
            putWord(pos, words[i]);
            pos = advance(pos, 8);
        }
        return pos;
    }

    /**
     * An 8-byte load at an 8-aligned {@code pos}: one aligned access (a snapshot the peer cannot tear), as
     * {@link #putWord} says.
     */
    long getWord(int pos) {
        return words.getLong(pos);
    }

    /** Zeroes {@code length < 8} bytes at {@code pos} (packet padding; never wraps, see the writer). */
    void zero(int pos, int length) {
        for (int i = 0; i < length; i++) {
            data.set(ValueLayout.JAVA_BYTE, pos + i, (byte) 0);
        }
    }

    /** The header values and derived figures as they are now, for display. */
    public RingSnapshot snapshot() {
        int w = writeIndexVolatile();
        int r = readIndexVolatile();
        boolean sane = validIndex(w) && validIndex(r);
        int toRead = sane ? bytesToRead(w, r) : -1;
        int toWrite = sane ? bytesToWrite(w, r) : -1;
        return new RingSnapshot(w, r, interruptMaskVolatile(), pendingSendSizeVolatile(), featureBitsVolatile(),
                dataSize, toRead, toWrite, header.byteSize() + dataSize);
    }
}
