package dev.vmbus.ic.timesync;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the guest keeps of the host's clock, as Linux does (spec section 5.2): the host's time (FILETIME) at a
 * point of the reference counter. Reading it later extrapolates by the counter; a sample more than 600 s old
 * is stale and gives nothing (Linux's PTP read returns {@code -ESTALE}).
 *
 * @param hostTime host UTC as FILETIME at {@code refTime}
 * @param refTime  the reading (100-ns ticks) of the clock it belongs to: the reference counter, or the clock the
 *                 agent reads in its place
 */
public record HostTimeSample(long hostTime, long refTime) {
    /** 600 s in 100-ns ticks. */
    public static final long STALE_AFTER_TICKS = 600L * 10_000_000L;

    /**
     * The sample a message gives when it is received at counter {@code now}: v4 moves {@code parenttime} forward
     * by the counter ticks since the host took it; the old layout has no reference, so it is taken as "now".
     *
     * @return empty when a v4 sample would be extrapolated across more than 600 s in either direction (a host
     * snapshot that old, or from a counter that is not ours, is not a measurement of now), or when
     * {@code parenttime} is not a time at all
     */
    public static Optional<HostTimeSample> received(TimesyncMessage.Sample m, long now) {
        long hostTime = m.parentTime();
        if (m.v4()) {
            long span = now - m.referenceTime();
            if (Math.abs(span) > STALE_AFTER_TICKS || span == Long.MIN_VALUE) {
                return Optional.empty();
            }
            hostTime += span;
        }
        return FileTime.convertible(hostTime) ? Optional.of(new HostTimeSample(hostTime, now))
                : Optional.empty();
    }

    /**
     * The same host time, tied to another clock's reading of the same instant: the agent keeps samples against
     * its own CLOCK_MONOTONIC_RAW, so that reading them later needs no estimate of the reference counter.
     */
    public HostTimeSample anchoredAt(long ticks) {
        return new HostTimeSample(hostTime, ticks);
    }

    /** The host's FILETIME at counter {@code now}, or empty when the sample is older than 600 s. */
    public OptionalLong hostTimeAt(long now) {
        long age = now - refTime;
        if (age > STALE_AFTER_TICKS || !FileTime.convertible(hostTime + age)) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(hostTime + age);
    }

    /** The host's Unix time in nanoseconds at counter {@code now}, or empty when stale. */
    public OptionalLong hostUnixNanosAt(long now) {
        OptionalLong t = hostTimeAt(now);
        return t.isPresent() ? OptionalLong.of(FileTime.toUnixNanos(t.getAsLong())) : OptionalLong.empty();
    }
}
