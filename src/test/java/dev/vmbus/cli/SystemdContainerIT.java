package dev.vmbus.cli;

import dev.vmbus.os.Posix;
import dev.vmbus.transport.uio.KernelFixtures;
import dev.vmbus.transport.uio.KernelFixtures.Generation;
import io.vertx.core.json.JsonObject;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.FileVisitResult;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Debian package under a real systemd: Debian 12 booted with {@code systemd-nspawn --boot} (systemd as its
 * PID 1) over a root made by {@code debootstrap} from Debian's mirror, the package installed there with
 * {@code dpkg -i}, and the unit checked as an operator relies on it. There is no VMBus in a container: a drop-in
 * runs the agent on {@code sim}, and {@code /etc/vmbus/vmbus.json} points {@code transport.sysfsRoot} at a kernel
 * fixture tree in which every enabled class but vss is on uio_hv_generic (vss is not offered), so the unit's own
 * {@code ExecStartPre=} (the boot-time re-binding) runs against it.
 *
 * <p>The debootstrapped root is cached under {@code target/nspawn/} (made once, about two minutes); every run boots
 * a copy of it, deleted afterwards. Needs root, systemd-nspawn (Debian package systemd-container), debootstrap and
 * nsenter; skipped with a message without them. Every wait is bounded.
 */
class SystemdContainerIT {
    private static final Path CACHE = Path.of("target/nspawn");
    private static final String SUITE = "bookworm";
    private static final String MIRROR = "http://deb.debian.org/debian";
    /** The unit's CapabilityBoundingSet=: CAP_NET_ADMIN (12), CAP_SYS_ADMIN (21), CAP_SYS_TIME (25). */
    private static final long UNIT_CAPABILITIES = (1L << 12) | (1L << 21) | (1L << 25);
    /** Paths every boot or dpkg run changes; a path naming vmbus is never left out of the purge check. */
    private static final List<String> VOLATILE = List.of("var/log/", "var/cache/", "var/lib/dpkg/", "var/lib/systemd/",
            "var/tmp/", "tmp/", "run/", "root/", "etc/machine-id", "etc/ld.so.cache", "var/lib/dbus/");

    @Test
    void theInstalledUnitUnderARealSystemd() throws Exception {
        Assumptions.assumeTrue(Posix.geteuid() == 0, "skipped: booting a container with systemd-nspawn needs root");
        for (String tool : List.of("systemd-nspawn", "debootstrap", "nsenter")) {
            Assumptions.assumeTrue(onPath(tool), "skipped: " + tool + " is not installed (Debian packages "
                    + "systemd-container, debootstrap, util-linux; bash scripts/test.sh installs them)");
        }
        Path deb = DebianPackageIT.deb().toAbsolutePath();
        Path cached = cachedRoot();
        Path root = CACHE.resolve("run-" + ProcessHandle.current().pid()).toAbsolutePath();
        exec(120, "rm", "-rf", root.toString());
        exec(300, "cp", "-a", "--reflink=auto", cached.toString(), root.toString());
        try (Container c = Container.boot(root)) {
            c.await(60, "systemd's private socket in the container", () -> c.sh(10, "test -S /run/systemd/private").code() == 0);
            String state = c.sh(90, "systemctl is-system-running --wait || true").out().strip();
            assertTrue(state.equals("running") || state.equals("degraded"), "the container did not boot: " + state
                    + "\n" + c.sh(30, "systemctl --failed --no-pager; journalctl -b --no-pager | tail -50").out());
            Set<String> before = tree(root);

            // Installed like a daemon: never enabled, never started.
            Files.copy(deb, root.resolve("root/vmbus.deb"));
            c.ok(180, "dpkg -i /root/vmbus.deb && rm /root/vmbus.deb");
            assertEquals("disabled", c.sh(30, "systemctl is-enabled vmbus || true").out().strip());
            assertEquals("inactive", c.sh(30, "systemctl is-active vmbus || true").out().strip());

            // A kernel where every enabled class but vss is on uio_hv_generic and vss is not offered, and the
            // kernel daemons of kvp and vss running (stand-ins: only their unit names matter).
            KernelFixtures fixture = KernelFixtures.create(root.resolve("srv/vmbus-fixture"), Generation.V6_16);
            for (KernelFixtures.Dev d : KernelFixtures.DEVICES) {
                if (d.className().equals("vss")) {
                    KernelFixtures.deleteTreeForTest(fixture.device(d.instance()));
                } else if (List.of("heartbeat", "timesync", "shutdown", "kvp", "fcopy").contains(d.className())) {
                    Path link = fixture.device(d.instance()).resolve("driver");
                    Files.deleteIfExists(link);
                    Files.createSymbolicLink(link, Path.of("../../../../bus/vmbus/drivers/uio_hv_generic"));
                }
            }
            Path conf = root.resolve("etc/vmbus/vmbus.json");
            JsonObject json = new JsonObject(Files.readString(conf));
            json.getJsonObject("transport").put("sysfsRoot", "/srv/vmbus-fixture/sys").put("procRoot", "/srv/vmbus-fixture/proc");
            Files.writeString(conf, json.encodePrettily());
            for (String daemon : List.of("hv-kvp-daemon", "hv-vss-daemon")) {
                Files.writeString(root.resolve("etc/systemd/system/" + daemon + ".service"),
                        "[Unit]\nDescription=stand-in for " + daemon + "\n[Service]\nExecStart=/bin/sleep infinity\n");
            }
            Path dropIn = Files.createDirectories(root.resolve("etc/systemd/system/vmbus.service.d")).resolve("sim.conf");
            Files.writeString(dropIn, """
                    # No VMBus in a container: any virtualisation, and the agent on the simulated host.
                    [Unit]
                    ConditionVirtualization=
                    [Service]
                    ExecStart=
                    ExecStart=/usr/bin/vmbus run --conf /etc/vmbus/vmbus.json --transport sim
                    """);
            c.ok(30, "systemctl daemon-reload && systemctl start hv-kvp-daemon hv-vss-daemon");

            // start returns once the agent said READY=1, which it says once every enabled channel is open.
            long startMs = c.timedOk(90, "systemctl start vmbus");
            String status = c.show("StatusText");
            for (String name : List.of("heartbeat", "timesync", "shutdown", "kvp", "vss", "fcopy")) {
                assertTrue(status.contains(name), "StatusText does not name " + name + ": " + status);
            }
            long mainPid = Long.parseLong(c.show("MainPID"));
            final long firstPid = mainPid;
            List<Line> journal = c.journal();
            List<Line> main = journal.stream().filter(l -> l.pid == firstPid).toList();
            assertEquals(6, main.stream().filter(l -> l.text.matches(".*channel \\d+ \\(\\w+, instance .*\\) opened on sim")).count(),
                    "every enabled channel open when start returned:\n" + Line.join(journal));
            assertTrue(main.stream().anyMatch(l -> l.text.contains("ready: serving")), Line.join(journal));

            // ExecStartPre (outside the sandbox, '+') re-bound the enabled classes before the agent started, and
            // stopped the kernel daemon of the one class on uio_hv_generic that has one (kvp), not vss's.
            String pre = c.show("ExecStartPre");
            assertTrue(pre.contains("argv[]=/usr/bin/vmbus bind --enabled --stop-daemons") && pre.contains("code=exited ; status=0"), pre);
            Matcher prePid = Pattern.compile("pid=(\\d+)").matcher(pre);
            assertTrue(prePid.find(), pre);
            long bindPid = Long.parseLong(prePid.group(1));
            assertNotEquals(firstPid, bindPid);
            List<Line> bind = journal.stream().filter(l -> l.pid == bindPid).toList();
            String bindText = Line.join(bind);
            assertTrue(bindText.contains("kvp: on uio_hv_generic already") && bindText.contains("vss: no device offered")
                    && bindText.contains("kvp: on uio_hv_generic, so its kernel daemons are stopped"), Line.join(journal));
            assertFalse(bindText.contains("vss: on uio_hv_generic"), bindText);
            assertTrue(bind.getLast().monotonicUs < main.getFirst().monotonicUs, "the re-binding ran after the agent started:\n"
                    + Line.join(journal));
            c.await(30, "the stand-in hv-kvp-daemon stopped", () -> c.sh(10, "systemctl is-active hv-kvp-daemon || true").out().strip().equals("inactive"));
            assertEquals("active", c.sh(10, "systemctl is-active hv-vss-daemon || true").out().strip(), "vss is not on uio: its daemon stays");

            // The hardening on the running process, not only in the unit file.
            String procStatus = c.sh(10, "cat /proc/" + mainPid + "/status").out();
            assertEquals("1", field(procStatus, "NoNewPrivs"), procStatus);
            // The container's own bounding set (nspawn keeps CAP_SYS_TIME from it) caps what the unit keeps.
            long containerBounding = Long.parseLong(field(c.sh(10, "cat /proc/1/status").out(), "CapBnd"), 16);
            assertEquals(UNIT_CAPABILITIES & containerBounding, Long.parseLong(field(procStatus, "CapBnd"), 16), procStatus);
            Result usr = c.sh(10, "nsenter -t " + mainPid + " -m sh -c 'touch /usr/lib/vmbus/.probe' 2>&1");
            assertNotEquals(0, usr.code(), "the agent could write /usr");
            assertTrue(usr.out().contains("Read-only file system"), usr.out());
            c.ok(10, "nsenter -t " + mainPid + " -m sh -c 'touch /var/lib/hyperv/.probe && rm /var/lib/hyperv/.probe'");
            String mounts = c.sh(10, "cat /proc/" + mainPid + "/mountinfo").out();
            assertTrue(mountOptionsOf(mounts, "/usr").contains("ro"), "/usr is not mounted read-only for the agent:\n" + mounts);

            // The packaged AOT cache, trained at build time for these paths, is in use; a stale one (the jar
            // touched) and a missing one are ignored and the agent still starts and gets ready.
            assertTrue(c.sh(10, "cat /proc/" + mainPid + "/maps").out().contains("/usr/lib/vmbus/vmbus.aot"),
                    "the agent did not map its AOT cache");
            System.out.println("systemctl start, AOT cache in use: " + startMs + " ms");
            c.ok(10, "touch /usr/lib/vmbus/vmbus.jar");
            long staleMs = c.timedOk(90, "systemctl restart vmbus");
            mainPid = Long.parseLong(c.show("MainPID"));
            assertFalse(c.sh(10, "cat /proc/" + mainPid + "/maps").out().contains("vmbus.aot"), "a stale cache was mapped");
            assertTrue(c.show("StatusText").contains("fcopy"), "not ready with a stale cache");
            assertTrue(Line.join(c.journal()).contains("timestamp has changed"), "the JVM did not say why it left the cache out");
            c.ok(10, "rm /usr/lib/vmbus/vmbus.aot");
            long missingMs = c.timedOk(90, "systemctl restart vmbus");
            mainPid = Long.parseLong(c.show("MainPID"));
            assertTrue(c.show("StatusText").contains("fcopy"), "not ready without a cache");
            System.out.println("systemctl restart, stale AOT cache: " + staleMs + " ms; no AOT cache: " + missingMs + " ms");

            // A stopped event loop (here the whole process) stops the watchdog pings: systemd kills and restarts it.
            final long stoppedPid = mainPid;
            c.ok(10, "kill -STOP " + stoppedPid);
            c.await(60, "the watchdog restarted the agent", () -> {
                String pid = c.show("MainPID");
                return !pid.equals("0") && !pid.equals(Long.toString(stoppedPid)) && c.show("ActiveState").equals("active");
            });
            assertEquals("1", c.show("NRestarts"));
            String afterKill = Line.join(c.journal());
            assertTrue(afterKill.contains("Watchdog timeout"), afterKill);
            assertTrue(c.show("StatusText").contains("fcopy"), "the restarted agent is ready again");
            long secondPid = Long.parseLong(c.show("MainPID"));

            // stop: SIGTERM, every channel closed in order, exit 0 well inside TimeoutStopSec.
            c.ok(45, "systemctl stop vmbus");
            assertEquals("inactive", c.show("ActiveState"));
            assertEquals("success", c.show("Result"));
            List<Line> last = c.journal().stream().filter(l -> l.pid == secondPid).toList();
            assertTrue(last.stream().anyMatch(l -> l.text.contains("[dev.vmbus.agent.Lifecycle] stopped")), Line.join(last));
            assertTrue(Line.join(c.journal()).contains("vmbus.service: Deactivated successfully"), Line.join(c.journal()));

            // Purge: what the test added goes first, then the package leaves nothing but the state directory.
            Files.delete(dropIn);
            Files.delete(dropIn.getParent());
            c.ok(30, "systemctl stop hv-vss-daemon");
            for (String daemon : List.of("hv-kvp-daemon", "hv-vss-daemon")) {
                Files.delete(root.resolve("etc/systemd/system/" + daemon + ".service"));
            }
            exec(60, "rm", "-rf", root.resolve("srv/vmbus-fixture").toString());
            c.ok(120, "dpkg --purge vmbus && systemctl daemon-reload");
            Set<String> added = new TreeSet<>(tree(root));
            added.removeAll(before);
            Predicate<String> kept = p -> p.contains("vmbus") || VOLATILE.stream().noneMatch(p::startsWith);
            Set<String> left = added.stream().filter(kept).filter(p -> !p.startsWith("var/lib/hyperv/"))
                    .collect(Collectors.toCollection(TreeSet::new));
            assertEquals(Set.of(), left, "purge left these behind");
            assertEquals("", c.sh(10, "systemctl list-unit-files 'vmbus*' --no-legend || true").out().strip());
        } finally {
            exec(300, "rm", "-rf", root.toString());
            Files.deleteIfExists(root.resolveSibling(root.getFileName() + ".log"));
        }
    }

    /** The debootstrapped root, made once and kept under target/nspawn/. */
    private static Path cachedRoot() throws Exception {
        Path root = CACHE.resolve(SUITE).toAbsolutePath();
        Path done = CACHE.resolve(SUITE + ".ok");
        if (Files.exists(done) && Files.isDirectory(root.resolve("usr/lib/systemd"))) {
            return root;
        }
        Files.createDirectories(CACHE);
        exec(120, "rm", "-rf", root.toString());
        Result r = exec(480, which("debootstrap"), "--variant=minbase", "--include=systemd,systemd-sysv,dbus", SUITE,
                root.toString(), MIRROR);
        assertEquals(0, r.code(), "debootstrap " + SUITE + " from " + MIRROR + " failed:\n" + tail(r.out()));
        Files.writeString(done, "debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus " + SUITE + " " + MIRROR + "\n");
        return root;
    }

    /** A booted container: systemd-nspawn's process, and the container's PID 1 as this machine sees it. */
    private record Container(Process nspawn, long pid1, Path log) implements AutoCloseable {
        static Container boot(Path root) throws Exception {
            Path log = root.resolveSibling(root.getFileName() + ".log");
            // --keep-unit --register=no: no machined and no transient scope (this machine's init need not be
            // systemd); --private-network: only a loopback, so the agent's dashboard port cannot clash.
            Process p = new ProcessBuilder(which("systemd-nspawn"), "--quiet", "--register=no", "--keep-unit", "--boot",
                    "--private-network", "--console=pipe", "--machine=vmbus-it-" + ProcessHandle.current().pid(),
                    "--directory=" + root).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            p.getOutputStream().close();
            Long pid1;
            try {
                pid1 = Awaitility.await("PID 1 under systemd-nspawn").atMost(30, TimeUnit.SECONDS)
                        .pollInterval(Duration.ofMillis(100)).until(() -> {
                            if (!p.isAlive()) {
                                fail("systemd-nspawn exited with " + p.exitValue() + ":\n"
                                        + tail(Files.readString(log)));
                            }
                            // PID 1 of the container's PID namespace, a child of systemd-nspawn.
                            return p.toHandle().children().map(ProcessHandle::pid).filter(Container::isNamespaceInit)
                                    .findFirst().orElse(null);
                        }, Objects::nonNull);
            } catch (ConditionTimeoutException e) {
                p.destroyForcibly();
                fail("no PID 1 under systemd-nspawn within 30 s:\n" + tail(Files.readString(log)));
                return null;
            }
            return new Container(p, pid1, log);
        }

        private static boolean isNamespaceInit(long pid) {
            try {
                return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                        .anyMatch(l -> l.startsWith("NSpid:") && l.strip().endsWith("\t1"));
            } catch (IOException e) {
                return false;
            }
        }

        /** {@code sh -c SCRIPT} inside the container (its namespaces, a clean environment), bounded. */
        Result sh(int seconds, String script) throws Exception {
            return exec(seconds, which("nsenter"), "--target=" + pid1, "--mount", "--uts", "--ipc", "--net", "--pid", "--cgroup",
                    "--", "env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "SYSTEMD_PAGER=", "sh", "-c", script);
        }

        void ok(int seconds, String script) throws Exception {
            Result r = sh(seconds, script);
            assertEquals(0, r.code(), script + ":\n" + r.out() + "\n" + sh(30,
                    "systemctl status vmbus --no-pager -l; journalctl -b -u vmbus --no-pager | tail -40").out());
        }

        /** {@link #ok}, returning how long it took in milliseconds (printed for docs/BENCHMARKS.md, never asserted). */
        long timedOk(int seconds, String script) throws Exception {
            long t0 = System.nanoTime();
            ok(seconds, script);
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        }

        String show(String property) throws Exception {
            return sh(10, "systemctl show vmbus --value -p " + property).out().strip();
        }

        /** The vmbus unit's journal of this boot, with each line's PID and monotonic time. */
        List<Line> journal() throws Exception {
            String out = sh(30, "journalctl -b -u vmbus --no-pager -o json --output-fields=_PID,MESSAGE,__MONOTONIC_TIMESTAMP").out();
            List<Line> lines = new ArrayList<>();
            for (String l : out.lines().toList()) {
                if (l.startsWith("{")) {
                    JsonObject j = new JsonObject(l);
                    Object message = j.getValue("MESSAGE");
                    lines.add(new Line(Long.parseLong(j.getString("_PID", "0")),
                            Long.parseLong(j.getString("__MONOTONIC_TIMESTAMP", "0")), String.valueOf(message)));
                }
            }
            return lines;
        }

        interface Check {
            boolean test() throws Exception;
        }

        void await(int seconds, String what, Check check) throws Exception {
            try {
                Awaitility.await(what).atMost(seconds, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(250))
                        .until(check::test);
            } catch (ConditionTimeoutException e) {
                fail("not within " + seconds + " s: " + what + "\n" + sh(30,
                        "systemctl status vmbus --no-pager -l; journalctl -b -u vmbus --no-pager | tail -40").out());
            }
        }

        /** Powers the container off (SIGTERM to nspawn makes its PID 1 shut down), then kills what is left. */
        @Override
        public void close() throws Exception {
            nspawn.destroy();
            if (!nspawn.waitFor(45, TimeUnit.SECONDS)) {
                ProcessHandle.of(pid1).ifPresent(ProcessHandle::destroyForcibly);
                nspawn.destroyForcibly();
                nspawn.waitFor(15, TimeUnit.SECONDS);
            }
        }
    }

    private record Line(long pid, long monotonicUs, String text) {
        static String join(List<Line> lines) {
            return lines.stream().map(l -> "[" + l.monotonicUs + "] " + l.pid + ": " + l.text).collect(Collectors.joining("\n"));
        }
    }

    record Result(int code, String out) {
    }

    /** Runs a command to completion within {@code seconds} (killed and failed otherwise); output and error together. */
    static Result exec(int seconds, String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        // Read on another thread so that a command that never ends cannot hold the test past its bound.
        var out = new java.io.ByteArrayOutputStream();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try {
                p.getInputStream().transferTo(out);
            } catch (IOException ignored) {
                // the process was killed
            }
        });
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish within " + seconds + " s");
        }
        reader.join(5_000);
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }

    private static String field(String procStatus, String name) {
        return procStatus.lines().filter(l -> l.startsWith(name + ":")).map(l -> l.substring(name.length() + 1).strip())
                .findFirst().orElseThrow(() -> new AssertionError("no " + name + " in:\n" + procStatus));
    }

    /** The per-mount options of the mount that holds {@code path} (the longest mount point above it). */
    private static Set<String> mountOptionsOf(String mountinfo, String path) {
        String best = null;
        Set<String> options = Set.of();
        for (String l : mountinfo.lines().toList()) {
            String[] f = l.split(" ");
            String point = f[4];
            boolean holds = path.equals(point) || point.equals("/") || path.startsWith(point + "/");
            if (holds && (best == null || point.length() >= best.length())) {
                best = point;
                options = new HashSet<>(List.of(f[5].split(",")));
            }
        }
        return options;
    }

    /** Every file, symlink and directory under {@code root}, relative (directories with a trailing '/'). */
    private static Set<String> tree(Path root) throws IOException {
        Set<String> paths = new TreeSet<>();
        // The container runs meanwhile (its journal rotates): a file gone between listing and reading is skipped.
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                String rel = root.relativize(dir).toString();
                if (rel.equals("proc") || rel.equals("sys") || rel.equals("dev")) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                if (!dir.equals(root)) {
                    paths.add(rel + "/");
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                paths.add(root.relativize(file).toString());
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE;
            }
        });
        return paths;
    }

    private static boolean onPath(String tool) {
        return which(tool) != null;
    }

    /** Where {@code tool} is: on PATH, or in /usr/sbin or /sbin (not on every user's PATH); null if nowhere. */
    private static String which(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"), new String[] {"/usr/sbin", "/sbin"})
                .flatMap(Stream::of).filter(d -> !d.isEmpty()).map(d -> Path.of(d, tool)).filter(Files::isExecutable)
                .map(Path::toString).findFirst().orElse(null);
    }

    private static String tail(String text) {
        List<String> lines = text.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
