package dev.vmbus.os;

import dev.vmbus.ic.timesync.ReferenceClock;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * {@code clock_gettime(CLOCK_MONOTONIC_RAW)} in 100-ns ticks, through the FFM API (the JDK offers only
 * {@code System.nanoTime()}, which is CLOCK_MONOTONIC).
 *
 * <p>Why the raw clock: it runs at the clocksource's own rate, never slewed by NTP. CLOCK_MONOTONIC and
 * CLOCK_BOOTTIME are slewed by the very chronyd this agent feeds (by its frequency correction, and by up to
 * 83 333 ppm while it slews an offset away), so against them the partition reference counter would appear to
 * drift by whatever chronyd is doing. On a Hyper-V guest whose clocksource is
 * {@code hyperv_clocksource_tsc_page} (registered at 10 MHz; its cycles are the reference counter itself), the
 * raw clock advances exactly 100 ns per counter tick; with {@code tsc} (preferred when Hyper-V offers
 * TSC_INVARIANT) both are derived from the same virtual TSC. It stops during a guest suspend, which
 * {@link CounterEpoch} sees as a jump and re-learns.
 *
 * <p>Stateless; safe from any thread. {@code clock_gettime} is served by the vDSO: no system call, never blocks.
 */
public final class MonotonicRawClock implements ReferenceClock {
    /** Linux's {@code CLOCK_MONOTONIC_RAW}. */
    private static final int CLOCK_MONOTONIC_RAW = 4;
    private static final Linker LINKER = Linker.nativeLinker();
    /** {@code critical(true)}: a short call that may write into a Java array directly (no off-heap buffer). */
    private static final MethodHandle CLOCK_GETTIME = LINKER.downcallHandle(
            LINKER.defaultLookup().find("clock_gettime").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS),
            Linker.Option.critical(true));

    /** The one instance. */
    public static final MonotonicRawClock INSTANCE = new MonotonicRawClock();

    private MonotonicRawClock() {
    }

    /** The raw monotonic clock in nanoseconds. */
    public static long nanos() {
        long[] timespec = new long[2]; // struct timespec on 64-bit Linux: tv_sec, tv_nsec
        int rc;
        try {
            rc = (int) CLOCK_GETTIME.invokeExact(CLOCK_MONOTONIC_RAW, MemorySegment.ofArray(timespec));
        } catch (Throwable e) {
            throw new IllegalStateException("clock_gettime could not be called: " + e, e);
        }
        if (rc != 0) {
            throw new IllegalStateException("clock_gettime(CLOCK_MONOTONIC_RAW) failed");
        }
        return timespec[0] * 1_000_000_000L + timespec[1];
    }

    @Override
    public long ticks() {
        return nanos() / 100;
    }
}
