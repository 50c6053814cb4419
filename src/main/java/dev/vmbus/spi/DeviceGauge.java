package dev.vmbus.spi;

import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Objects;

/**
 * A Prometheus family a device class declares ({@link DevicePlugin#gauges}), served on {@code /metrics} beside the
 * framework's, its samples read from the device's state at each scrape: a gauge, or a counter (a total that only
 * grows while the device lives, {@link #counter}).
 *
 * @param name       the family's name ({@code vmbus_<device>_...}, with its unit as a suffix; a counter's ends in
 *                   {@code _total})
 * @param help       its HELP text
 * @param labelNames the labels every sample carries, in order
 * @param samples    the samples of one scrape from the device's state and the scrape's time (epoch ms); a
 *                   sample's label values are in {@code labelNames}' order; a label set given twice in one scrape
 *                   is served once (the first)
 * @param kind       gauge or counter
 */
public record DeviceGauge(String name, String help, List<String> labelNames, Samples samples, Kind kind) {

    /** The Prometheus type the family is served as. */
    public enum Kind { GAUGE, COUNTER }

    /** A gauge family. */
    public DeviceGauge(String name, String help, List<String> labelNames, Samples samples) {
        this(name, help, labelNames, samples, Kind.GAUGE);
    }

    /** A counter family: {@code name} ends in {@code _total}. */
    public static DeviceGauge counter(String name, String help, List<String> labelNames, Samples samples) {
        return new DeviceGauge(name, help, labelNames, samples, Kind.COUNTER);
    }

    /** Reads one scrape's samples out of a device's state. */
    @FunctionalInterface
    public interface Samples {
        List<Sample> read(JsonObject state, long nowMillis);
    }

    /** One value with its label values. */
    public record Sample(double value, List<String> labelValues) {
        public Sample {
            labelValues = List.copyOf(labelValues);
        }

        public static Sample of(double value, String... labelValues) {
            return new Sample(value, List.of(labelValues));
        }
    }

    public DeviceGauge {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(help, "help");
        labelNames = List.copyOf(labelNames);
        Objects.requireNonNull(samples, "samples");
        Objects.requireNonNull(kind, "kind");
        if (kind == Kind.COUNTER && !name.endsWith("_total")) {
            throw new IllegalArgumentException("counter " + name + ": a counter's name ends in _total");
        }
    }
}
