package dev.vmbus.ic.timesync;

/**
 * The partition reference counter both sides of timesync read (100-ns ticks): the host stamps each v4 sample
 * with it, and the guest extrapolates the host's time by how far it has moved since (spec section 5.2).
 *
 * <p>Hyper-V's counter is not readable from a Linux process, so {@link #MONOTONIC} stands in for it:
 * {@code CLOCK_MONOTONIC} is one clock for every process on a machine, which is what the in-process and
 * {@code shm} hosts stamp samples with.
 */
@FunctionalInterface
public interface ReferenceClock {
    /** {@code System.nanoTime()} (CLOCK_MONOTONIC) in 100-ns ticks. */
    ReferenceClock MONOTONIC = () -> System.nanoTime() / 100;

    /** The counter now, in 100-ns ticks. */
    long ticks();
}
