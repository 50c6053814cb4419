package dev.vmbus.dashboard;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code promtool check metrics} (Debian package {@code prometheus}) on the live {@code /metrics} of the agent
 * on the sim transport: no errors and no lint complaints. Never skipped: without promtool the test fails.
 */
class PromtoolTest {
    static final String PROMTOOL = "/usr/bin/promtool";

    @TempDir
    static Path dir;
    static DashboardHarness h;

    @BeforeAll
    static void start() throws Exception {
        if (!new File(PROMTOOL).canExecute()) {
            fail(PROMTOOL + " is missing: install the Debian package `prometheus` (apt-get install prometheus),"
                    + " which ships promtool; CI installs it");
        }
        h = new DashboardHarness(dir);
    }

    @AfterAll
    static void stop() throws Exception {
        if (h != null) {
            h.close();
        }
    }

    /** Runs promtool on {@code text}; returns its exit code and everything it printed. */
    static String check(String text) throws Exception {
        Process p = new ProcessBuilder(PROMTOOL, "check", "metrics").redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(text.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("promtool did not finish");
        }
        return p.exitValue() + ":" + out;
    }

    @Test
    void liveMetricsPassPromtool() throws Exception {
        // a faulted channel too, so that channels without stats are part of what promtool sees
        assertEquals(200, h.act("inject-fault", new JsonObject().put("relid", 5)).statusCode());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        String text;
        do {
            HttpResponse<String> r = h.get("/metrics");
            assertEquals(200, r.statusCode());
            text = r.body();
        } while (!text.contains("state=\"faulted\"") && System.nanoTime() < deadline);
        assertTrue(text.contains("vmbus_channel_info{relid=\"5\",class=\"vss\"") && text.contains("vmbus_channels{state=\"faulted\"} 1"), text);
        assertTrue(text.contains("vmbus_channel_packets_total{relid=\"1\",class=\"heartbeat\",direction=\"in\"}"), text);
        assertEquals("0:", check(text), "promtool check metrics on:\n" + text);
    }

    @Test
    void hostileLabelValuesPassPromtool() throws Exception {
        String text = PrometheusFormat.render(PrometheusFormatTest.snapshot());
        assertEquals("0:", check(text), "promtool check metrics on:\n" + text);
    }

    @Test
    void promtoolDoesComplain() throws Exception {
        // guards the two tests above against a promtool that accepts anything
        String result = check("# HELP bad_counter x\n# TYPE bad_counter counter\nbad_counter 1\n");
        assertTrue(!result.startsWith("0:") && result.contains("should have \"_total\" suffix"), result);
    }
}
