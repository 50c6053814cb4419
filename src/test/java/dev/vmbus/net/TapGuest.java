package dev.vmbus.net;

import dev.vmbus.agent.Agent;
import dev.vmbus.bench.Netns;
import dev.vmbus.cli.Vmbus;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.host.SimulatedHostControl;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.awaitility.core.ConditionTimeoutException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A guest agent ({@code vmbus run}, netvsc backend {@code tap} on TAP {@link #TAP}) in a network namespace a test
 * creates, against a simulated host in the test's JVM over {@code shm} whose NIC loops each frame back; and what
 * the tests that drive it look at: the TAP as {@code ip} shows it, the host's state, the guest's log. Needs root.
 */
final class TapGuest {
    static final String TAP = "vmbus0";
    /** The peer's address: nothing has it; a ping's neighbour solicitation goes out and the host echoes it. */
    static final String PEER = "fe80::a";
    static final long WAIT_MS = 30_000;

    private TapGuest() {
    }

    /** {@code vmbus run --conf conf} in {@code ns}, its output to {@code log}. */
    static Process startGuest(Path tmp, Netns ns, Path conf, Path log) throws IOException {
        return ns.exec(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                        Vmbus.class.getName(), "run", "--conf", conf.toString())
                .directory(tmp.toFile()).redirectOutput(log.toFile()).start();
    }

    static void stop(Process guest) throws InterruptedException {
        guest.destroy();
        if (!guest.waitFor(10, TimeUnit.SECONDS)) {
            guest.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    static JsonObject tapLink(Netns ns) throws IOException, InterruptedException {
        return new JsonArray(ns.ip("-j", "link", "show", "dev", TAP)).getJsonObject(0);
    }

    /** utime + stime of a process, in clock ticks ({@code /proc/PID/stat}). */
    static long cpuTicks(Process p) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** What a case does once the guest's NIC and its TAP are up, with the TAP's address. */
    interface GuestCase {
        void run(Netns ns, Process guest, Path log, SimulatedHostControl control) throws Exception;
    }

    /**
     * A guest ({@code vmbus run}) in namespace {@code nsName} against a host in this JVM ({@link #loopbackHost}),
     * its TAP made persistent first if {@code persistentTap}; {@code body} runs once the NIC is up, then the guest
     * is stopped, and must not have crashed a thread.
     */
    static void withGuest(Path tmp, String nsName, boolean persistentTap, GuestCase body) throws Exception {
        withGuest(tmp, nsName, persistentTap, 1, body);
    }

    /** {@link #withGuest(Path, String, boolean, GuestCase)} with a host NIC of {@code queues} queues (vRSS). */
    static void withGuest(Path tmp, String nsName, boolean persistentTap, int queues, GuestCase body)
            throws Exception {
        JsonObject config = loopbackHost(tmp, queues);
        Path log = tmp.resolve("run.log");
        try (Netns ns = Netns.create(nsName);
             Agent host = Agent.hostBuilder(ConfigLoader.parse(config.encode(), "test")).start()) {
            if (persistentTap) {
                ns.ip("tuntap", "add", "dev", TAP, "mode", "tap");
            }
            Process guest = startGuest(tmp, ns, tmp.resolve("vmbus.json"), log);
            try {
                SimulatedHostControl control = new SimulatedHostControl(host.simulatedHost().orElseThrow());
                upWithAddress(guest, log, ns);
                body.run(ns, guest, log, control);
            } finally {
                stop(guest);
            }
            assertEquals(List.of(), Files.readAllLines(log).stream().filter(l -> l.contains("Exception in thread"))
                    .toList(), "the guest crashed a thread");
        }
    }

    /**
     * The guest's NIC on TAP {@link #TAP}, the host's looping back each frame on {@code queues} queues, heartbeats
     * every 200 ms, written to
     * {@code vmbus.json} for the guest.
     */
    static JsonObject loopbackHost(Path tmp, int queues) throws IOException {
        JsonObject config = new JsonObject()
                .put("transport", new JsonObject().put("type", "shm").put("shmDir", tmp.resolve("shm").toString()))
                .put("devices", new JsonObject().put("netvsc", new JsonObject().put("enabled", true)
                        .put("backend", "tap").put("tap", TAP).put("queues", queues)))
                .put("host", new JsonObject().put("heartbeatIntervalMs", 200)
                        .put("nic", new JsonObject().put("enabled", true).put("backend", "loopback")
                                .put("queues", queues)))
                .put("dashboard", new JsonObject().put("enabled", false));
        Files.writeString(tmp.resolve("vmbus.json"), config.encodePrettily());
        return config;
    }

    /** Waits for the guest's NIC and its TAP to be up, then gives the TAP address fe80::b alone. */
    static void upWithAddress(Process guest, Path log, Netns ns) throws Exception {
        awaitLog(guest, log, "netvsc " + TAP + " up on channel");
        awaitTap(guest, log, ns, true);
        ns.ip("link", "set", "dev", TAP, "addrgenmode", "none");
        ns.ip("addr", "add", "fe80::b/64", "dev", TAP, "nodad");
    }

    /** One ping of the peer's link-local address over the TAP (it needs no answer: its neighbour solicitation goes
     * out through the NIC and comes back). */
    static void ping(Netns ns) throws IOException, InterruptedException {
        ping(ns, 56);
    }

    /** {@link #ping(Netns)} with {@code size} bytes of ICMP data. */
    static void ping(Netns ns, int size) throws IOException, InterruptedException {
        Process p = ns.exec("ping", "-6", "-n", "-c", "1", "-W", "1", "-s", Integer.toString(size), PEER + "%" + TAP)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    static boolean tapExists(Netns ns) throws InterruptedException {
        try {
            ns.ip("link", "show", "dev", TAP);
            return true;
        } catch (IOException gone) {
            return false;
        }
    }

    /** Waits until the TAP is up ({@code up}) or without carrier. */
    static void awaitTap(Process guest, Path log, Netns ns, boolean up) throws Exception {
        String flag = up ? "LOWER_UP" : "NO-CARRIER";
        awaitGuest(guest, log, "TAP " + TAP + " " + flag, () -> tapExists(ns)
                && new JsonArray(ns.ip("-j", "link", "show", "dev", TAP)).getJsonObject(0).getJsonArray("flags")
                .contains(flag), () -> "TAP " + TAP + " never " + flag + ": " + (tapExists(ns)
                ? ns.ip("link", "show", "dev", TAP) : "gone") + "; the guest's output:\n" + tail(log));
    }

    static JsonObject device(SimulatedHostControl control, String name) throws Exception {
        JsonArray devices = control.state().await(10, TimeUnit.SECONDS).getJsonArray("devices");
        for (int i = 0; i < devices.size(); i++) {
            if (name.equals(devices.getJsonObject(i).getString("device"))) {
                return devices.getJsonObject(i);
            }
        }
        throw new AssertionError("the host shows no " + name + ": " + devices.encode());
    }

    static JsonObject nic(SimulatedHostControl control) throws Exception {
        return device(control, "nic");
    }

    /**
     * Pings the peer (at most 30 times) until the host's NIC has sent the guest a frame more than before: the
     * neighbour solicitation goes out through the NIC and the loopback host echoes it. Fails with {@code what} and
     * the host's NIC state if none came.
     */
    static void aFrameReachesTheGuest(Netns ns, SimulatedHostControl control, String what) throws Exception {
        long before = framesToGuest(control);
        for (int i = 0; i < 30 && framesToGuest(control) == before; i++) {
            ping(ns);
        }
        assertTrue(framesToGuest(control) > before, what + ": " + nic(control).encode());
    }

    /** Frames the host's NIC sent the guest, over its queues. */
    static long framesToGuest(SimulatedHostControl control) throws Exception {
        JsonArray queues = nic(control).getJsonArray("queues");
        long n = 0;
        for (int i = 0; i < queues.size(); i++) {
            n += queues.getJsonObject(i).getLong("framesToGuest", 0L);
        }
        return n;
    }

    static JsonObject heartbeat(SimulatedHostControl control) throws Exception {
        return device(control, "heartbeat");
    }

    static void awaitLog(Process guest, Path log, String text) throws Exception {
        awaitGuest(guest, log, "'" + text + "' from the guest", () -> Files.readString(log).contains(text),
                () -> "no '" + text + "' from the guest within " + WAIT_MS + " ms; its output:\n" + tail(log));
    }

    /**
     * Waits (at most {@link #WAIT_MS}, looking every 50 ms) until {@code condition} holds; fails at once if the guest
     * exits first, and with {@code failure}'s text if the time runs out.
     */
    static void awaitGuest(Process guest, Path log, String what, Callable<Boolean> condition,
                                   Callable<String> failure) throws Exception {
        try {
            await(what).atMost(WAIT_MS, TimeUnit.MILLISECONDS).pollInterval(50, TimeUnit.MILLISECONDS).until(() -> {
                if (condition.call()) {
                    return true;
                }
                checkAlive(guest, log);
                return false;
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(failure.call(), e);
        }
    }

    static void checkAlive(Process guest, Path log) {
        if (!guest.isAlive()) {
            throw new AssertionError("the guest exited with status " + guest.exitValue() + "; its output:\n"
                    + tail(log));
        }
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }}
