package dev.vmbus.os;

import dev.vmbus.ring.RingLayout;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The system page size, which is where a ring's data area starts (spec section 1.1: DPDK uses the real page
 * size, {@code tools/hv} hard-codes 4096 and is wrong on 64K-page arm64 guests).
 */
public final class PageSize {
    /** {@code _SC_PAGESIZE} on Linux (glibc and musl). */
    private static final int SC_PAGESIZE = 30;
    private static final int SYSTEM = query();

    private PageSize() {
    }

    /** The page size of this machine, from {@code sysconf(_SC_PAGESIZE)}; 4096 if that cannot be called. */
    public static int system() {
        return SYSTEM;
    }

    private static int query() {
        try {
            MethodHandle sysconf = Libc.call("sysconf", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            long size = (long) sysconf.invokeExact(SC_PAGESIZE);
            return size >= RingLayout.HV_HYP_PAGE_SIZE && Long.bitCount(size) == 1 ? (int) size
                    : RingLayout.HV_HYP_PAGE_SIZE;
        } catch (Throwable e) {
            // Not Linux, or native access refused: Hyper-V's page size is the only sensible fallback.
            return RingLayout.HV_HYP_PAGE_SIZE;
        }
    }
}
