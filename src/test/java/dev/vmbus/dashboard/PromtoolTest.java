package dev.vmbus.dashboard;

import dev.vmbus.testkit.TestAgent;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code promtool check metrics} (Debian package {@code prometheus}) on the live {@code /metrics} of the agent
 * on the sim transport: no errors and no lint complaints; {@code promtool check rules}, {@code check config} and
 * {@code test rules} on conf/prometheus/. Never skipped: without promtool the test fails.
 */
class PromtoolTest {
    static final String PROMTOOL = "/usr/bin/promtool";

    @TempDir
    static Path dir;
    static TestAgent agent;
    static DashboardClient h;

    @BeforeAll
    static void start() throws Exception {
        if (!new File(PROMTOOL).canExecute()) {
            fail(PROMTOOL + " is missing: install the Debian package `prometheus` (apt-get install prometheus),"
                    + " which ships promtool; CI installs it");
        }
        DashboardAgentConfig setup = DashboardAgentConfig.of(dir);
        agent = setup.start();
        h = DashboardClient.open(agent, setup.channelCount());
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
        if (agent != null) {
            agent.close();
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
        String text = await("the faulted channel in /metrics").atMost(5, TimeUnit.SECONDS).until(() -> {
            HttpResponse<String> r = h.get("/metrics");
            assertEquals(200, r.statusCode());
            return r.body();
        }, t -> t.contains("state=\"faulted\""));
        assertTrue(Exposition.has(text, "vmbus_channel_info", "relid", "5", "class", "vss")
                && Double.valueOf(1).equals(Exposition.value(text, "vmbus_channels", "state", "faulted")), text);
        assertNotNull(Exposition.value(text, "vmbus_channel_packets_total", "relid", "1", "class", "heartbeat", "direction", "in"), text);
        assertEquals("0:", check(text), "promtool check metrics on:\n" + text);
        assertEquals(2.0, Exposition.value(text, "vmbus_channel_health_state", "relid", "5", "class", "vss"), text);
    }

    @Test
    void hostileLabelValuesPassPromtool() throws Exception {
        String text = PrometheusFormatTest.render(PrometheusFormatTest.snapshot());
        assertEquals("0:", check(text), "promtool check metrics on:\n" + text);
    }

    static final Path RULES = Path.of("conf/prometheus/vmbus-rules.yml");
    static final Path RULE_TESTS = Path.of("src/test/resources/prometheus/vmbus-rules.test.yml");

    /** Runs promtool with {@code args} in {@code cwd}; returns its exit code and everything it printed. */
    static String promtool(Path cwd, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(PROMTOOL));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("promtool did not finish");
        }
        return p.exitValue() + ":" + out;
    }

    /** The rules file and its tests side by side in a fresh directory, as promtool resolves rule_files. */
    static Path rulesWithTests(String tests) throws Exception {
        Path work = Files.createTempDirectory(dir, "rules");
        Files.copy(RULES, work.resolve("vmbus-rules.yml"));
        Files.writeString(work.resolve("vmbus-rules.test.yml"), tests);
        return work;
    }

    @Test
    void rulesPassCheckRules() throws Exception {
        String result = promtool(Path.of("."), "check", "rules", RULES.toString());
        assertTrue(result.startsWith("0:") && result.contains("SUCCESS"), result);
    }

    @Test
    void everyAlertHasAUnitTestASummaryAndARunbookEntry() throws Exception {
        String rules = Files.readString(RULES);
        String tests = Files.readString(RULE_TESTS);
        String operations = Files.readString(Path.of("docs/OPERATIONS.md"));
        Set<String> alerts = names(rules, "- alert: (\\w+)");
        assertEquals(Set.of("VmbusAgentDown", "VmbusHeartbeatLost", "VmbusChannelFaulted", "VmbusRingNearlyFull",
                "VmbusTimesyncOffset", "VmbusTimesyncStale", "VmbusVssFrozenTooLong", "VmbusFcopyStuck",
                "VmbusNicLinkDown", "VmbusNicDropping"), alerts);
        assertEquals(alerts, names(tests, "alertname: (\\w+)"), "every alert is unit-tested, and only those");
        for (String alert : alerts) {
            String body = rules.substring(rules.indexOf("- alert: " + alert));
            body = body.substring(0, Math.min(body.length(), body.indexOf("runbook:") + 60));
            assertTrue(body.contains("summary:"), alert + " has no summary");
            assertTrue(body.contains("runbook: \"docs/OPERATIONS.md#" + alert.toLowerCase() + "\""), alert + ": " + body);
            assertTrue(operations.contains("#### " + alert + "\n"), "docs/OPERATIONS.md has no runbook entry for " + alert);
        }
        // every alert's test expects it both quiet (before its `for:`) and firing
        for (String alert : alerts) {
            String section = tests.substring(tests.indexOf("alertname: " + alert));
            assertTrue(section.contains("exp_alerts: []"), alert);
            assertTrue(section.contains("exp_labels"), alert);
        }
    }

    @Test
    void everyAlertPassesItsUnitTests() throws Exception {
        Path work = rulesWithTests(Files.readString(RULE_TESTS));
        String result = promtool(work, "test", "rules", "vmbus-rules.test.yml");
        assertTrue(result.startsWith("0:") && result.contains("SUCCESS"), result);
    }

    @Test
    void aWrongExpectationFailsTheRuleTests() throws Exception {
        // guards the test above against a promtool (or a test file) that passes anything
        String broken = Files.readString(RULE_TESTS).replace("value: 0.25", "value: 0.5");
        String result = promtool(rulesWithTests(broken), "test", "rules", "vmbus-rules.test.yml");
        assertTrue(!result.startsWith("0:") && result.contains("FAILED"), result);
    }

    @Test
    @Tag("slow") // promtool waits out its service-discovery timeout: run by mvn verify, not by mvn test
    void theScrapeExamplePassesCheckConfig() throws Exception {
        Path work = Files.createTempDirectory(dir, "config");
        Files.copy(RULES, work.resolve("vmbus-rules.yml"));
        Path token = Files.writeString(work.resolve("token"), "0123456789abcdef0123");
        Files.writeString(work.resolve("prometheus.yml"), Files.readString(Path.of("conf/prometheus/prometheus.yml"))
                .replace("/etc/prometheus/vmbus-token", token.toString()));
        Files.createDirectories(work.resolve("agents"));
        Files.copy(Path.of("conf/prometheus/agents/example.yml"), work.resolve("agents/example.yml"));
        String result = promtool(work, "check", "config", "prometheus.yml");
        assertTrue(result.startsWith("0:") && result.contains("SUCCESS: 15 rules found"), result);
        String sd = promtool(work, "check", "service-discovery", "prometheus.yml", "vmbus");
        assertTrue(sd.contains("192.0.2.21:8080") && sd.contains("build-agent-1"), sd);
    }

    private static Set<String> names(String text, String regex) {
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @Test
    void promtoolDoesComplain() throws Exception {
        // guards the two tests above against a promtool that accepts anything
        String result = check("# HELP bad_counter x\n# TYPE bad_counter counter\nbad_counter 1\n");
        assertTrue(!result.startsWith("0:") && result.contains("should have \"_total\" suffix"), result);
    }
}
