package dev.vmbus.dashboard;

/**
 * When the dashboard says a channel or device needs attention; the {@code dashboard.health} config section
 * (README, docs/OPERATIONS.md "Health"). Immutable.
 *
 * @param heartbeatLateMs  no heartbeat from the host for this long: late (warning)
 * @param heartbeatLostMs  no heartbeat for this long: lost (critical)
 * @param ringFillPercent  a ring fuller than this: warning
 * @param timesyncOffsetMs |host - guest| beyond this: warning
 * @param timesyncStaleMs  no time sample for this long: warning
 * @param vssFrozenMs      file systems frozen for longer than this: critical (shorter is a note)
 * @param fcopyStuckMs     a file copy that received no data for this long: warning
 */
public record HealthThresholds(long heartbeatLateMs, long heartbeatLostMs, double ringFillPercent,
                               double timesyncOffsetMs, long timesyncStaleMs, long vssFrozenMs, long fcopyStuckMs) {
    public static final HealthThresholds DEFAULTS = new HealthThresholds(5_000, 15_000, 80.0, 100.0, 30_000, 60_000, 60_000);

    public HealthThresholds {
        if (heartbeatLateMs <= 0 || heartbeatLostMs < heartbeatLateMs || timesyncStaleMs <= 0 || vssFrozenMs <= 0
                || fcopyStuckMs <= 0 || !(ringFillPercent > 0 && ringFillPercent <= 100) || !(timesyncOffsetMs > 0)) {
            throw new IllegalArgumentException("bad health thresholds: " + this);
        }
    }
}
