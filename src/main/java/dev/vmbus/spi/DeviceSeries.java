package dev.vmbus.spi;

import io.vertx.core.json.JsonObject;

import java.util.Objects;

/**
 * A figure a device class asks the dashboard to chart over time ({@link DevicePlugin#series}): one value per
 * update, read from the device's state, kept in the dashboard's history for at least ten minutes and served in
 * {@code /api/history} and the live stream under the device's name, as {@code {"<device>": {"t": [...],
 * "<name>": [...]}}} (timesync's {@code offsetMs} is one).
 *
 * The dashboard's page draws one chart per declared series, headed with the device's name, the title and the unit,
 * and names the series in its legend by the title: the page knows no series of its own.
 *
 * @param name the series' name in that object (a unit suffix helps: {@code offsetMs})
 * @param title what the figure is, for the chart and its legend ({@code offset (host − guest)})
 * @param unit the values' unit, printed on the chart's axis and legend ({@code ms}; values in {@code ms} are
 *             drawn in µs while they stay below a millisecond)
 * @param read the value now from the device's state, or {@code NaN} when there is none
 */
public record DeviceSeries(String name, String title, String unit, Reader read) {

    /** Reads one value out of a device's state. Pure: any thread, no I/O. */
    @FunctionalInterface
    public interface Reader {
        double read(JsonObject state);
    }

    public DeviceSeries {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(read, "read");
    }
}
