package dev.vmbus.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

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
    private static final String VERSION = Vmbus.projectVersion();
    private static final String PING_CLASS = "a1b2c3d4-0000-4000-8000-00000000c0de";

    @TempDir
    Path tmp;

    @Test
    void theExampleBuiltAsAnOutsideProjectAnswersUnderVmbusRunWithPlugins() throws Exception {
        Path mvn = onPath("mvn");
        Assumptions.assumeTrue(mvn != null, "mvn is not on the PATH: the example plug-in cannot be built");
        Path repo = localRepository();
        Path project = tmp.resolve("vmbus-ping");
        copyTree(Path.of("src/test/plugin-example"), project);

        // the project's own build: compile, its kit test, its jar; offline, against the artifacts above
        ProcessBuilder build = new ProcessBuilder(mvn.toString(), "-o", "-B", "-q", "-Dmaven.repo.local=" + repo,
                "package").directory(project.toFile()).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("build.log").toFile());
        build.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = build.start();
        assertTrue(p.waitFor(150, TimeUnit.SECONDS), "the example's build did not end within 150 s");
        String log = Files.readString(tmp.resolve("build.log"));
        assertEquals(0, p.exitValue(), "the example's build failed:\n" + log);
        String report = Files.readString(project.resolve("target/surefire-reports/TEST-dev.vmbus.example.PingHandlerTest.xml"));
        assertTrue(report.contains("tests=\"2\"") && report.contains("failures=\"0\"") && report.contains("errors=\"0\""),
                report.lines().limit(3).toList().toString());

        Path plugins = Files.createDirectories(tmp.resolve("plugins"));
        Files.copy(project.resolve("target/vmbus-ping-1.0.jar"), plugins.resolve("vmbus-ping-1.0.jar"));
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

    /**
     * A local repository with this build's artifacts where {@code mvn install} puts them (the jar of
     * {@code target/classes}, the pom, the testkit classifier jar), and every other artifact the local one has,
     * linked: the example then resolves offline without touching the user's repository.
     */
    private Path localRepository() throws IOException {
        Path user = Path.of(System.getProperty("user.home"), ".m2", "repository");
        Path repo = Files.createDirectories(tmp.resolve("repo"));
        try (Stream<Path> top = Files.list(user)) {
            for (Path entry : top.toList()) {
                if (!entry.getFileName().toString().equals("dev")) {
                    Files.createSymbolicLink(repo.resolve(entry.getFileName().toString()), entry);
                }
            }
        }
        Path dev = Files.createDirectories(repo.resolve("dev"));
        if (Files.isDirectory(user.resolve("dev"))) {
            try (Stream<Path> groups = Files.list(user.resolve("dev"))) {
                for (Path g : groups.toList()) {
                    if (!g.getFileName().toString().equals("vmbus")) {
                        Files.createSymbolicLink(dev.resolve(g.getFileName().toString()), g);
                    }
                }
            }
        }
        Path artifact = Files.createDirectories(dev.resolve("vmbus/vertx-vmbus/" + VERSION));
        String base = "vertx-vmbus-" + VERSION;
        Files.copy(Path.of("pom.xml"), artifact.resolve(base + ".pom"));
        jar(Path.of("target/classes"), p -> true, artifact.resolve(base + ".jar"));
        jar(Path.of("target/test-classes"), p -> p.startsWith("dev/vmbus/testkit/") && !p.endsWith("Test.class")
                && !p.contains("Test$"), artifact.resolve(base + "-testkit.jar"));
        return repo;
    }

    private static void jar(Path root, java.util.function.Predicate<String> include, Path to) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(to)); Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                String name = root.relativize(f).toString().replace('\\', '/');
                if (include.test(name)) {
                    out.putNextEntry(new JarEntry(name));
                    Files.copy(f, out);
                    out.closeEntry();
                }
            }
        }
    }

    /** This JVM's class path without the test classes (which hold the example too): the agent and its libraries. */
    private static String agentClassPath() {
        return Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(e -> !e.endsWith("test-classes") && !e.contains("surefire")).reduce((a, b) -> a + java.io.File.pathSeparator + b)
                .orElseThrow();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
    }

    private static Path onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    private static String getText(String url) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), url + ": " + r.body());
        return r.body();
    }

    private static JsonObject get(String url) throws Exception {
        return new JsonObject(getText(url));
    }
}
