package dev.vmbus.ic.timesync;

import dev.vmbus.os.Clocks;

/**
 * A clock counted in 100-ns ticks: the host's partition reference counter, or the guest clock the agent reads
 * in its place.
 *
 * <p>Timesync v4 samples carry the partition reference counter (100 ns since the partition was created) at the
 * moment the host took {@code parenttime}; Linux reads the same counter ({@code hv_read_reference_counter}) to
 * move the host's time forward to now (spec section 5.2). A Linux process cannot read that counter (the kernel
 * maps the reference TSC page read-only into the vDSO area, but turning it into ticks needs {@code rdtsc}, and
 * {@code clock_gettime} returns converted times, never the counter), so the agent reads
 * CLOCK_MONOTONIC_RAW ({@link Clocks#monotonicRawTicks}) instead and learns how far the counter is from it with {@link CounterEpoch}.
 */
@FunctionalInterface
public interface ReferenceClock {
    /** The guest's CLOCK_MONOTONIC_RAW in 100-ns ticks. */
    ReferenceClock MONOTONIC_RAW = Clocks::monotonicRawTicks;

    /** The clock now, in 100-ns ticks. */
    long ticks();
}
