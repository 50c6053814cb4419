package dev.vmbus.bench;

import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.nio.ByteBuffer;
import java.util.Base64;

/**
 * One row of {@code vmbus bench}: the round trips of one run, summarised from its HdrHistogram (values in
 * nanoseconds, 3 significant digits). The JSON carries the whole histogram, compressed and base64-encoded
 * ({@code Histogram.decodeFromCompressedByteBuffer}), so any other percentile can be read later. Immutable.
 */
public record BenchResult(String scenario, int window, long roundTrips, double perSecond, double p50Micros,
                   double p99Micros, double p999Micros, double maxMicros, String histogram) {

    /** A recorder for one run: auto-resizing, so no latency is ever out of range. Single-threaded use. */
    static Histogram recorder() {
        Histogram h = new Histogram(3);
        h.setAutoResize(true);
        return h;
    }

    static BenchResult of(String scenario, int window, Histogram h, double seconds) {
        long n = h.getTotalCount();
        ByteBuffer buf = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int len = h.encodeIntoCompressedByteBuffer(buf);
        String encoded = Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buf.array(), len));
        return new BenchResult(scenario, window, n, n / seconds, micros(h, n, 50), micros(h, n, 99),
                micros(h, n, 99.9), n == 0 ? Double.NaN : h.getMaxValue() / 1000.0, encoded);
    }

    private static double micros(Histogram h, long n, double percentile) {
        return n == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1000.0;
    }

    JsonObject toJson() {
        return new JsonObject().put("scenario", scenario).put("window", window).put("roundTrips", roundTrips)
                .put("roundTripsPerSecond", perSecond).put("p50Micros", p50Micros).put("p99Micros", p99Micros)
                .put("p999Micros", p999Micros).put("maxMicros", maxMicros).put("histogram", histogram);
    }
}
