package dev.vmbus.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Debian package the build made (target/vmbus_VERSION_ARCH.deb), checked as an operator would meet it:
 * lintian, its contents, an install into a throw-away root, the installed command and agent, and a purge.
 *
 * <p>Installs go through {@code dpkg --root} with chrootless maintainer scripts, which works unprivileged and, as
 * root, leaves this machine's own dpkg database alone. That root has no libc6 package, so dependencies are
 * forced; the binaries run on this machine's libc.
 */
class DebianPackageIT {
    @TempDir
    Path tmp;

    static Path deb() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            List<Path> debs = files.filter(p -> p.getFileName().toString().matches("vmbus_.+_.+\\.deb")).toList();
            assertEquals(1, debs.size(), "exactly one package in target/: " + debs);
            return debs.getFirst();
        }
    }

    static String projectVersion() throws IOException {
        try (InputStream in = DebianPackageIT.class.getResourceAsStream("/dev/vmbus/version.properties")) {
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        }
    }

    /** Runs a command to completion; output and error together. */
    static Result run(Map<String, String> env, boolean clearEnv, String... command) throws Exception {
        requireTool(command[0]);
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
        if (clearEnv) {
            b.environment().clear();
        }
        b.environment().putAll(env);
        Process p = b.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    static Result run(String... command) throws Exception {
        return run(Map.of(), false, command);
    }

    record Result(int code, String out) {
    }

    private static void requireTool(String tool) {
        if (tool.contains("/")) {
            return;
        }
        boolean found = Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, tool)));
        assertTrue(found, tool + " is not installed (Debian packages lintian, dpkg-dev, systemd; bash scripts/test.sh"
                + " installs them)");
    }

    /** An empty dpkg database under {@code root}, then the package installed into it. */
    static void install(Path root, Path deb) throws Exception {
        Path admin = root.resolve("var/lib/dpkg");
        for (String d : new String[] {"info", "updates", "triggers"}) {
            Files.createDirectories(admin.resolve(d));
        }
        Files.writeString(admin.resolve("status"), "");
        Files.writeString(admin.resolve("available"), "");
        dpkg(root, "-i", deb.toAbsolutePath().toString());
    }

    static String dpkg(Path root, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("dpkg", "--root=" + root.toAbsolutePath(), "--force-not-root",
                "--force-script-chrootless", "--force-depends", "--log=/dev/null"));
        cmd.addAll(List.of(args));
        Result r = run(cmd.toArray(String[]::new));
        assertEquals(0, r.code(), "dpkg " + String.join(" ", args) + ":\n" + r.out());
        return r.out();
    }

    /** Every file and symlink under {@code root}, relative, dpkg's own database left out. */
    static Set<String> files(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> !Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                    .map(p -> root.relativize(p).toString()).filter(p -> !p.startsWith("var/lib/dpkg/"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void lintianFindsNoErrorAndNoUnexplainedWarning() throws Exception {
        Result r = run("lintian", "--tag-display-limit", "0", deb().toString());
        List<String> problems = r.out().lines().filter(l -> l.startsWith("E:") || l.startsWith("W:")).toList();
        assertTrue(problems.isEmpty(), "lintian:\n" + r.out());
        assertEquals(0, r.code(), "lintian:\n" + r.out());
    }

    @Test
    void packageHoldsTheAgentItsRuntimeTheUnitAndTwoConffiles() throws Exception {
        Path deb = deb();
        String version = projectVersion().replace('-', '~');
        assertTrue(deb.getFileName().toString().startsWith("vmbus_" + version + "_"), deb.toString());
        String list = run("dpkg-deb", "-c", deb.toString()).out();
        for (String path : new String[] {"./usr/bin/vmbus", "./usr/lib/vmbus/vmbus.jar", "./usr/lib/vmbus/vmbus.aot", "./usr/lib/vmbus/runtime/bin/java",
                "./usr/lib/vmbus/runtime/lib/server/libjvm.so", "./etc/vmbus/vmbus.json", "./etc/vmbus/jvm.options",
                "./lib/systemd/system/vmbus.service", "./usr/lib/modules-load.d/vmbus.conf",
                "./usr/share/man/man1/vmbus.1.gz", "./usr/share/bash-completion/completions/vmbus",
                "./usr/share/doc/vmbus/copyright", "./usr/share/doc/vmbus/changelog.gz"}) {
            assertTrue(list.lines().anyMatch(l -> l.endsWith(" " + path)), path + " missing from:\n" + list);
        }
        assertTrue(list.lines().allMatch(l -> l.contains(" root/root ")), "a file not owned by root:\n" + list);
        assertTrue(list.lines().noneMatch(l -> l.contains("/var/lib/hyperv")), "the package must not own /var/lib/hyperv");
        assertTrue(list.lines().noneMatch(l -> l.contains("/runtime/jmods") || l.contains("/runtime/include")
                || l.contains("/runtime/man/") || l.contains("/bin/keytool")), "jlink left what the agent never uses:\n" + list);

        assertEquals("/etc/vmbus/jvm.options\n/etc/vmbus/vmbus.json\n", run("dpkg-deb", "-I", deb.toString(), "conffiles").out());
        String depends = run("dpkg-deb", "-f", deb.toString(), "Depends").out();
        assertTrue(depends.contains("libc6") && !depends.contains("jdk") && !depends.contains("jre"), depends);
        // The conffile is the real-guest configuration, byte for byte.
        Path x = tmp.resolve("x");
        run("dpkg-deb", "-x", deb.toString(), x.toString());
        assertEquals(Files.readString(Path.of("conf/vmbus-uio.json")), Files.readString(x.resolve("etc/vmbus/vmbus.json")));
        assertEquals("uio_hv_generic", Files.readString(x.resolve("usr/lib/modules-load.d/vmbus.conf")).lines()
                .filter(l -> !l.startsWith("#")).collect(Collectors.joining("\n")));
    }

    /**
     * The test kit ({@code src/testkit/java}) is for plug-in authors' tests and ships only as the {@code testkit}
     * classifier jar: no class of it in {@code vmbus.jar}, in the package's copy of it, or anywhere else in the package.
     */
    @Test
    void neitherTheAgentsJarNorThePackageCarriesTheTestKit() throws Exception {
        // what shading the kit in would add: the kit jar's own entries, which the check must see
        assertTrue(kitEntries(Path.of("target/vmbus-thin-testkit.jar")).contains("dev/vmbus/testkit/TestAgent.class"),
                "the check looks for the kit under the wrong name");
        assertTrue(entries(Path.of("target/vmbus.jar")).contains("dev/vmbus/agent/Agent.class"), "not the agent's jar");
        assertEquals(List.of(), kitEntries(Path.of("target/vmbus.jar")), "target/vmbus.jar carries the test kit");

        Path x = tmp.resolve("x");
        run("dpkg-deb", "-x", deb().toString(), x.toString());
        assertTrue(Files.isRegularFile(x.resolve("usr/lib/vmbus/vmbus.jar")));
        List<String> shipped = new ArrayList<>();
        try (Stream<Path> files = Files.walk(x)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                String name = x.relativize(p).toString();
                if (name.toLowerCase(Locale.ROOT).contains("testkit")) {
                    shipped.add(name);
                }
                if (name.endsWith(".jar")) {
                    kitEntries(p).forEach(e -> shipped.add(name + "!/" + e));
                }
            }
        }
        assertEquals(List.of(), shipped, "the package carries the test kit");
    }

    /**
     * The kit jar holds the classes of the kit's own sources ({@code src/testkit/java}) and nothing of the tests that
     * share its package: not their tests, nor {@code AgentInternals}, which opens the kit's package-private seam to
     * the agent's own tests only (the pom's testkit excludes).
     */
    @Test
    void theKitJarHoldsTheKitsOwnSourcesAndNothingElse() throws Exception {
        Set<String> sources;
        try (Stream<Path> files = Files.list(Path.of("src/testkit/java/dev/vmbus/testkit"))) {
            sources = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".java"))
                    .map(n -> n.substring(0, n.length() - ".java".length()))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        Set<String> classes = kitEntries(Path.of("target/vmbus-thin-testkit.jar")).stream()
                .filter(n -> n.endsWith(".class"))
                .map(n -> n.substring("dev/vmbus/testkit/".length(), n.length() - ".class".length()).replaceAll("\\$.*", ""))
                .collect(Collectors.toCollection(TreeSet::new));
        assertTrue(sources.contains("TestAgent"), "not the kit's sources: " + sources);
        assertEquals(sources, classes, "the testkit jar's top-level classes against src/testkit/java");
    }

    /** The entries of {@code jar} under {@code dev/vmbus/testkit/}. */
    private static List<String> kitEntries(Path jar) throws IOException {
        return entries(jar).stream().filter(n -> n.startsWith("dev/vmbus/testkit/")).toList();
    }

    /** Every entry name of {@code jar}. */
    private static List<String> entries(Path jar) throws IOException {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            return zip.stream().map(ZipEntry::getName).toList();
        }
    }

    @Test
    void installedCommandRunsOnThePackagedRuntimeAloneAndTheAgentServesAHostOverShmThenPurgeLeavesNothing()
            throws Exception {
        Path root = tmp.resolve("root");
        install(root, deb());
        // Not the package's, and shared with hv_kvp_daemon: purge must leave it.
        Path pool = Files.createDirectories(root.resolve("var/lib/hyperv")).resolve(".kvp_pool_0");
        Files.writeString(pool, "kept");
        Path vmbus = root.resolve("usr/bin/vmbus");

        // No JDK anywhere: an empty environment, PATH pointing nowhere.
        Result version = run(Map.of("PATH", "/nonexistent"), true, vmbus.toString(), "--version");
        assertEquals(0, version.code(), version.out());
        assertTrue(version.out().startsWith("vmbus " + projectVersion()), version.out());
        assertTrue(version.out().contains("Java 25") && version.out().contains(root.resolve("usr/lib/vmbus/runtime").toString()),
                "not on the packaged runtime: " + version.out());

        Path shm = tmp.resolve("shm");
        Path conf = tmp.resolve("guest.json");
        Files.writeString(conf, """
                { "transport": { "type": "shm", "shmDir": "%s" },
                  "devices": { "heartbeat": { "enabled": true }, "timesync": { "enabled": false },
                               "shutdown": { "enabled": false }, "kvp": { "enabled": false },
                               "vss": { "enabled": false }, "fcopy": { "enabled": false } },
                  "dashboard": { "enabled": false },
                  "host": { "heartbeatIntervalMs": 100 } }""".formatted(shm));
        Path etcConf = root.resolve("etc/vmbus/vmbus.json");
        Files.copy(conf, etcConf, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (VmbusProcess host = new VmbusProcess("host", "--conf", conf.toString(), "--shm-dir", shm.toString());
             VmbusProcess agent = new VmbusProcess(List.of(vmbus.toString(), "run"), Map.of("PATH", "/nonexistent"), true)) {
            host.await("simulated host serving shm", 20_000);
            // Without --conf the installed command reads its /etc/vmbus/vmbus.json (here the test's), not the
            // conf/vmbus.json of the working directory (this project's).
            agent.await("configuration " + etcConf, 30_000);
            agent.await("channel 1 (heartbeat, instance fd149e91-82e0-4a7d-afa6-2a4166cbd7c0) opened on shm", 30_000);
            host.await("guest heartbeat on channel 1 is healthy", 10_000);
            // The JVM is the packaged one, with the options of /etc/vmbus/jvm.options, as systemd would start it.
            ProcessHandle.Info info = agent.process.toHandle().info();
            assertEquals(root.resolve("usr/lib/vmbus/runtime/bin/java").toString(), info.command().orElseThrow());
            // From /proc, not ProcessHandle.Info.arguments(): the JDK leaves that empty once the command line
            // passes a page (4 KiB), which the options file's CompileCommand lines do.
            List<String> args = List.of(Files.readString(Path.of("/proc", Long.toString(agent.process.pid()),
                    "cmdline")).split("\0"));
            assertTrue(args.contains("-XX:+UseSerialGC") && args.contains("--enable-native-access=ALL-UNNAMED"), args.toString());
            assertEquals(0, agent.terminate(10_000));
            host.await("host: heartbeat channel 1 closed (closed by the guest)", 15_000);
            assertEquals(0, host.terminate(15_000));
        }

        // Without the file: the built-in defaults, said; an explicitly given missing file stays an error.
        Files.delete(etcConf);
        Result doctor = run(Map.of("PATH", "/nonexistent"), true, vmbus.toString(), "doctor");
        assertTrue(doctor.out().contains("no configuration file " + etcConf + "; using the built-in defaults"), doctor.out());
        Result missing = run(Map.of("PATH", "/nonexistent"), true, vmbus.toString(), "run", "--conf", etcConf.toString());
        assertEquals(2, missing.code(), missing.out());
        assertTrue(missing.out().contains("config file " + etcConf + " does not exist"), missing.out());

        dpkg(root, "--purge", "vmbus");
        assertEquals(Set.of("var/lib/hyperv/.kvp_pool_0"), files(root), "purge left files behind");
        assertEquals("kept", Files.readString(pool));
    }

    /**
     * Upgrading an install that serves the NIC with the tap backend from a version whose unit allowed /dev/net/tun
     * itself (before 'vmbus bind netvsc' wrote the drop-in): postinst writes the drop-in, so the agent keeps its
     * TAP without the operator; purge removes it again, under the root dpkg was given.
     */
    @Test
    void anUpgradeWritesTheNicDropInWhereTheTapBackendIsServedAndPurgeRemovesIt() throws Exception {
        Path root = tmp.resolve("root");
        install(root, deb());
        Path dropIn = root.resolve("etc/systemd/system/vmbus.service.d").resolve(NicDropIn.FILE);
        Files.createDirectories(root.resolve("etc/systemd/system"));
        // What an older version left: netvsc bound with --force on this (fixture) machine, the tap backend
        // configured, no drop-in.
        dev.vmbus.transport.uio.KernelFixtures tree = dev.vmbus.transport.uio.KernelFixtures.create(
                tmp.resolve("machine"), dev.vmbus.transport.uio.KernelFixtures.Generation.V6_16);
        Path conf = tree.config(root.resolve("etc/vmbus/vmbus.json"), null);
        io.vertx.core.json.JsonObject c = new io.vertx.core.json.JsonObject(Files.readString(conf));
        c.getJsonObject("devices").put("netvsc", new io.vertx.core.json.JsonObject().put("enabled", true)
                .put("backend", "tap"));
        Files.writeString(conf, c.encode());
        BindCommand.run(new String[] {"bind", "netvsc", "--force", "--conf", conf.toString()},
                new java.io.PrintStream(java.io.OutputStream.nullOutputStream()), true,
                new dev.vmbus.transport.uio.SimulatedKernel(tree));
        assertEquals(dev.vmbus.transport.uio.VmbusDevices.UIO_DRIVER, tree.driverOf(tree.dev("netvsc").instance()));
        assertTrue(!Files.exists(dropIn));

        String upgrade = dpkg(root, "-i", deb().toAbsolutePath().toString());
        assertEquals(NicDropIn.TEXT, Files.readString(dropIn), upgrade);
        assertTrue(upgrade.contains("netvsc is enabled with the tap backend and its device is on uio_hv_generic"),
                upgrade);

        dpkg(root, "--purge", "vmbus");
        assertTrue(!Files.exists(dropIn.getParent()), "purge left the drop-in");
    }

    @Test
    void unitPassesSystemdAnalyzeVerifyAndScoresWhatOperationsMdSays() throws Exception {
        Path root = tmp.resolve("root");
        install(root, deb());
        // verify resolves the unit's dependencies (sysinit.target, ...) and ExecStart under --root: give it this
        // machine's systemd units next to the installed ones.
        Path units = root.resolve("lib/systemd/system");
        try (Stream<Path> host = Files.list(Path.of("/lib/systemd/system"))) {
            for (Path u : host.toList()) {
                Path to = units.resolve(u.getFileName());
                if (!Files.exists(to, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.copy(u, to, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                }
            }
        }
        Result verify = run("systemd-analyze", "verify", "--man=no", "--root=" + root, "vmbus.service");
        assertEquals(0, verify.code(), verify.out());
        assertEquals("", verify.out(), "systemd-analyze verify found problems");

        Result security = run("systemd-analyze", "security", "--offline=true", "--root=" + root, "vmbus.service");
        assertEquals(0, security.code(), security.out());
        Matcher m = Pattern.compile("Overall exposure level for vmbus.service: (\\d+\\.\\d)").matcher(security.out());
        assertTrue(m.find(), security.out());
        double score = Double.parseDouble(m.group(1));
        assertTrue(score <= 3.5, "the unit's exposure rose to " + score + ":\n" + security.out());
        String ops = Files.readString(Path.of("docs/OPERATIONS.md"));
        assertTrue(ops.contains("exposure level **" + m.group(1) + "**"),
                "docs/OPERATIONS.md must state the unit's systemd-analyze security score " + m.group(1));
    }
}
