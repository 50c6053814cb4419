package dev.vmbus.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 23's "done means", as an operator would do it with the package: the example plug-in built as an outside
 * project ({@link PluginExample}), its jar dropped into {@code /usr/lib/vmbus/plugins} of the package installed into
 * a throw-away root ({@code dpkg --root}, as {@link DebianPackageIT} does), and the installed {@code vmbus host} and
 * {@code vmbus run} started with neither {@code --plugins} nor {@code --conf}: both load the jar from the package's
 * plug-in directory and read {@code /etc/vmbus/vmbus.json}, whose {@code host.offers} offers the ping class over
 * shm. The plug-in answers the host's greeting, seen in {@code /api/channels}, {@code /api/devices} and the
 * installed {@code vmbus ls}, and the host's counterpart (the plug-in's {@code PingHost}) heard the answer.
 */
class PluginPackageIT {
    private static final Map<String, String> NO_JDK = Map.of("PATH", "/nonexistent");

    @TempDir
    Path tmp;

    @Test
    void theExamplePluginInTheInstalledPackagesDirectoryAnswersInTheRunningAgent() throws Exception {
        Path jar = PluginExample.build(tmp);
        Path root = tmp.resolve("root");
        DebianPackageIT.install(root, DebianPackageIT.deb());
        Path plugins = root.resolve("usr/lib/vmbus/plugins");
        assertTrue(Files.isDirectory(plugins), "the package has no " + plugins);
        Files.copy(jar, plugins.resolve(PluginExample.JAR));

        int port = freePort();
        int hostPort = freePort();
        Path shm = tmp.resolve("shm");
        JsonObject devices = new JsonObject().put("ping", new JsonObject().put("enabled", true).put("prefix", "PONG "));
        for (String ic : List.of("timesync", "shutdown", "kvp", "vss", "fcopy")) {
            devices.put(ic, new JsonObject().put("enabled", false)); // none of them touches this machine
        }
        Path conf = root.resolve("etc/vmbus/vmbus.json");
        Files.writeString(conf, new JsonObject()
                .put("transport", new JsonObject().put("type", "shm").put("shmDir", shm.toString()))
                .put("devices", devices)
                .put("dashboard", new JsonObject().put("port", port))
                .put("host", new JsonObject().put("offers", new JsonArray().add(new JsonObject()
                        .put("classId", PluginExample.PING_CLASS)
                        .put("settings", new JsonObject().put("greeting", "from the package")))))
                .encodePrettily());
        Path vmbus = root.resolve("usr/bin/vmbus");
        String loaded = "plug-ins: 1 jar(s) in " + plugins + " [" + PluginExample.JAR + "]";

        try (VmbusProcess host = new VmbusProcess(List.of(vmbus.toString(), "host", "--dashboard-port",
                String.valueOf(hostPort)), NO_JDK, true)) {
            host.await(loaded, 30_000);
            host.await("simulated host serving shm", 30_000);
            try (VmbusProcess agent = new VmbusProcess(List.of(vmbus.toString(), "run"), NO_JDK, true)) {
                agent.await("configuration " + conf, 30_000);
                agent.await(loaded, 30_000);
                agent.await("ready:", 30_000);
                String base = "http://127.0.0.1:" + port;
                JsonObject ping = Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                        .until(() -> PluginProjectTest.get(base + "/api/devices").getJsonObject("ping"),
                                d -> d != null && d.getLong("answered", 0L) == 1);
                assertTrue(ping.containsKey("health"), ping.encode());
                JsonObject channel = new JsonArray(PluginProjectTest.getText(base + "/api/channels")).stream()
                        .map(JsonObject.class::cast).filter(c -> PluginExample.PING_CLASS.equals(c.getString("classId")))
                        .findFirst().orElseThrow();
                assertEquals(7, channel.getInteger("relid"), channel.encode());
                assertEquals("ping", channel.getString("class"));
                assertEquals("open", channel.getString("state"));
                assertTrue(channel.getJsonObject("stats").getLong("packetsIn") >= 1, channel.encode());

                DebianPackageIT.Result ls = DebianPackageIT.run(NO_JDK, true, vmbus.toString(), "ls", "--url", base);
                assertEquals(0, ls.code(), ls.out());
                assertTrue(ls.out().contains("VMBUS ID  7: Class_ID = {" + PluginExample.PING_CLASS + "} - ping"), ls.out());
                // the host's end is the plug-in's PingHost, loaded from the same directory: it kept the answer
                JsonObject hostEnd = Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                        .until(() -> hostDevice(PluginProjectTest.get("http://127.0.0.1:" + hostPort + "/api/host"), 7),
                                d -> d != null && d.getLong("answers", 0L) == 1);
                assertEquals("ping", hostEnd.getString("device"), hostEnd.encode());
                assertEquals("PONG from the package", hostEnd.getString("lastAnswer"), hostEnd.encode());
                assertEquals(0, agent.terminate(20_000));
            }
            assertEquals(0, host.terminate(20_000));
        }
    }

    private static JsonObject hostDevice(JsonObject host, int relid) {
        return host.getJsonArray("devices").stream().map(JsonObject.class::cast)
                .filter(d -> d.getInteger("relid") == relid).findFirst().orElse(null);
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
