package dev.vmbus.spi;

import dev.vmbus.transport.ChannelBuffer;

import java.lang.foreign.MemorySegment;

/**
 * A channel's send buffer cut into equal sections (NVSP's "chimney": the host names the section size in its
 * send-buffer reply, the guest puts a message in a free section and names its index, and takes it back when the
 * host completes the message). What {@link ChannelPort#sendSections} returns; its use is on the dashboard.
 *
 * <p>Take a section, write into {@link #section(int)}, send, and {@link #give(int)} it back on the completion:
 * <pre>{@code
 * int i = sections.take();                       // -1: none free, wait for a completion
 * sections.section(i).copyFrom(MemorySegment.ofArray(frame));
 * port.send(...naming section i...);              // the protocol's message
 * ... on its completion: sections.give(i);
 * }</pre>
 *
 * <p>Threads: safe from any thread (a device's subchannels share their primary's send buffer); each call is short.
 */
public final class SendSections {
    private final ChannelBuffer buffer;
    private final int sectionSize;
    private final int count;
    private final long[] taken;
    private int inUse;
    /** Where the next search for a free section starts (the word after the last one taken from). */
    private int hint;

    /**
     * @param buffer      the channel's send buffer
     * @param sectionSize bytes per section, as the host said (at least 1, at most the buffer's size)
     * @throws IllegalArgumentException for a send buffer of another kind, or a size that does not fit
     */
    public SendSections(ChannelBuffer buffer, int sectionSize) {
        if (buffer.kind() != ChannelBuffer.Kind.SEND) {
            throw new IllegalArgumentException(buffer.name() + " is not a send buffer");
        }
        if (sectionSize < 1 || sectionSize > buffer.size()) {
            throw new IllegalArgumentException("section size " + Integer.toUnsignedString(sectionSize)
                    + " does not fit " + buffer.name() + " (" + buffer.size() + " bytes)");
        }
        this.buffer = buffer;
        this.sectionSize = sectionSize;
        this.count = (int) Math.min(Integer.MAX_VALUE, buffer.size() / sectionSize);
        this.taken = new long[(count + 63) / 64];
    }

    public ChannelBuffer buffer() {
        return buffer;
    }

    public int sectionSize() {
        return sectionSize;
    }

    /** Sections in the buffer ({@code size / sectionSize}; a remainder is not used). */
    public int count() {
        return count;
    }

    /** How many sections are in use, of how many, at one moment. */
    public record Use(int inUse, int count, int sectionSize) {
    }

    /** A snapshot of {@link #inUse()} with the buffer's shape. */
    public synchronized Use use() {
        return new Use(inUse, count, sectionSize);
    }

    /** Sections taken and not given back. */
    public synchronized int inUse() {
        return inUse;
    }

    /** Takes a free section; -1 if every section is in use. */
    public synchronized int take() {
        if (inUse == count) {
            return -1;
        }
        for (int n = 0; n < taken.length; n++) {
            int w = (hint + n) % taken.length;
            long free = ~taken[w];
            if (w == taken.length - 1 && count % 64 != 0) {
                free &= (1L << (count % 64)) - 1;
            }
            if (free != 0) {
                int bit = Long.numberOfTrailingZeros(free);
                taken[w] |= 1L << bit;
                inUse++;
                hint = w;
                return w * 64 + bit;
            }
        }
        throw new IllegalStateException("send sections: " + inUse + " of " + count + " in use but none free");
    }

    /**
     * Gives section {@code index} back.
     *
     * @throws IllegalArgumentException for an index outside the buffer or a section not taken (given back twice)
     */
    public synchronized void give(int index) {
        check(index);
        long bit = 1L << (index % 64);
        if ((taken[index / 64] & bit) == 0) {
            throw new IllegalArgumentException("send section " + index + " of " + buffer.name() + " is not in use");
        }
        taken[index / 64] &= ~bit;
        inUse--;
    }

    /** Offset of section {@code index} in the send buffer: what the protocol names. */
    public long offset(int index) {
        check(index);
        return (long) index * sectionSize;
    }

    /** Section {@code index}'s memory, {@link #sectionSize()} bytes of the shared send buffer. */
    public MemorySegment section(int index) {
        return buffer.slice(offset(index), sectionSize);
    }

    private void check(int index) {
        if (index < 0 || index >= count) {
            throw new IllegalArgumentException("send section " + index + " is outside " + buffer.name() + " ("
                    + count + " sections of " + sectionSize + " bytes)");
        }
    }

    @Override
    public synchronized String toString() {
        return "SendSections[" + buffer.name() + ", " + inUse + "/" + count + " of " + sectionSize + " bytes]";
    }
}
