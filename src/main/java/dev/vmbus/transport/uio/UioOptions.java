package dev.vmbus.transport.uio;

import dev.vmbus.os.PageSize;

import java.nio.file.Path;

/**
 * Settings of the uio transport.
 *
 * @param sysfsRoot         where {@code bus/vmbus/devices} and {@code class/uio} are ({@code /sys} on a guest)
 * @param rescanIntervalMs  how often sysfs is scanned again for hot-added devices, subchannels and removals
 * @param ringWaitMs        how long an open waits for a subchannel's {@code ring} file; scans never wait (a
 *                          subchannel without one is skipped and looked at again on the next rescan)
 * @param kernel            what the running {@code uio_hv_generic} does: every masking, kick and map decision of
 *                          the transport is taken from it
 */
public record UioOptions(Path sysfsRoot, long rescanIntervalMs, long ringWaitMs, KernelFeatures kernel) {
    public static final long DEFAULT_RESCAN_INTERVAL_MS = 2_000;
    /** The fcopy daemon retries once after 100 ms; a loaded guest can take longer, so allow seconds. */
    public static final long DEFAULT_RING_WAIT_MS = 5_000;

    /**
     * The newest {@code uio_hv_generic} (547fa4ffd799, d062463edf17 and 09eea7ad0b8e all present) on this machine's
     * page size: what the transport assumes when nobody detected the running kernel.
     */
    public static KernelFeatures newestKernel() {
        return new KernelFeatures("newest", PageSize.system(), true, true, true, true, null,
                "assumed: the newest uio_hv_generic (no kernel detection was given)");
    }

    public UioOptions {
        if (sysfsRoot == null || kernel == null) {
            throw new IllegalArgumentException("sysfsRoot and kernel are required");
        }
        if (rescanIntervalMs < 10 || ringWaitMs < 0) {
            throw new IllegalArgumentException("rescanIntervalMs must be >= 10 and ringWaitMs >= 0, got "
                    + rescanIntervalMs + " and " + ringWaitMs);
        }
    }

    public UioOptions(Path sysfsRoot, long rescanIntervalMs, long ringWaitMs) {
        this(sysfsRoot, rescanIntervalMs, ringWaitMs, newestKernel());
    }

    public UioOptions(Path sysfsRoot) {
        this(sysfsRoot, DEFAULT_RESCAN_INTERVAL_MS, DEFAULT_RING_WAIT_MS);
    }

    public UioOptions withRescanIntervalMs(long ms) {
        return new UioOptions(sysfsRoot, ms, ringWaitMs, kernel);
    }

    public UioOptions withRingWaitMs(long ms) {
        return new UioOptions(sysfsRoot, rescanIntervalMs, ms, kernel);
    }

    public UioOptions withKernel(KernelFeatures features) {
        return new UioOptions(sysfsRoot, rescanIntervalMs, ringWaitMs, features);
    }
}
