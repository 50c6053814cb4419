package dev.vmbus.spi;

import java.util.Objects;

/**
 * Something about a device an operator should see, reported through {@link DevicePlugin#health}: the dashboard, the
 * health API ({@code health} of {@code /api/devices/{name}} and of each channel) and {@code /metrics}
 * ({@code vmbus_channel_problem}, {@code vmbus_*_health_state}) show every device's problems the same way.
 *
 * @param relid    the channel it concerns (one of {@link HealthCheck#openChannels()}), or {@link #DEVICE} for the
 *                 device as a whole (said on the device only)
 * @param code     a stable identifier, lowercase with underscores (the {@code problem} label of
 *                 {@code vmbus_channel_problem}): {@code heartbeat_late}, {@code vss_frozen}, ...
 * @param severity how bad it is; a {@link Severity#NOTE} does not count as needing attention
 * @param text     what an operator reads, starting with the channel's label ({@link HealthCheck#label}), e.g.
 *                 "heartbeat late: no heartbeat for 6.0 s"
 */
public record DeviceProblem(int relid, String code, Severity severity, String text) {
    /** The relid of a problem of the device as a whole. */
    public static final int DEVICE = -1;

    /** Ordered from mild to bad. */
    public enum Severity {
        /** Worth showing, not worth attention (a backup running). */
        NOTE,
        /** Needs attention. */
        WARNING,
        /** Broken. */
        CRITICAL
    }

    public DeviceProblem {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(text, "text");
    }
}
