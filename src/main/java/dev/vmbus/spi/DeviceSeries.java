package dev.vmbus.spi;

import io.vertx.core.json.JsonObject;

import java.util.Objects;

/**
 * A figure a device class asks the dashboard to chart over time ({@link DevicePlugin#series}): one value per
 * update, read from the device's state, kept in the dashboard's history for at least ten minutes and served in
 * {@code /api/history} and the live stream under the device's name, as {@code {"<device>": {"t": [...],
 * "<name>": [...]}}} (timesync's {@code offsetMs} is one).
 *
 * @param name the series' name in that object (a unit suffix helps: {@code offsetMs})
 * @param read the value now from the device's state, or {@code NaN} when there is none
 */
public record DeviceSeries(String name, Reader read) {

    /** Reads one value out of a device's state. Pure: any thread, no I/O. */
    @FunctionalInterface
    public interface Reader {
        double read(JsonObject state);
    }

    public DeviceSeries {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(read, "read");
    }
}
