package dev.vmbus.bench;

import dev.vmbus.cli.Vmbus;

import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vmbus bench}: a short run gives one row per scenario, summarised from the HdrHistogram it carries. */
public class BenchCommandTest {
    @TempDir
    Path tmp;

    @Test
    void shortRunReportsPercentilesOfItsHistograms() throws Exception {
        Path json = tmp.resolve("e2e.json");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Vmbus.execute(new String[] {"bench", "--seconds", "0.15", "--warmup", "0.05", "--window", "1",
                        "--json", json.toString()},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
        List<JsonObject> rows = new JsonObject(Files.readString(json)).getJsonArray("results").stream()
                .map(o -> (JsonObject) o).toList();
        assertEquals(List.of("eventbus", "sim", "shm"), rows.stream().map(r -> r.getString("scenario")).toList());
        for (JsonObject r : rows) {
            assertEquals(1, r.getInteger("window"));
            long n = r.getLong("roundTrips");
            assertTrue(n > 0, r.encode());
            assertTrue(r.getDouble("p50Micros") <= r.getDouble("p99Micros"), r.encode());
            assertTrue(r.getDouble("p99Micros") <= r.getDouble("p999Micros"), r.encode());
            assertTrue(r.getDouble("p999Micros") <= r.getDouble("maxMicros"), r.encode());
            Histogram h = Histogram.decodeFromCompressedByteBuffer(
                    ByteBuffer.wrap(Base64.getDecoder().decode(r.getString("histogram"))), 0);
            assertEquals(n, h.getTotalCount(), "the histogram holds every round trip: " + r.encode());
            assertEquals(r.getDouble("p99Micros"), h.getValueAtPercentile(99) / 1000.0, 1e-9, r.encode());
        }
    }

    @Test
    void aBadNumberIsAUsageError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Vmbus.execute(new String[] {"bench", "--seconds", "soon"},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, status);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--seconds must be a non-negative number"), err.toString());
    }
}
