package dev.vmbus.spi;

import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Objects;

/**
 * A Prometheus gauge family a device class declares ({@link DevicePlugin#gauges}), served on {@code /metrics}
 * beside the framework's, its samples read from the device's state at each scrape.
 *
 * @param name       the family's name ({@code vmbus_<device>_...}, with its unit as a suffix)
 * @param help       its HELP text
 * @param labelNames the labels every sample carries, in order
 * @param samples    the samples of one scrape from the device's state and the scrape's time (epoch ms); a
 *                   sample's label values are in {@code labelNames}' order; each label set at most once
 */
public record DeviceGauge(String name, String help, List<String> labelNames, Samples samples) {

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
    }
}
