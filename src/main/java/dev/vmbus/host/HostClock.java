package dev.vmbus.host;

import dev.vmbus.ic.timesync.FileTime;

/**
 * The simulated host's wall clock: this machine's clock plus an adjustable offset, running fast or slow by an
 * adjustable drift, so that a test or an operator can give the guest something to correct. Drift accumulates
 * from the moment it is set; changing it keeps the time it has built up so far.
 *
 * <p>Not thread-safe: used on the host's context.
 */
public final class HostClock {
    private long offsetNanos;
    private double driftPpm;
    private long driftSinceMono;
    private long driftBuiltUpNanos;

    public HostClock(long offsetMs, double driftPpm) {
        this.offsetNanos = offsetMs * 1_000_000L;
        setDrift(driftPpm, System.nanoTime());
    }

    /** Sets the offset from this machine's clock, dropping drift built up so far. */
    public void setOffsetMillis(long offsetMs) {
        offsetNanos = offsetMs * 1_000_000L;
        driftBuiltUpNanos = 0;
        driftSinceMono = System.nanoTime();
    }

    /** Moves the host's clock by {@code deltaMs} (a jump, as after a host clock change). */
    public void shiftMillis(long deltaMs) {
        offsetNanos += deltaMs * 1_000_000L;
    }

    /** Sets the rate error in parts per million (positive: the host's clock runs fast). */
    public void setDrift(double ppm, long monoNow) {
        driftBuiltUpNanos += driftSince(monoNow);
        driftSinceMono = monoNow;
        driftPpm = ppm;
    }

    public double driftPpm() {
        return driftPpm;
    }

    /** The host's offset from this machine's clock at {@code monoNow}: the set offset plus the drift built up. */
    public long offsetNanos(long monoNow) {
        return offsetNanos + driftBuiltUpNanos + driftSince(monoNow);
    }

    private long driftSince(long monoNow) {
        return (long) ((monoNow - driftSinceMono) * driftPpm / 1e6);
    }

    /** The host's UTC as FILETIME, given this machine's Unix time and monotonic clock read together. */
    public long fileTime(long unixNanos, long monoNow) {
        return FileTime.fromUnixNanos(unixNanos + offsetNanos(monoNow));
    }
}
