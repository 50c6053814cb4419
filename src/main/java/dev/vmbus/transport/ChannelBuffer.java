package dev.vmbus.transport;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A channel's receive or send buffer: memory the guest and the host share besides the rings, already known to the
 * host by a GPADL handle. {@code uio_hv_generic} shows them as uio maps 3 and 4, named {@code recv:N} and
 * {@code send:N} with N the handle in decimal (spec netvsc-and-buffers.md section 2.1); {@code shm} and {@code sim}
 * name theirs the same way, so one parser serves every transport. A device protocol quotes the handle (NVSP's
 * send-receive-buffer and send-send-buffer messages) and then names places in the buffer by offset.
 *
 * <p>Every access is bounds-checked against the buffer before memory is touched: offsets and lengths come from a
 * host that may be hostile, so they are taken as unsigned 32-bit values widened to {@code long} (no overflow) and
 * a range that does not lie wholly inside the buffer fails with {@link OutOfBufferException} naming the values.
 * The host may write the buffer at any time; copy what you validate.
 *
 * <p>Threads: immutable; the memory is shared, and its contents are the protocol's business.
 */
public final class ChannelBuffer {

    /** Which of the two buffers: its uio map index and name prefix. */
    public enum Kind {
        /** The receive buffer (host to guest, transfer pages): uio map 3, {@code recv:N}. */
        RECEIVE(3, "recv"),
        /** The send buffer (guest to host, sections): uio map 4, {@code send:N}. */
        SEND(4, "send");

        private final int map;
        private final String prefix;

        Kind(int map, String prefix) {
            this.map = map;
            this.prefix = prefix;
        }

        /** The uio map index that holds this buffer: 3 or 4. */
        public int map() {
            return map;
        }

        /** {@code recv} or {@code send}. */
        public String prefix() {
            return prefix;
        }

        /** The kind whose uio map index is {@code map}. */
        public static Kind ofMap(int map) {
            for (Kind k : values()) {
                if (k.map == map) {
                    return k;
                }
            }
            throw new IllegalArgumentException("uio map " + map + " is not a channel buffer (3 is recv, 4 is send)");
        }
    }

    /** A parsed buffer name: its kind and GPADL handle (unsigned 32 bits, held in an int). */
    public record Name(Kind kind, int gpadl) {
        /** {@code recv:925201}: the handle in decimal, as {@code uio_hv_generic} prints it ({@code %u}). */
        @Override
        public String toString() {
            return kind.prefix() + ":" + Integer.toUnsignedString(gpadl);
        }
    }

    /** Longest decimal form of a u32. */
    private static final int MAX_DIGITS = 10;

    private final Name name;
    private final MemorySegment memory;

    /**
     * @param name   the buffer's kind and handle
     * @param memory the whole buffer, mapped; its size is the buffer's size
     */
    public ChannelBuffer(Name name, MemorySegment memory) {
        if (name == null || memory == null) {
            throw new IllegalArgumentException("a channel buffer needs a name and memory");
        }
        if (memory.byteSize() == 0) {
            throw new IllegalArgumentException("channel buffer " + name + " is empty");
        }
        this.name = name;
        this.memory = memory;
    }

    /**
     * Parses a buffer name as uio's {@code maps/mapN/name} shows it: {@code recv:} or {@code send:} followed by the
     * GPADL handle in decimal (1 to 10 digits, at most 4294967295). Surrounding white space (the trailing newline
     * of a sysfs attribute) is ignored; anything else is refused with the reason.
     *
     * @param expected the kind the map index says it must be, or null to accept either
     * @throws IllegalArgumentException naming the text and what is wrong with it
     */
    public static Name parseName(String text, Kind expected) {
        if (text == null) {
            throw new IllegalArgumentException("no buffer name");
        }
        String s = text.strip();
        int colon = s.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("buffer name '" + s + "' is not recv:N or send:N");
        }
        String prefix = s.substring(0, colon);
        Kind kind = null;
        for (Kind k : Kind.values()) {
            if (k.prefix().equals(prefix)) {
                kind = k;
            }
        }
        if (kind == null) {
            throw new IllegalArgumentException("buffer name '" + s + "' starts with '" + prefix
                    + "', not recv or send");
        }
        if (expected != null && kind != expected) {
            throw new IllegalArgumentException("buffer name '" + s + "' names a " + kind.prefix()
                    + " buffer where map " + expected.map() + " holds the " + expected.prefix() + " buffer");
        }
        String digits = s.substring(colon + 1);
        if (digits.isEmpty() || digits.length() > MAX_DIGITS || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("buffer name '" + s + "': the GPADL handle after the colon must be"
                    + " 1 to " + MAX_DIGITS + " decimal digits");
        }
        long handle = Long.parseLong(digits);
        if (handle > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("buffer name '" + s + "': GPADL handle " + handle
                    + " does not fit in 32 bits");
        }
        return new Name(kind, (int) handle);
    }

    public Name name() {
        return name;
    }

    public Kind kind() {
        return name.kind();
    }

    /** The GPADL handle, unsigned 32 bits held in an int ({@link Integer#toUnsignedLong} for arithmetic). */
    public int gpadl() {
        return name.gpadl();
    }

    /** Bytes in the buffer. */
    public long size() {
        return memory.byteSize();
    }

    /** Whether {@code [offset, offset + length)} lies wholly inside the buffer (both taken as given, no wrap). */
    public boolean contains(long offset, long length) {
        return offset >= 0 && length >= 0 && offset <= memory.byteSize() && length <= memory.byteSize() - offset;
    }

    /** Throws unless {@code [offset, offset + length)} lies wholly inside the buffer. */
    public void check(long offset, long length) {
        if (!contains(offset, length)) {
            throw new OutOfBufferException(this, offset, length);
        }
    }

    /**
     * The bytes {@code [offset, offset + length)} in place (no copy), after checking they lie inside the buffer.
     * The peer can change them at any time: copy a field before validating it.
     */
    public MemorySegment slice(long offset, long length) {
        check(offset, length);
        return memory.asSlice(offset, length);
    }

    /** Copies {@code length} bytes at {@code offset} out of the buffer. */
    public byte[] read(long offset, int length) {
        check(offset, length);
        byte[] out = new byte[length];
        MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, offset, out, 0, length);
        return out;
    }

    /** Copies {@code bytes} into the buffer at {@code offset}. */
    public void write(long offset, byte[] bytes) {
        check(offset, bytes.length);
        MemorySegment.copy(bytes, 0, memory, ValueLayout.JAVA_BYTE, offset, bytes.length);
    }

    /** Copies {@code source} into the buffer at {@code offset}. */
    public void write(long offset, MemorySegment source) {
        check(offset, source.byteSize());
        MemorySegment.copy(source, 0, memory, offset, source.byteSize());
    }

    @Override
    public String toString() {
        return name + " (" + memory.byteSize() + " bytes)";
    }

    /** A range a peer named that is not wholly inside the buffer; nothing was read or written. */
    public static final class OutOfBufferException extends IndexOutOfBoundsException {
        private final transient ChannelBuffer buffer;
        private final long offset;
        private final long length;

        OutOfBufferException(ChannelBuffer buffer, long offset, long length) {
            super("range of " + length + " bytes at offset " + offset + " is outside " + buffer.name + ", which has "
                    + buffer.size() + " bytes");
            this.buffer = buffer;
            this.offset = offset;
            this.length = length;
        }

        public ChannelBuffer buffer() {
            return buffer;
        }

        public long offset() {
            return offset;
        }

        public long length() {
            return length;
        }
    }
}
