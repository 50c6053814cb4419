package dev.vmbus.cli;

import dev.vmbus.config.ConfigException;
import dev.vmbus.config.TransportType;
import dev.vmbus.transport.uio.KernelFixtures;
import dev.vmbus.transport.uio.KernelFixtures.Generation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which configuration a command reads without {@code --conf}: the installed {@code vmbus} its
 * {@code /etc/vmbus/vmbus.json} (the launcher's {@code -Dvmbus.defaultConf}), the jar {@code conf/vmbus.json}; a
 * missing default file means the built-in defaults, said once; a missing file given with {@code --conf} is an error.
 */
class ConfigFileTest {
    @TempDir
    Path tmp;

    @Test
    void aFileGivenWithConfMustExistAndIsNeverReplacedByTheDefaults() throws Exception {
        Path present = Files.writeString(tmp.resolve("default.json"), "{}");
        ConfigFile f = ConfigFile.resolve(tmp.resolve("missing.json"), present);
        assertEquals(Optional.of(tmp.resolve("missing.json")), f.file());
        assertEquals(Optional.empty(), f.note());
        ConfigException e = assertThrows(ConfigException.class, f::load);
        assertEquals("config file " + tmp.resolve("missing.json") + " does not exist", e.getMessage());
    }

    @Test
    void aMissingDefaultFileMeansTheBuiltInDefaultsAndSaysWhichFileWasMissing() {
        Path missing = tmp.resolve("etc/vmbus/vmbus.json");
        ConfigFile f = ConfigFile.resolve(null, missing);
        assertEquals(Optional.empty(), f.file());
        assertEquals(Optional.of("no configuration file " + missing + "; using the built-in defaults"), f.note());
        assertEquals(f.note().orElseThrow(), f.describe());
        assertEquals(TransportType.SIM, f.load().transport().type());
    }

    @Test
    void anExistingDefaultFileIsRead() throws Exception {
        Path file = Files.writeString(tmp.resolve("vmbus.json"), "{ \"transport\": { \"type\": \"shm\" } }");
        ConfigFile f = ConfigFile.resolve(null, file);
        assertEquals(Optional.of(file), f.file());
        assertEquals(Optional.empty(), f.note());
        assertEquals("configuration " + file, f.describe());
        assertEquals(TransportType.SHM, f.load().transport().type());
    }

    @Test
    void theJarsDefaultIsConfVmbusJsonUnlessTheLauncherNamesAnother() {
        // This test JVM is not started by /usr/bin/vmbus.
        assertEquals(null, System.getProperty(ConfigFile.DEFAULT_PROPERTY));
        assertEquals(Path.of("conf/vmbus.json"), ConfigFile.processDefault());
    }

    @org.junit.jupiter.api.Tag("slow") // a vmbus child JVM: run by mvn verify, not by mvn test
    @Test
    void runFromADirectoryWithoutConfStartsOnTheBuiltInDefaultsAndSaysSoOnce() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("home"));
        try (VmbusProcess run = VmbusProcess.in(empty, List.of(), "run", "--no-dashboard")) {
            run.await("channel 1 (heartbeat, instance fd149e91-82e0-4a7d-afa6-2a4166cbd7c0) opened on sim", 30_000);
            run.await("vmbus agent running", 10_000);
            assertEquals(0, run.terminate(10_000));
            assertEquals(1, run.lines.stream()
                    .filter(l -> l.contains("no configuration file conf/vmbus.json; using the built-in defaults")).count(),
                    String.join("\n", run.lines));
        }
    }

    @org.junit.jupiter.api.Tag("slow") // a vmbus child JVM: run by mvn verify, not by mvn test
    @Test
    void theLaunchersDefaultFileIsReadWhereverTheCommandRuns() throws Exception {
        // Run from the project's directory, whose conf/vmbus.json must not be read.
        Path etc = Files.writeString(Files.createDirectories(tmp.resolve("etc/vmbus")).resolve("vmbus.json"), """
                { "transport": { "type": "sim" },
                  "devices": { "heartbeat": { "enabled": true }, "timesync": { "enabled": false },
                               "shutdown": { "enabled": false }, "kvp": { "enabled": false },
                               "vss": { "enabled": false }, "fcopy": { "enabled": false } },
                  "dashboard": { "enabled": false } }""");
        try (VmbusProcess run = VmbusProcess.in(Path.of("").toAbsolutePath(),
                List.of("-D" + ConfigFile.DEFAULT_PROPERTY + "=" + etc), "run")) {
            run.await("configuration " + etc, 30_000);
            run.await("vmbus agent running on the sim transport with handlers [heartbeat]", 30_000);
            assertEquals(0, run.terminate(10_000));
            assertTrue(!run.has("using the built-in defaults"), String.join("\n", run.lines));
        }
    }

    @org.junit.jupiter.api.Tag("slow") // a vmbus child JVM: run by mvn verify, not by mvn test
    @Test
    void doctorReadsTheSameDefaultAndSaysWhenItIsMissing() throws Exception {
        KernelFixtures tree = KernelFixtures.create(tmp.resolve("tree"), Generation.STABLE_6_6);
        Path etc = tree.config(tmp.resolve("vmbus.json"), null);
        try (VmbusProcess doctor = VmbusProcess.in(tmp, List.of("-D" + ConfigFile.DEFAULT_PROPERTY + "=" + etc), "doctor")) {
            doctor.await("configuration " + etc, 30_000);
            doctor.exitStatus(30_000);
            assertTrue(doctor.has("kernel 6.6.87-generic"), "the fixture's kernel, from the default file's procRoot:\n"
                    + String.join("\n", doctor.lines));
        }
        Path missing = tmp.resolve("nowhere/vmbus.json");
        try (VmbusProcess doctor = VmbusProcess.in(tmp, List.of("-D" + ConfigFile.DEFAULT_PROPERTY + "=" + missing),
                "doctor", "--sysfs-root", tree.sys().toString(), "--proc-root", tree.proc().toString())) {
            doctor.await("no configuration file " + missing + "; using the built-in defaults", 30_000);
            doctor.exitStatus(30_000);
        }
    }
}
