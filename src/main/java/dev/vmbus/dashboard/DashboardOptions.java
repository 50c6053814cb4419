package dev.vmbus.dashboard;

import java.util.List;

/**
 * Where and how the dashboard serves.
 *
 * @param host             bind address; anything but loopback requires a token
 * @param port             TCP port; 0 picks a free one
 * @param token            the access token, or null (then one is generated for host control)
 * @param updateIntervalMs how often the live stream carries a snapshot (and history takes a point)
 * @param deviceNames      the enabled device handlers whose state the page shows
 * @param kernelSysfsRoot  on the uio transport, the sysfs root whose per-channel attributes (the kernel's own
 *                         counters) are shown beside the agent's; null elsewhere
 * @param health           when a channel or device needs attention
 */
public record DashboardOptions(String host, int port, String token, long updateIntervalMs, List<String> deviceNames,
                               java.nio.file.Path kernelSysfsRoot, HealthThresholds health) {
    public static final long DEFAULT_UPDATE_INTERVAL_MS = 1000;
    /** Live-stream clients served at once; more get 503. */
    public static final int MAX_STREAM_CLIENTS = 16;

    public DashboardOptions {
        deviceNames = List.copyOf(deviceNames);
        if (updateIntervalMs < 100) {
            throw new IllegalArgumentException("dashboard.updateIntervalMs must be at least 100, got " + updateIntervalMs);
        }
        if (health == null) {
            health = HealthThresholds.DEFAULTS;
        }
    }

    /** Without the kernel's counters (sim and shm transports), with the default health thresholds. */
    public DashboardOptions(String host, int port, String token, long updateIntervalMs, List<String> deviceNames) {
        this(host, port, token, updateIntervalMs, deviceNames, null, HealthThresholds.DEFAULTS);
    }

    /** On the uio transport (the kernel's counters from {@code kernelSysfsRoot}), default health thresholds. */
    public DashboardOptions(String host, int port, String token, long updateIntervalMs, List<String> deviceNames,
                            java.nio.file.Path kernelSysfsRoot) {
        this(host, port, token, updateIntervalMs, deviceNames, kernelSysfsRoot, HealthThresholds.DEFAULTS);
    }

    /** Without the kernel's counters, with these health thresholds. */
    public DashboardOptions(String host, int port, String token, long updateIntervalMs, List<String> deviceNames,
                            HealthThresholds health) {
        this(host, port, token, updateIntervalMs, deviceNames, null, health);
    }
}
