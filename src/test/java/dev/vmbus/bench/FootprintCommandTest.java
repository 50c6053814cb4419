package dev.vmbus.bench;

import dev.vmbus.cli.Vmbus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vmbus bench footprint} as a user runs it: a short run starts the agent and the bare Vert.x baseline
 * as real child JVMs with conf/jvm.options and reports their figures; the values are checked for sanity, never
 * for speed.
 */
@Tag("slow") // child JVMs, processes or a browser: run by mvn verify, not by mvn test
public class FootprintCommandTest {
    @TempDir
    Path tmp;

    @Test
    void shortRunOnSimReportsBothProcessesAsJson() throws Exception {
        JsonObject r = run("sim");
        assertEquals("sim", r.getString("transport"));
        assertTrue(r.getJsonArray("jvmOptions").contains("-XX:+UseSerialGC"), "the options of conf/jvm.options: " + r);
        assertTrue(r.getLong("trafficRequests") >= 3, "traffic was driven: " + r);
        assertTrue(r.getLong("streamBytes") > 0, "the dashboard viewer received the live stream: " + r);
        JsonObject agent = r.getJsonObject("agent");
        JsonObject bare = r.getJsonObject("bare");
        sane("agent", agent);
        sane("bare", bare);
        // The agent is the baseline plus channels, handlers, the host and the dashboard.
        assertTrue(agent.getLong("vmRssKb") > bare.getLong("vmRssKb") / 2, r.encodePrettily());
        assertTrue(r.getDouble("rssRatio") > 0, r.encodePrettily());
    }

    @Test
    void shortRunOnShmMeasuresTheGuestProcess() throws Exception {
        JsonObject r = run("shm");
        assertEquals("shm", r.getString("transport"));
        sane("agent", r.getJsonObject("agent"));
        sane("bare", r.getJsonObject("bare"));
    }

    @Test
    void aTransportItCannotMeasureIsAUsageError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Vmbus.execute(new String[] {"bench", "footprint", "--transport", "uio"},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, status);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--transport must be sim or shm"), err.toString());
    }

    private JsonObject run(String transport) throws Exception {
        Path json = tmp.resolve("footprint-" + transport + ".json");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        // The children run the main classes and their dependencies, as a user's jar holds them (no test plugins).
        String classPath = java.util.Arrays.stream(System.getProperty("java.class.path").split(":"))
                .filter(p -> !p.endsWith("test-classes")).collect(java.util.stream.Collectors.joining(":"));
        int status = Vmbus.execute(new String[] {"bench", "footprint", "--transport", transport, "--seconds", "2",
                        "--idle-seconds", "1", "--class-path", classPath, "--json", json.toString()},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
        return new JsonObject(Files.readString(json));
    }

    private static void sane(String who, JsonObject p) {
        String all = who + ": " + p.encodePrettily();
        assertTrue(p.getLong("vmRssKb") > 1024, all);
        assertTrue(p.getLong("vmHwmKb") >= p.getLong("vmRssKb"), all);
        assertTrue(p.getLong("rssAnonKb") > 0 && p.getLong("rssAnonKb") <= p.getLong("vmRssKb"), all);
        assertTrue(p.getLong("rssFileKb") >= 0, all);
        JsonArray names = p.getJsonArray("threadNames");
        assertEquals(p.getInteger("threads"), names.size(), all);
        assertTrue(names.contains("vert.x-eventloo"), "an event loop (names cut at 15 characters): " + all);
        assertTrue(p.getDouble("startupMillis") > 0, all);
        assertTrue(p.getLong("idleCpuMillis") >= 0 && p.getDouble("idleCpuPercent") >= 0, all);
    }
}
