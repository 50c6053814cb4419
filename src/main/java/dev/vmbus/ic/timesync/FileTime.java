package dev.vmbus.ic.timesync;

/**
 * Windows FILETIME (100-ns intervals since 1601-01-01 UTC, no leap seconds) to and from Unix time (spec
 * ic-protocols.md section 5.1).
 */
public final class FileTime {
    /** {@code WLTIMEDELTA}: 100-ns intervals from 1601-01-01 to 1970-01-01 (11 644 473 600 s). */
    public static final long UNIX_EPOCH = 116_444_736_000_000_000L;
    /** The largest FILETIME whose Unix nanoseconds fit a {@code long} (year 2262). */
    public static final long MAX_CONVERTIBLE = UNIX_EPOCH + Long.MAX_VALUE / 100;

    private FileTime() {
    }

    /** Whether {@link #toUnixNanos} can represent this FILETIME: at or after 1970 and before 2262. */
    public static boolean convertible(long fileTime) {
        return fileTime >= UNIX_EPOCH && fileTime <= MAX_CONVERTIBLE;
    }

    /**
     * Unix nanoseconds for a FILETIME: {@code (filetime - WLTIMEDELTA) * 100}.
     *
     * @throws ArithmeticException if the value is outside {@link #convertible} (a host's garbage, not a time)
     */
    public static long toUnixNanos(long fileTime) {
        if (!convertible(fileTime)) {
            throw new ArithmeticException("FILETIME " + Long.toUnsignedString(fileTime)
                    + " is not a time between 1970 and 2262");
        }
        return (fileTime - UNIX_EPOCH) * 100;
    }

    /** FILETIME for Unix nanoseconds, truncating the 100-ns division as OpenVMM's host does. */
    public static long fromUnixNanos(long unixNanos) {
        return unixNanos / 100 + UNIX_EPOCH;
    }
}
