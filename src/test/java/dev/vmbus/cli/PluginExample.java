package dev.vmbus.cli;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The example plug-in ({@code src/test/plugin-example}, a Maven project of its own) built the way docs/PLUGINS.md
 * tells an author to: offline, against this build's artifacts installed as {@code mvn install} would put them,
 * into a local repository of the caller's own (the user's is never written).
 */
final class PluginExample {
    static final String PING_CLASS = "a1b2c3d4-0000-4000-8000-00000000c0de";
    static final String JAR = "vmbus-ping-1.0.jar";

    private PluginExample() {
    }

    /**
     * Copies the example into {@code tmp/vmbus-ping}, runs its {@code mvn package} (its kit test included) and
     * returns its jar. Skips the calling test when {@code mvn} is not on the PATH; fails with the build's log when the
     * build fails.
     */
    static Path build(Path tmp) throws Exception {
        Path mvn = onPath("mvn");
        Assumptions.assumeTrue(mvn != null, "mvn is not on the PATH: the example plug-in cannot be built");
        Path repo = localRepository(tmp);
        Path project = tmp.resolve("vmbus-ping");
        copyTree(Path.of("src/test/plugin-example"), project);

        ProcessBuilder build = new ProcessBuilder(mvn.toString(), "-o", "-B", "-q", "-Dmaven.repo.local=" + repo,
                "package").directory(project.toFile()).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("build.log").toFile());
        build.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = build.start();
        if (!p.waitFor(150, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the example's build did not end within 150 s:\n" + Files.readString(tmp.resolve("build.log")));
        }
        String log = Files.readString(tmp.resolve("build.log"));
        assertEquals(0, p.exitValue(), "the example's build failed:\n" + log);
        String report = Files.readString(project.resolve("target/surefire-reports/TEST-dev.vmbus.example.PingHandlerTest.xml"));
        assertTrue(report.contains("tests=\"2\"") && report.contains("failures=\"0\"") && report.contains("errors=\"0\""),
                report.lines().limit(3).toList().toString());
        Path jar = project.resolve("target/" + JAR);
        assertTrue(Files.isRegularFile(jar), "the example's build made no " + jar);
        return jar;
    }

    /**
     * A local repository with this build's artifacts where {@code mvn install} puts them (the jar of
     * {@code target/classes}, the pom, the testkit classifier jar), and every other artifact the user's has,
     * linked: the example then resolves offline without touching the user's repository.
     */
    private static Path localRepository(Path tmp) throws IOException {
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
        String version = Vmbus.projectVersion();
        Path artifact = Files.createDirectories(dev.resolve("vmbus/vertx-vmbus/" + version));
        String base = "vertx-vmbus-" + version;
        Files.copy(Path.of("pom.xml"), artifact.resolve(base + ".pom"));
        jar(Path.of("target/classes"), p -> true, artifact.resolve(base + ".jar"));
        jar(Path.of("target/test-classes"), p -> p.startsWith("dev/vmbus/testkit/") && !p.endsWith("Test.class")
                && !p.contains("Test$") && !p.endsWith("/AgentInternals.class"), artifact.resolve(base + "-testkit.jar"));
        return repo;
    }

    private static void jar(Path root, Predicate<String> include, Path to) throws IOException {
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
}
