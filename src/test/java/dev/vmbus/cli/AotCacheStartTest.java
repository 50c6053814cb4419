package dev.vmbus.cli;

import dev.vmbus.bench.JvmOptions;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent starts with the JVM options of conf/jvm.options whatever state its AOT cache is in: missing,
 * not a cache at all, or stale (made for a jar that has since been rebuilt). A cache only saves start-up time.
 */
@Tag("slow") // child JVMs, processes or a browser: run by mvn verify, not by mvn test
class AotCacheStartTest {
    @TempDir
    Path tmp;

    @Test
    void startsWithAMissingCache() throws Exception {
        assertStarts(tmp.resolve("no-such.aot"), List.of());
    }

    @Test
    void startsWithACorruptCache() throws Exception {
        Path bad = tmp.resolve("corrupt.aot");
        byte[] junk = new byte[256 * 1024];
        new Random(12).nextBytes(junk);
        Files.write(bad, junk);
        assertStarts(bad, List.of());
    }

    @Test
    void startsWithAStaleCache() throws Exception {
        // A real cache, trained on a class path whose first jar is then rebuilt: the JVM must notice and go on.
        // (A cache can only be made for jars, not class directories: the training runs javac's usage message
        // with the stale jar and this JVM's dependency jars.)
        Path jar = tmp.resolve("plugin.jar");
        writeJar(jar, "one");
        Path cache = tmp.resolve("stale.aot");
        List<String> cmd = new ArrayList<>(List.of(java()));
        cmd.addAll(JvmOptions.read(JvmOptions.DEFAULT));
        String jars = java.util.Arrays.stream(System.getProperty("java.class.path").split(":"))
                .filter(p -> p.endsWith(".jar")).collect(java.util.stream.Collectors.joining(":"));
        cmd.addAll(List.of("-XX:AOTCacheOutput=" + cache, "-cp", jar + ":" + jars, "com.sun.tools.javac.Main"));
        Process training = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("train.log").toFile()).start();
        assertTrue(training.waitFor(120, TimeUnit.SECONDS), "training run did not end");
        assertTrue(Files.size(cache) > 0, "the training run wrote a cache: " + Files.readString(tmp.resolve("train.log")));
        writeJar(jar, "two, rebuilt and longer");
        assertStarts(cache, List.of(jar.toString()));
    }

    private void assertStarts(Path cache, List<String> extraClassPath) throws Exception {
        Path conf = tmp.resolve("vmbus.json");
        Files.writeString(conf, """
                { "devices": { "heartbeat": { "enabled": true } }, "host": { "heartbeatIntervalMs": 100 } }""");
        List<String> jvm = new ArrayList<>(JvmOptions.read(JvmOptions.DEFAULT));
        jvm.add("-XX:AOTCache=" + cache);
        // The stale case runs with the class path of its training run: the rebuilt jar first.
        try (VmbusProcess run = extraClassPath.isEmpty()
                ? new VmbusProcess(jvm, "run", "--conf", conf.toString(), "--no-dashboard")
                : VmbusProcess.withClassPath(jvm, extraClassPath.getFirst() + ":" + System.getProperty("java.class.path"),
                        "run", "--conf", conf.toString(), "--no-dashboard")) {
            run.await("vmbus agent running on the sim transport", 30_000);
            run.await("guest heartbeat on channel 1 is healthy", 10_000);
            assertEquals(0, run.terminate(10_000));
        }
    }

    private static void writeJar(Path jar, String text) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().putValue("Manifest-Version", "1.0");
        m.getMainAttributes().putValue("Implementation-Title", text);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m)) {
            out.flush();
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
