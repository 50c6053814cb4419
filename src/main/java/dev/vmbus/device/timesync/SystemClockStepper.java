package dev.vmbus.device.timesync;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/** Steps CLOCK_REALTIME with libc's {@code clock_settime} through the FFM API (needs CAP_SYS_TIME). */
public final class SystemClockStepper implements ClockStepper {
    private static final int CLOCK_REALTIME = 0;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** {@code struct timespec} on 64-bit Linux: {@code time_t tv_sec; long tv_nsec}. */
    private static final StructLayout TIMESPEC = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("tv_sec"), ValueLayout.JAVA_LONG.withName("tv_nsec"));
    private static final MethodHandle CLOCK_SETTIME = LINKER.downcallHandle(
            LINKER.defaultLookup().find("clock_settime").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS),
            Linker.Option.captureCallState("errno"));

    @Override
    public void step(long unixNanos) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ts = arena.allocate(TIMESPEC);
            ts.set(ValueLayout.JAVA_LONG, 0, Math.floorDiv(unixNanos, 1_000_000_000L));
            ts.set(ValueLayout.JAVA_LONG, 8, Math.floorMod(unixNanos, 1_000_000_000L));
            MemorySegment state = arena.allocate(CALL_STATE);
            int rc;
            try {
                rc = (int) CLOCK_SETTIME.invokeExact(state, CLOCK_REALTIME, ts);
            } catch (Throwable e) {
                throw new IOException("clock_settime could not be called: " + e, e);
            }
            if (rc != 0) {
                int errno = (int) ERRNO.get(state, 0L);
                throw new IOException("clock_settime(CLOCK_REALTIME) failed with errno " + errno
                        + (errno == 1 ? " (EPERM: needs CAP_SYS_TIME)" : ""));
            }
        }
    }
}
