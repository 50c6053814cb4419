package dev.vmbus.bench;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The ring's own JMH figure for {@code vmbus bench stream}: the messages per second of
 * {@code RingThroughputBenchmark}'s {@code vmbus-xfer} case (netvsc's receive path on bare rings, the same work as
 * the stream's {@code ring} row) per payload size, read from a JMH JSON result file
 * ({@code -rf json}; {@code scripts/bench.sh stream} makes it in the same run).
 */
record JmhBaseline(String label, Path file, Map<Integer, Double> messagesPerSecond) {
    static final String IMPL = "vmbus-xfer";

    /** Reads {@code file}; an unreadable file or one without a {@value #IMPL} result is an error naming it. */
    static JmhBaseline read(String label, Path file) throws IOException {
        JsonArray results;
        try {
            results = new JsonArray(Files.readString(file));
        } catch (DecodeException e) {
            throw new IllegalArgumentException(file + " is not a JMH JSON result (-rf json): " + e.getMessage());
        }
        Map<Integer, Double> rates = new HashMap<>();
        for (int i = 0; i < results.size(); i++) {
            JsonObject run = results.getJsonObject(i);
            JsonObject params = run.getJsonObject("params", new JsonObject());
            JsonObject messages = run.getJsonObject("secondaryMetrics", new JsonObject()).getJsonObject("messages");
            if (IMPL.equals(params.getString("impl")) && messages != null && messages.getValue("score") != null) {
                rates.put(Integer.parseInt(params.getString("payloadBytes")), messages.getDouble("score"));
            }
        }
        if (rates.isEmpty()) {
            throw new IllegalArgumentException(file + " has no RingThroughputBenchmark result with impl=" + IMPL);
        }
        return new JmhBaseline(label, file, Map.copyOf(rates));
    }

    /** Messages per second at {@code payload} bytes; an error naming the file when JMH did not run that size. */
    double at(int payload) {
        Double rate = messagesPerSecond.get(payload);
        if (rate == null) {
            throw new IllegalArgumentException(file + " has no " + IMPL + " result at payloadBytes=" + payload
                    + " (it has " + messagesPerSecond.keySet() + ")");
        }
        return rate;
    }
}
