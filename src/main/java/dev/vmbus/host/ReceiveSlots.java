package dev.vmbus.host;

import dev.vmbus.ring.TransferPageRanges;
import dev.vmbus.transport.ChannelBuffer;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The simulated host's side of a receive buffer, as netvsp carves it (spec netvsc-and-buffers.md section 3.6): the
 * buffer is cut into {@code count} slots of {@code slotSize} bytes; the host copies each message into a free slot,
 * sends one transfer-page packet per batch with a range per slot and the first slot's id as transaction id, and
 * frees the batch's slots when the guest completes that id. A completion for an id the host did not issue (or
 * already saw completed) changes nothing and is reported, as netvsp's {@code InvalidRndisPacketCompletion} is.
 *
 * <p>A host that streams writes messages in place instead ({@link #take}, then {@link #close}): each taken slot is
 * the next range of the batch being filled, and closing it makes it outstanding, as {@link #fill} does.
 *
 * <p>Fault knob: {@link #rangePastBuffer()} makes the next batch's last range start at the buffer's end, which a
 * guest must refuse without reading outside the buffer.
 *
 * <p>Threads: one context (the host channel's) owns an instance.
 */
public final class ReceiveSlots {
    /** A batch ready to send: its transaction id (the first slot's id) and its ranges. */
    public record Batch(long transactionId, TransferPageRanges ranges, int[] slots) {
    }

    private final ChannelBuffer buffer;
    private final int slotSize;
    private final int count;
    // Free slots, first in first out: a ring of slot numbers (no boxing; this runs per packet).
    private final int[] free;
    private int freeHead;
    private int freeCount;
    /**
     * The outstanding batches, without an allocation per batch: {@code head[s]} is true while slot {@code s} is the
     * first slot (and so the transaction id) of an outstanding batch, and {@code next[s]} links a batch's slots in
     * order, -1 after its last.
     */
    private final boolean[] head;
    private final int[] next;
    private int outstandingCount;
    /** The batch being filled in place: its first and last slot (-1 for none), its slots, and each slot's length. */
    private int openFirst = -1;
    private int openLast = -1;
    private int openCount;
    private final int[] lengthOf;
    private final MemorySegment memory;
    private boolean pastBufferNext;
    private long unknownCompletions;

    /**
     * @param buffer   the channel's receive buffer, as the host maps it
     * @param slotSize bytes per slot (netvsp: 256 + MTU + 36); the buffer holds {@code size / slotSize} of them
     */
    public ReceiveSlots(ChannelBuffer buffer, int slotSize) {
        if (buffer.kind() != ChannelBuffer.Kind.RECEIVE) {
            throw new IllegalArgumentException(buffer.name() + " is not a receive buffer");
        }
        if (slotSize <= 0 || slotSize > buffer.size()) {
            throw new IllegalArgumentException("slot size " + slotSize + " does not fit " + buffer);
        }
        long n = buffer.size() / slotSize;
        this.buffer = buffer;
        this.slotSize = slotSize;
        this.count = (int) Math.min(n, Integer.MAX_VALUE);
        this.free = new int[count];
        this.head = new boolean[count];
        this.next = new int[count];
        this.lengthOf = new int[count];
        this.memory = buffer.slice(0, buffer.size());
        for (int i = 0; i < count; i++) {
            free[i] = i;
        }
        this.freeCount = count;
    }

    public int slotSize() {
        return slotSize;
    }

    public int count() {
        return count;
    }

    /** Slots not held by an outstanding batch. */
    public int free() {
        return freeCount;
    }

    /** Batches sent and not yet completed. */
    public int outstanding() {
        return outstandingCount;
    }

    /** Completions that named no outstanding batch. */
    public long unknownCompletions() {
        return unknownCompletions;
    }

    /** The receive buffer, where {@link #take}'s offsets point. */
    public MemorySegment memory() {
        return memory;
    }

    /** Slots taken for the batch being filled in place, not yet {@link #close closed}. */
    public int openCount() {
        return openCount;
    }

    /** Fault knob: the next batch's last range starts at the end of the buffer. */
    public void rangePastBuffer() {
        pastBufferNext = true;
    }

    /**
     * Copies each message into a slot of its own and returns the batch to send with page set {@code pageSetId},
     * or null (nothing copied) when fewer slots are free than messages, which is the protocol's back-pressure: the
     * guest holds slots until it completes them.
     *
     * @throws IllegalArgumentException for an empty list or a message longer than a slot
     */
    public Batch fill(List<byte[]> messages, int pageSetId) {
        TransferPageRanges ranges = new TransferPageRanges(Math.max(1, messages.size()));
        long id = fill(messages, pageSetId, ranges);
        if (id < 0) {
            return null;
        }
        int[] slots = new int[ranges.count()];
        for (int i = 0, s = (int) id; i < slots.length; i++, s = next[s]) {
            slots[i] = s;
        }
        return new Batch(id, ranges, slots);
    }

    /**
     * As {@link #fill(List, int)} without allocating (what a host that streams uses): the batch's ranges are written
     * into {@code ranges} (reset first), and its transaction id is returned, or -1 (nothing copied, {@code ranges}
     * untouched) when fewer slots are free than messages.
     *
     * @throws IllegalArgumentException for an empty list or a message longer than a slot
     */
    public long fill(List<byte[]> messages, int pageSetId, TransferPageRanges ranges) {
        int n = messages.size();
        if (n == 0) {
            throw new IllegalArgumentException("a transfer-page packet needs at least one range");
        }
        for (int i = 0; i < n; i++) {
            byte[] m = messages.get(i);
            if (m.length == 0 || m.length > slotSize) {
                throw new IllegalArgumentException("a message of " + m.length + " bytes does not fill a slot of "
                        + slotSize);
            }
        }
        if (openCount > 0) {
            throw new IllegalStateException("a batch is being filled in place (" + openCount + " slots taken)");
        }
        if (n > freeCount) {
            return -1;
        }
        for (int i = 0; i < n; i++) {
            byte[] m = messages.get(i);
            buffer.write(take(m.length), m);
        }
        return close(pageSetId, ranges);
    }

    /**
     * Takes a free slot as the next range of the batch being filled in place, for a message of {@code length} bytes
     * the caller writes at the returned offset of {@link #memory()}; -1 (nothing taken) when no slot is free.
     *
     * @throws IllegalArgumentException for a message that is empty or longer than a slot
     */
    public long take(int length) {
        if (length <= 0 || length > slotSize) {
            throw new IllegalArgumentException("a message of " + length + " bytes does not fill a slot of " + slotSize);
        }
        if (freeCount == 0) {
            return -1;
        }
        int slot = free[freeHead];
        freeHead = freeHead + 1 == count ? 0 : freeHead + 1;
        freeCount--;
        if (openLast < 0) {
            openFirst = slot;
        } else {
            next[openLast] = slot;
        }
        openLast = slot;
        next[slot] = -1;
        lengthOf[slot] = length;
        openCount++;
        return (long) slot * slotSize;
    }

    /**
     * Ends the batch filled in place: its ranges, in the order the slots were taken, are written into {@code ranges}
     * (reset first, page set {@code pageSetId}), it becomes outstanding, and its transaction id is returned.
     *
     * @throws IllegalStateException when no slot was taken since the last batch
     */
    public long close(int pageSetId, TransferPageRanges ranges) {
        if (openCount == 0) {
            throw new IllegalStateException("no batch is being filled: a transfer-page packet needs a range");
        }
        ranges.reset(pageSetId, false);
        for (int s = openFirst; s >= 0; s = next[s]) {
            long offset = (long) s * slotSize;
            boolean corrupt = pastBufferNext && next[s] < 0;
            ranges.add(lengthOf[s], (int) (corrupt ? buffer.size() : offset));
        }
        pastBufferNext = false;
        int first = openFirst;
        head[first] = true;
        outstandingCount++;
        openFirst = -1;
        openLast = -1;
        openCount = 0;
        return first;
    }

    /**
     * The guest completed {@code transactionId}: frees that batch's slots. Returns false, changing nothing, when
     * no batch with that id is outstanding (never issued, or completed already).
     */
    public boolean complete(long transactionId) {
        if (transactionId < 0 || transactionId >= count || !head[(int) transactionId]) {
            unknownCompletions++;
            return false;
        }
        head[(int) transactionId] = false;
        outstandingCount--;
        for (int s = (int) transactionId; s >= 0; s = next[s]) {
            int tail = freeHead + freeCount;
            free[tail >= count ? tail - count : tail] = s;
            freeCount++;
        }
        return true;
    }
}
