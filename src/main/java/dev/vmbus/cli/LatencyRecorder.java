package dev.vmbus.cli;

import io.vertx.core.json.JsonObject;

import java.util.Arrays;

/** Round-trip latencies of one benchmark run, kept whole (no sampling) so percentiles are exact. */
final class LatencyRecorder {
    private long[] nanos = new long[1 << 16];
    private int count;

    void record(long latencyNanos) {
        if (count == nanos.length) {
            nanos = Arrays.copyOf(nanos, nanos.length * 2);
        }
        nanos[count++] = latencyNanos;
    }

    int count() {
        return count;
    }

    /** The summary of a run that lasted {@code seconds}. */
    Result result(String scenario, int window, double seconds) {
        long[] sorted = Arrays.copyOf(nanos, count);
        Arrays.sort(sorted);
        return new Result(scenario, window, count, count / seconds, micros(sorted, 0.50), micros(sorted, 0.99),
                micros(sorted, 0.999));
    }

    private static double micros(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
        return sorted[Math.max(0, i)] / 1000.0;
    }

    /** One row of the benchmark table. */
    record Result(String scenario, int window, long roundTrips, double perSecond, double p50Micros,
                  double p99Micros, double p999Micros) {
        JsonObject toJson() {
            return new JsonObject().put("scenario", scenario).put("window", window).put("roundTrips", roundTrips)
                    .put("roundTripsPerSecond", perSecond).put("p50Micros", p50Micros).put("p99Micros", p99Micros)
                    .put("p999Micros", p999Micros);
        }
    }
}
