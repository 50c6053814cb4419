package dev.vmbus.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/PLUGINS.md as a plug-in author follows it: the example plug-in ({@code src/test/plugin-example}, a Maven
 * project of its own) is built offline against this build's artifacts, installed as {@code mvn install} would into
 * a local repository of the test's own; its jar goes into a plug-in directory, and {@code vmbus run --plugins DIR}
 * (on the agent's class path alone) with the simulated host offering the ping class shows the plug-in answering in
 * {@code /api/channels}, {@code /api/devices} and {@code vmbus ls}.
 */
@Tag("slow")
class PluginProjectTest {
    private static final String PING_CLASS = PluginExample.PING_CLASS;

    @TempDir
    Path tmp;

    @Test
    void theExampleBuiltAsAnOutsideProjectAnswersUnderVmbusRunWithPlugins() throws Exception {
        Path jar = PluginExample.build(tmp);

        Path plugins = Files.createDirectories(tmp.resolve("plugins"));
        Files.copy(jar, plugins.resolve(PluginExample.JAR));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path conf = tmp.resolve("ping.json");
        Files.writeString(conf, new JsonObject()
                .put("devices", new JsonObject().put("ping", new JsonObject().put("enabled", true).put("prefix", "PONG ")))
                .put("host", new JsonObject().put("offers", new JsonArray().add(new JsonObject().put("classId", PING_CLASS))))
                .put("dashboard", new JsonObject().put("port", port)).encodePrettily());

        try (VmbusProcess run = VmbusProcess.withClassPath(List.of("--enable-native-access=ALL-UNNAMED"), agentClassPath(),
                "run", "--conf", conf.toString(), "--plugins", plugins.toString())) {
            run.await("plug-ins: 1 jar(s) in " + plugins + " [vmbus-ping-1.0.jar]", 30_000);
            run.await("ready:", 30_000);
            String base = "http://127.0.0.1:" + port;
            JsonObject ping = Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                    .until(() -> get(base + "/api/devices").getJsonObject("ping"), d -> d != null && d.getLong("answered", 0L) == 1);
            assertTrue(ping.containsKey("health"), ping.encode());
            JsonObject channel = new JsonArray(getText(base + "/api/channels")).stream().map(JsonObject.class::cast)
                    .filter(c -> PING_CLASS.equals(c.getString("classId"))).findFirst().orElseThrow();
            assertEquals(7, channel.getInteger("relid"), channel.encode());
            assertEquals("ping", channel.getString("class"));
            assertEquals("open", channel.getString("state"));
            assertTrue(channel.getJsonObject("stats").getLong("packetsIn") >= 1, channel.encode());

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int ls = Vmbus.execute(new String[] {"ls", "--url", base}, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            assertEquals(0, ls, out.toString(StandardCharsets.UTF_8));
            assertTrue(out.toString(StandardCharsets.UTF_8).contains("VMBUS ID  7: Class_ID = {" + PING_CLASS + "} - ping"),
                    out.toString(StandardCharsets.UTF_8));
            assertEquals(0, run.terminate(20_000));
        }
    }

    /** This JVM's class path without the test classes (which hold the example too): the agent and its libraries. */
    private static String agentClassPath() {
        return Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(e -> !e.endsWith("test-classes") && !e.contains("surefire")).reduce((a, b) -> a + java.io.File.pathSeparator + b)
                .orElseThrow();
    }

    static String getText(String url) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), url + ": " + r.body());
        return r.body();
    }

    static JsonObject get(String url) throws Exception {
        return new JsonObject(getText(url));
    }
}
