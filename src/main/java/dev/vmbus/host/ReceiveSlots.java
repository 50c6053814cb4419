package dev.vmbus.host;

import dev.vmbus.ring.TransferPageRanges;
import dev.vmbus.transport.ChannelBuffer;

import java.util.List;

/**
 * The simulated host's side of a receive buffer, as netvsp carves it (spec netvsc-and-buffers.md section 3.6): the
 * buffer is cut into {@code count} slots of {@code slotSize} bytes; the host copies each message into a free slot,
 * sends one transfer-page packet per batch with a range per slot and the first slot's id as transaction id, and
 * frees the batch's slots when the guest completes that id. A completion for an id the host did not issue (or
 * already saw completed) changes nothing and is reported, as netvsp's {@code InvalidRndisPacketCompletion} is.
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
    /** By transaction id, which is a batch's first slot: that batch's slots while it is outstanding, else null. */
    private final int[][] outstanding;
    private int outstandingCount;
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
        this.outstanding = new int[count][];
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
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a transfer-page packet needs at least one range");
        }
        for (byte[] m : messages) {
            if (m.length == 0 || m.length > slotSize) {
                throw new IllegalArgumentException("a message of " + m.length + " bytes does not fill a slot of "
                        + slotSize);
            }
        }
        if (messages.size() > freeCount) {
            return null;
        }
        int[] slots = new int[messages.size()];
        TransferPageRanges ranges = new TransferPageRanges(messages.size()).reset(pageSetId, false);
        for (int i = 0; i < slots.length; i++) {
            slots[i] = free[freeHead];
            freeHead = freeHead + 1 == count ? 0 : freeHead + 1;
            freeCount--;
            long offset = (long) slots[i] * slotSize;
            buffer.write(offset, messages.get(i));
            boolean corrupt = pastBufferNext && i == slots.length - 1;
            ranges.add(messages.get(i).length, (int) (corrupt ? buffer.size() : offset));
        }
        pastBufferNext = false;
        outstanding[slots[0]] = slots;
        outstandingCount++;
        return new Batch(slots[0], ranges, slots);
    }

    /**
     * The guest completed {@code transactionId}: frees that batch's slots. Returns false, changing nothing, when
     * no batch with that id is outstanding (never issued, or completed already).
     */
    public boolean complete(long transactionId) {
        int[] slots = transactionId >= 0 && transactionId < count ? outstanding[(int) transactionId] : null;
        if (slots == null) {
            unknownCompletions++;
            return false;
        }
        outstanding[(int) transactionId] = null;
        outstandingCount--;
        for (int s : slots) {
            int tail = freeHead + freeCount;
            free[tail >= count ? tail - count : tail] = s;
            freeCount++;
        }
        return true;
    }
}
