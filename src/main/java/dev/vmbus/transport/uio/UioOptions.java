package dev.vmbus.transport.uio;

import java.nio.file.Path;

/**
 * Settings of the uio transport.
 *
 * @param sysfsRoot         where {@code bus/vmbus/devices} and {@code class/uio} are ({@code /sys} on a guest)
 * @param rescanIntervalMs  how often sysfs is scanned again for hot-added devices, subchannels and removals
 * @param ringWaitMs        how long to wait for a subchannel's late {@code ring} file
 */
public record UioOptions(Path sysfsRoot, long rescanIntervalMs, long ringWaitMs) {
    public static final String DEFAULT_SYSFS_ROOT = "/sys";
    public static final String DEFAULT_DEV_ROOT = "/dev";
    public static final long DEFAULT_RESCAN_INTERVAL_MS = 2_000;
    /** The fcopy daemon retries once after 100 ms; a loaded guest can take longer, so allow seconds. */
    public static final long DEFAULT_RING_WAIT_MS = 5_000;

    public UioOptions {
        if (sysfsRoot == null) {
            throw new IllegalArgumentException("sysfsRoot is required");
        }
        if (rescanIntervalMs < 10 || ringWaitMs < 0) {
            throw new IllegalArgumentException("rescanIntervalMs must be >= 10 and ringWaitMs >= 0, got "
                    + rescanIntervalMs + " and " + ringWaitMs);
        }
    }

    public UioOptions(Path sysfsRoot) {
        this(sysfsRoot, DEFAULT_RESCAN_INTERVAL_MS, DEFAULT_RING_WAIT_MS);
    }

    public UioOptions withRescanIntervalMs(long ms) {
        return new UioOptions(sysfsRoot, ms, ringWaitMs);
    }

    public UioOptions withRingWaitMs(long ms) {
        return new UioOptions(sysfsRoot, rescanIntervalMs, ms);
    }
}
