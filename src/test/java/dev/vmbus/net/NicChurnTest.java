package dev.vmbus.net;

import dev.vmbus.bench.Netns;
import dev.vmbus.host.SimulatedHostControl;
import dev.vmbus.os.Posix;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.vmbus.net.TapGuest.*;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An agent lives for months on a guest whose host services its adapter (removes it and offers it again) and now and
 * then sends it something it must refuse: each such turn must give back everything the NIC it ends held. The guest
 * ({@code vmbus run}, TAP backend, in a namespace this test creates) goes through {@link #CYCLES} turns, alternately
 * a re-offer and a fault followed by a re-offer, each ending with frames through the new NIC. From outside the
 * process, as an administrator would look ({@code /proc/PID}), after the first two turns and after the last: its
 * open files by kind, the shared-memory files it maps (rings, buffers) and its threads. The files and mappings must
 * be back to the same counts (a NIC's channel, its buffers, its TAP, its rtnetlink socket and its loop watches, each
 * turn's); the threads may grow by a worker or two (Vert.x makes its worker threads as they are first needed), not
 * by a turn's. The simulated host, in this JVM, must give back the files it maps too.
 */
@Tag("slow") // a guest process in a namespace, a dozen NICs brought up one after another
class NicChurnTest {
    /** Turns in all; the counts are taken after the first {@link #WARM} and after the last. */
    private static final int CYCLES = 8;
    private static final int WARM = 2;
    /** Threads Vert.x may still start on first need after the warm-up turns (its worker pool grows lazily). */
    private static final int THREADS_SLACK = 3;

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0} queue(s)")
    @ValueSource(ints = {1, 2})
    void reofferedAndFaultedNicsGiveBackTheirFilesMappingsAndThreads(int queues) throws Exception {
        Assumptions.assumeTrue(Posix.geteuid() == 0, "skipped: network namespaces and TAPs need root");
        withGuest(tmp, "churn", false, queues, (ns, guest, log, control) -> {
            String shm = tmp.resolve("shm").toString();
            Footprint warm = null;
            for (int turn = 1; turn <= CYCLES; turn++) {
                if (turn % 2 == 0) {
                    faultTheNic(ns, guest, log, control);
                }
                reoffer(ns, guest, log, control, turn + 1);
                if (turn == WARM) {
                    warm = settled(guest.pid(), shm);
                }
            }
            Footprint last = settled(guest.pid(), shm);
            System.out.println("after " + WARM + " turns: " + warm + "\nafter " + CYCLES + " turns: " + last);
            assertEquals(warm.files(), last.files(), "the guest's open files by kind, after " + WARM + " turns and "
                    + "after " + CYCLES);
            assertEquals(warm.shmMappings(), last.shmMappings(), "the guest's mappings of the host's files");
            assertTrue(last.threads() <= warm.threads() + THREADS_SLACK, "the guest's threads grew from "
                    + warm.threads() + " to " + last.threads() + ": " + last.threadNames());
            checkAlive(guest, log);
        });
    }

    /**
     * The host's own mappings of its shm files: those of the channels it offers now, no more, once each NIC it
     * removed has ended.
     */
    @Test
    void theHostGivesBackTheFilesOfEachNicItRemoves() throws Exception {
        Assumptions.assumeTrue(Posix.geteuid() == 0, "skipped: network namespaces and TAPs need root");
        withGuest(tmp, "churnhost", false, (ns, guest, log, control) -> {
            String shm = tmp.resolve("shm").toString();
            reoffer(ns, guest, log, control, 2);
            // the host unmaps a removed channel's files a second after its end (ShmHost.remove): both counts are
            // taken once that has settled
            Map<String, Integer> warm = awaitSettled(shm);
            for (int turn = 3; turn <= 2 + CYCLES / 2; turn++) {
                reoffer(ns, guest, log, control, turn);
            }
            assertEquals(warm, awaitSettled(shm), "the host's mappings and open files of its shm files, and its"
                    + " sockets, after the first re-offer and after the last");
            checkAlive(guest, log);
        });
    }

    /**
     * A developer's loop against one simulated host: the agent restarted again and again, stopped as systemd stops
     * it (SIGTERM, an orderly close) or killed (SIGKILL: the host sees its sockets go). Once each agent has gone,
     * the host maps and holds open the files of the channels it offers and no more, and the sockets it listens on:
     * what it opened for the agent before is let go.
     */
    @Test
    void theHostGivesBackWhatEachAgentThatLeftHeld() throws Exception {
        Assumptions.assumeTrue(Posix.geteuid() == 0, "skipped: network namespaces and TAPs need root");
        withGuest(tmp, "churnagent", false, (ns, first, firstLog, control) -> {
            String shm = tmp.resolve("shm").toString();
            stop(first);
            Map<String, Integer> offered = awaitSettled(shm);
            System.out.println("the host holds, with no agent: " + offered);
            for (int run = 2; run <= 1 + CYCLES / 2; run++) {
                Path log = tmp.resolve("run" + run + ".log");
                Process guest = startGuest(tmp, ns, tmp.resolve("vmbus.json"), log);
                try {
                    upWithAddress(guest, log, ns);
                    aFrameReachesTheGuest(ns, control, "no frame through agent " + run + "'s NIC");
                } finally {
                    if (run % 2 == 0) {
                        guest.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    } else {
                        stop(guest);
                    }
                }
                Map<String, Integer> now = awaitSettled(shm);
                assertEquals(offered, now, "what the host holds of its files after agent " + run + " left ("
                        + (run % 2 == 0 ? "killed" : "stopped") + ") and after the first");
            }
        });
    }

    /** What process {@code pid} holds once its files and mappings stop changing: the same on three looks 500 ms apart. */
    private static Footprint settled(long pid, String shm) throws Exception {
        return settle("process " + pid + "'s hold", () -> Footprint.of(pid, shm),
                f -> List.of(f.files(), f.shmMappings()));
    }

    /**
     * {@code look} once what {@code compared} takes of it is the same on three looks 500 ms apart (within 30 s): a
     * removed channel's files go a second after its end.
     */
    private static <T> T settle(String what, java.util.concurrent.Callable<T> look,
                                java.util.function.Function<T, ?> compared) throws Exception {
        List<T> looks = new ArrayList<>();
        await(what + " to settle").atMost(30, TimeUnit.SECONDS).pollInterval(500, TimeUnit.MILLISECONDS).until(() -> {
            looks.add(look.call());
            int n = looks.size();
            return n >= 3 && compared.apply(looks.get(n - 1)).equals(compared.apply(looks.get(n - 2)))
                    && compared.apply(looks.get(n - 2)).equals(compared.apply(looks.get(n - 3)));
        });
        return looks.getLast();
    }

    /**
     * This process's mappings and open files under {@code dir}, and its sockets (the host's control and signal
     * sockets; this test's JVM has no others), once they stop changing: the same on three looks
     * 500 ms apart (a removed channel's files go a second after its end), within 30 s.
     */
    private static Map<String, Integer> awaitSettled(String dir) throws Exception {
        return settle("this process's hold on " + dir, () -> {
            Map<String, Integer> held = shmMappings(Path.of("/proc/self/maps"), dir);
            Footprint.of(ProcessHandle.current().pid(), dir).files().forEach((kind, n) -> {
                if (kind.equals("shm") || kind.equals("socket")) {
                    held.put("open " + kind + " files", n);
                }
            });
            return held;
        }, held -> held);
    }

    /** The host offers the NIC again; waits for the guest's {@code ups}-th bring-up, then for a frame through it. */
    private static void reoffer(Netns ns, Process guest, Path log, SimulatedHostControl control, int ups)
            throws Exception {
        control.act("nic-reoffer", new JsonObject()).await(10, TimeUnit.SECONDS);
        awaitGuest(guest, log, "bring-up " + ups, () -> Files.readAllLines(log).stream()
                .filter(l -> l.contains("netvsc " + TAP + " up on channel")).count() == ups,
                () -> "no bring-up " + ups + " of " + TAP + "; the guest's output:\n" + tail(log));
        awaitTap(guest, log, ns, true);
        ns.ip("link", "set", "dev", TAP, "addrgenmode", "none");
        ns.ip("addr", "add", "fe80::b/64", "dev", TAP, "nodad");
        aFrameReachesTheGuest(ns, control, "no frame through NIC " + ups);
    }

    /**
     * The host sends a transfer range past the receive buffer; waits for the NIC's channel to fault on it, then
     * turns the knob off (it stays on through a re-offer otherwise).
     */
    private static void faultTheNic(Netns ns, Process guest, Path log, SimulatedHostControl control)
            throws Exception {
        long faults = Files.readAllLines(log).stream().filter(l -> l.contains("faulted: ")).count();
        control.act("nic-fault", new JsonObject().put("knob", "rangePastBuffer")).await(10, TimeUnit.SECONDS);
        awaitGuest(guest, log, "the NIC to fault", () -> {
            if (Files.readAllLines(log).stream().filter(l -> l.contains("faulted: ")).count() > faults) {
                return true;
            }
            ping(ns);
            return false;
        }, () -> "the guest's NIC did not fault; its output:\n" + tail(log));
        control.act("nic-fault", new JsonObject().put("knob", "rangePastBuffer").put("on", false))
                .await(10, TimeUnit.SECONDS);
    }

    /** Lines of a {@code maps} file naming a file under {@code dir}, by file name (a deleted one says so). */
    private static Map<String, Integer> shmMappings(Path maps, String dir) throws IOException {
        Map<String, Integer> byFile = new TreeMap<>();
        for (String line : Files.readAllLines(maps)) {
            int at = line.indexOf(dir);
            if (at >= 0) {
                byFile.merge(Path.of(line.substring(at)).getFileName().toString(), 1, Integer::sum);
            }
        }
        return byFile;
    }

    /** What a process holds, as {@code /proc/PID} shows it. */
    private record Footprint(Map<String, Integer> files, Map<String, Integer> shmMappings, int threads,
                             List<String> threadNames) {
        static Footprint of(long pid, String shmDir) throws IOException {
            Path proc = Path.of("/proc", Long.toString(pid));
            Map<String, Integer> files = new TreeMap<>();
            try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
                for (Path fd : fds.toList()) {
                    String target;
                    try {
                        target = Files.readSymbolicLink(fd).toString();
                    } catch (IOException closedMeanwhile) {
                        continue;
                    }
                    files.merge(kind(target, shmDir), 1, Integer::sum);
                }
            }
            List<String> names = new ArrayList<>();
            try (Stream<Path> tasks = Files.list(proc.resolve("task"))) {
                for (Path task : tasks.toList()) {
                    try {
                        names.add(Files.readString(task.resolve("comm")).strip());
                    } catch (IOException endedMeanwhile) {
                        // a thread that ended between the listing and the read is not held
                    }
                }
            }
            names.sort(null);
            return new Footprint(files, NicChurnTest.shmMappings(proc.resolve("maps"), shmDir), names.size(), names);
        }

        /** A file's kind: {@code socket}, {@code pipe}, {@code jar}, a shm file, or its path (an anonymous inode's type). */
        private static String kind(String target, String shmDir) {
            if (target.startsWith(shmDir)) {
                return "shm";
            }
            if (target.startsWith("socket:")) {
                return "socket";
            }
            if (target.startsWith("pipe:")) {
                return "pipe";
            }
            if (target.endsWith(".jar")) {
                return "jar";
            }
            return target; // anon_inode:[eventfd], /dev/net/tun, a jar, a log
        }

        @Override
        public String toString() {
            return "files " + files + ", shm mappings " + shmMappings + ", " + threads + " threads";
        }
    }
}
