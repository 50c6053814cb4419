package dev.vmbus.os;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The clocks the JDK does not offer: reading {@code CLOCK_MONOTONIC_RAW} and stepping {@code CLOCK_REALTIME}.
 *
 * <p>Why the raw clock: it runs at the clocksource's own rate, never slewed by NTP. CLOCK_MONOTONIC (what
 * {@code System.nanoTime()} reads) and CLOCK_BOOTTIME are slewed by the very chronyd this agent feeds (by its
 * frequency correction, and by up to 83 333 ppm while it slews an offset away), so against them the partition
 * reference counter would appear to drift by whatever chronyd is doing. On a Hyper-V guest whose clocksource is
 * {@code hyperv_clocksource_tsc_page} (registered at 10 MHz; its cycles are the reference counter itself), the
 * raw clock advances exactly 100 ns per counter tick; with {@code tsc} (preferred when Hyper-V offers
 * TSC_INVARIANT) both are derived from the same virtual TSC. It stops during a guest suspend, which the timesync
 * estimator sees as a jump and re-learns.
 *
 * <p>Stateless; safe from any thread. {@code clock_gettime} is served by the vDSO: no system call, never blocks.
 * {@code clock_settime} is a system call and needs {@code CAP_SYS_TIME}: call it from a worker.
 */
public final class Clocks {
    private static final int CLOCK_REALTIME = 0;
    /** Linux's {@code CLOCK_MONOTONIC_RAW}. */
    private static final int CLOCK_MONOTONIC_RAW = 4;
    private static final int EPERM = 1;
    /** {@code struct timespec} on 64-bit Linux: {@code time_t tv_sec; long tv_nsec}. */
    private static final StructLayout TIMESPEC = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("tv_sec"), ValueLayout.JAVA_LONG.withName("tv_nsec"));
    /** {@code critical(true)}: a short call that may write into a Java array directly (no off-heap buffer). */
    private static final MethodHandle CLOCK_GETTIME = Libc.call("clock_gettime",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS),
            Linker.Option.critical(true));
    private static final MethodHandle CLOCK_SETTIME = Libc.errnoCall("clock_settime",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));

    private Clocks() {
    }

    /** {@code CLOCK_MONOTONIC_RAW} in nanoseconds. */
    public static long monotonicRawNanos() {
        long[] timespec = new long[2];
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

    /** {@code CLOCK_MONOTONIC_RAW} in 100-ns ticks, the unit of Hyper-V's partition reference counter. */
    public static long monotonicRawTicks() {
        return monotonicRawNanos() / 100;
    }

    /**
     * Sets {@code CLOCK_REALTIME} to {@code unixNanos} (nanoseconds since 1970) with {@code clock_settime}.
     *
     * @throws IOException naming the errno, and that EPERM means the process lacks {@code CAP_SYS_TIME}
     */
    public static void setRealtime(long unixNanos) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ts = arena.allocate(TIMESPEC);
            ts.set(ValueLayout.JAVA_LONG, 0, Math.floorDiv(unixNanos, 1_000_000_000L));
            ts.set(ValueLayout.JAVA_LONG, 8, Math.floorMod(unixNanos, 1_000_000_000L));
            MemorySegment capture = Libc.errnoBuffer(arena);
            int rc;
            try {
                rc = (int) CLOCK_SETTIME.invokeExact(capture, CLOCK_REALTIME, ts);
            } catch (Throwable e) {
                throw new IOException("clock_settime could not be called: " + e, e);
            }
            if (rc != 0) {
                int errno = Libc.errno(capture);
                throw Libc.failure("clock_settime(CLOCK_REALTIME)" + (errno == EPERM ? " (needs CAP_SYS_TIME)" : ""),
                        errno);
            }
        }
    }
}
