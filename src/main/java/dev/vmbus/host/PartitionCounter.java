package dev.vmbus.host;

import dev.vmbus.os.Clocks;

/**
 * The simulated partition's reference counter (100-ns ticks since the partition was created), which the host
 * stamps into every timesync v4 sample as {@code vmreferencetime}. A real partition is created before the
 * guest's kernel starts its clocks, so the counter runs ahead of the guest's monotonic clock by the time
 * firmware and boot took; here it is this machine's CLOCK_MONOTONIC_RAW plus a configurable lead
 * ({@code host.referenceCounterAheadMs}). It runs at the raw clock's rate, as a real counter runs at the
 * hardware's.
 *
 * <p>{@link #stepMillis} moves it against the guest's clock, as a guest suspend (the counter keeps running while
 * the guest's clocks stop: a step forward) or a hibernation resumed in a new partition (the counter starts again
 * from zero: a step back) does.
 *
 * <p>Not thread-safe: used on the host's context.
 */
public final class PartitionCounter {
    private long aheadTicks;

    /** @param aheadMs how far the counter is ahead of this machine's CLOCK_MONOTONIC_RAW, at least 0 */
    public PartitionCounter(long aheadMs) {
        if (aheadMs < 0) {
            throw new IllegalArgumentException("a partition reference counter starts before the guest's clock; "
                    + "referenceCounterAheadMs must be at least 0, got " + aheadMs);
        }
        this.aheadTicks = Math.multiplyExact(aheadMs, 10_000L);
    }

    /** The counter now, in 100-ns ticks. */
    public long ticks() {
        return Clocks.monotonicRawTicks() + aheadTicks;
    }

    /** How far the counter is ahead of this machine's CLOCK_MONOTONIC_RAW, in milliseconds. */
    public double aheadMillis() {
        return aheadTicks / 1e4;
    }

    /**
     * Moves the counter by {@code deltaMs} against the guest's clock.
     *
     * @throws IllegalArgumentException if that would put the counter below zero (it never is)
     */
    public void stepMillis(long deltaMs) {
        long next = Math.addExact(aheadTicks, Math.multiplyExact(deltaMs, 10_000L));
        if (Clocks.monotonicRawTicks() + next < 0) {
            throw new IllegalArgumentException("stepping the reference counter by " + deltaMs
                    + " ms would make it negative");
        }
        aheadTicks = next;
    }
}
