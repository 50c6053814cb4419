package dev.vmbus.spi;

import dev.vmbus.config.VmbusConfig;

import java.util.Map;

/**
 * What a device's health is judged against: handed to {@link DevicePlugin#health} with the device's state.
 *
 * @param thresholds   the {@code dashboard.health} section
 * @param nowMillis    the moment of the snapshot (epoch milliseconds)
 * @param openChannels the device's open channels, by relid, with the label the dashboard gives each (the class
 *                     name, with {@code " #relid"} when the class has more than one channel)
 */
public record HealthCheck(VmbusConfig.Health thresholds, long nowMillis, Map<Integer, String> openChannels) {

    public HealthCheck {
        openChannels = Map.copyOf(openChannels);
    }

    /** The label of open channel {@code relid}, or null if it is not open. */
    public String label(int relid) {
        return openChannels.get(relid);
    }

    /** {@code ms} as seconds with one decimal, the way every health text says a duration: "6.0 s". */
    public static String seconds(long ms) {
        return String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
    }
}
