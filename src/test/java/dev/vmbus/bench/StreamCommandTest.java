package dev.vmbus.bench;

import dev.vmbus.cli.Vmbus;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vmbus bench stream}: a short run streams through every row (every message's sequence number checked on
 * the way, so a lost or reordered one fails it), and a packet carries {@code --ranges} messages.
 */
class StreamCommandTest {
    @TempDir
    Path tmp;

    @Test
    void aShortRunStreamsThroughEveryRow() throws Exception {
        Path json = tmp.resolve("stream.json");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Vmbus.execute(new String[] {"bench", "stream", "--seconds", "0.15", "--warmup", "0.05",
                        "--payload", "64", "--ranges", "4", "--json", json.toString()},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
        List<JsonObject> rows = new JsonObject(Files.readString(json)).getJsonArray("results").stream()
                .map(o -> (JsonObject) o).toList();
        assertEquals(List.of("ring", "eventbus", "sim+batch", "sim2+batch", "sim+perpacket", "shm+batch"),
                rows.stream().map(r -> r.getString("scenario")).toList());
        for (JsonObject r : rows) {
            assertEquals(64, r.getInteger("payload"));
            assertTrue(r.getDouble("messagesPerSecond") > 0, r.encode());
            assertTrue(r.getDouble("cpuNanosPerMessage") > 0, r.encode());
            if (r.getString("scenario").contains("+")) {
                assertEquals(4, r.getInteger("ranges"));
                assertEquals(r.getDouble("messagesPerSecond"), 4 * r.getDouble("packetsPerSecond"),
                        1e-6 * r.getDouble("messagesPerSecond"), "a packet completes its 4 messages at once: " + r.encode());
            }
        }
    }

    @Test
    void rowsPicksTheRowsToRun() throws Exception {
        Path json = tmp.resolve("rows.json");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Vmbus.execute(new String[] {"bench", "stream", "--seconds", "0.1", "--warmup", "0.05",
                        "--payload", "64", "--rows", "sim+batch", "--json", json.toString()},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
        List<JsonObject> rows = new JsonObject(Files.readString(json)).getJsonArray("results").stream()
                .map(o -> (JsonObject) o).toList();
        assertEquals(List.of("sim+batch"), rows.stream().map(r -> r.getString("scenario")).toList());
    }

    @Test
    void jmhPutsTheRingsOwnJmhFigureFirstAndEveryRowIsDividedByIt() throws Exception {
        Path jmh = tmp.resolve("jmh.json");
        Files.writeString(jmh, """
                [{"benchmark": "dev.vmbus.bench.RingThroughputBenchmark.ring",
                  "params": {"impl": "vmbus", "payloadBytes": "64"},
                  "secondaryMetrics": {"messages": {"score": 9.0E7}}},
                 {"benchmark": "dev.vmbus.bench.RingThroughputBenchmark.ring",
                  "params": {"impl": "vmbus-xfer", "payloadBytes": "64"},
                  "secondaryMetrics": {"messages": {"score": 4.0E9}}}]""");
        Path json = tmp.resolve("jmh-rows.json");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Vmbus.execute(new String[] {"bench", "stream", "--seconds", "0.1", "--warmup", "0.05",
                        "--payload", "64", "--rows", "ring", "--jmh", "c2=" + jmh, "--json", json.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
        List<JsonObject> rows = new JsonObject(Files.readString(json)).getJsonArray("results").stream()
                .map(o -> (JsonObject) o).toList();
        assertEquals(List.of("jmh:c2", "ring"), rows.stream().map(r -> r.getString("scenario")).toList());
        assertEquals(4.0e9, rows.get(0).getDouble("messagesPerSecond"), "the vmbus-xfer score, not vmbus's");
        // the bare ring row streams far under the made-up 4 G/s, so its x jmh figure is 0.00
        String table = out.toString(StandardCharsets.UTF_8);
        assertTrue(table.contains("x jmh"), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("ring ") && l.contains(" 0.00 ")), table);
    }

    @Test
    void aJmhFileWithoutThePayloadIsAUsageErrorNamingIt() throws Exception {
        Path jmh = tmp.resolve("jmh-1500.json");
        Files.writeString(jmh, """
                [{"params": {"impl": "vmbus-xfer", "payloadBytes": "1500"},
                  "secondaryMetrics": {"messages": {"score": 5.0E6}}}]""");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Vmbus.execute(new String[] {"bench", "stream", "--payload", "64", "--rows", "ring", "--jmh",
                        "c2=" + jmh}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, status);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("has no vmbus-xfer result at payloadBytes=64"),
                err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void anUnknownRowIsAUsageError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Vmbus.execute(new String[] {"bench", "stream", "--rows", "ring,sim"},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, status);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--rows: no row sim;"), err.toString());
    }

    @Test
    void rangesOutsideOneToSixtyFourAreAUsageError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Vmbus.execute(new String[] {"bench", "stream", "--ranges", "0"},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, status);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--ranges must be 1 to 64, got 0"), err.toString());
    }
}
