package dev.vmbus.device.timesync;

import dev.vmbus.bus.Addresses;
import dev.vmbus.bus.DeviceRegistry;
import dev.vmbus.bus.VmbusVerticle;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.host.SimulatedHost;
import dev.vmbus.host.TimesyncHostDevice;
import dev.vmbus.transport.sim.SimBus;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.DoublePredicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real chronyd ({@code -x}: it never touches the clock) with a private config whose only source is a SOCK
 * refclock in a temp dir: the agent's timesync, driven by the simulated host with an injected clock offset,
 * feeds it, and the raw offsets chronyd logs for the refclock are the injected ones. Needs Debian's
 * {@code chrony} package; fails (does not skip) without it.
 */
class ChronydRefclockTest {
    /** The offsets are exact in-process; chronyd prints 7 significant digits. */
    private static final double TOLERANCE_S = 0.005;

    @TempDir
    Path tmp;
    private Process chronyd;
    private Vertx vertx;

    @AfterEach
    void stop() throws Exception {
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
        if (chronyd != null) {
            chronyd.destroy();
            if (!chronyd.waitFor(5, TimeUnit.SECONDS)) {
                chronyd.destroyForcibly();
            }
        }
    }

    private static Path chronydBinary() {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "chronyd");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return fail("chronyd is not installed: this test needs a real chronyd (Debian: apt-get install -y chrony)");
    }

    @Test
    void chronydSeesTheHostsInjectedOffsetThroughTheSockRefclock() throws Exception {
        Path binary = chronydBinary();
        Path socket = tmp.resolve("chrony.sock");
        Path conf = tmp.resolve("chrony.conf");
        Files.writeString(conf, String.join("\n",
                "refclock SOCK " + socket + " refid HV poll 0",
                "port 0", // no NTP server, no NTP sources
                "cmdport 0",
                "bindcmdaddress " + tmp.resolve("chronyd.sock"),
                "pidfile " + tmp.resolve("chronyd.pid"),
                "driftfile " + tmp.resolve("drift"),
                "logdir " + tmp,
                "log refclocks", ""));
        chronyd = new ProcessBuilder(binary.toString(), "-x", "-d", "-u", System.getProperty("user.name"), "-f", conf.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("chronyd.out").toFile()).start();
        long deadline = System.currentTimeMillis() + 10_000;
        while (!Files.exists(socket)) {
            if (!chronyd.isAlive() || System.currentTimeMillis() > deadline) {
                fail("chronyd did not create its SOCK refclock socket:\n" + Files.readString(tmp.resolve("chronyd.out")));
            }
            Thread.sleep(10);
        }

        vertx = Vertx.vertx();
        SimBus bus = new SimBus(vertx);
        SimulatedHost host = new SimulatedHost(vertx, bus.host(), new VmbusConfig.Host(60_000, 100, 2500, 0));
        host.start().await(10, TimeUnit.SECONDS);
        DeviceRegistry registry = DeviceRegistry.of(List.of(new TimesyncHandler()),
                Map.of("timesync", new JsonObject().put("chronySocket", socket.toString())), "sim");
        vertx.deployVerticle(new VmbusVerticle(bus.guest(), registry)).await(10, TimeUnit.SECONDS);

        List<Double> ahead = awaitOffsets(3, o -> Math.abs(o - 2.5) < 1);
        ahead.forEach(o -> assertEquals(2.5, o, TOLERANCE_S, "chronyd's raw offsets: " + ahead));

        host.device("timesync", TimesyncHostDevice.class).setClockOffset(-1250)
                .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        List<Double> behind = awaitOffsets(3, o -> Math.abs(o + 1.25) < 1);
        behind.forEach(o -> assertEquals(-1.25, o, TOLERANCE_S, "chronyd's raw offsets: " + behind));

        JsonObject feed = vertx.eventBus().<JsonObject>request(Addresses.deviceState("timesync"), null)
                .await(5, TimeUnit.SECONDS).body().getJsonObject("chrony");
        assertEquals(0, feed.getInteger("failed"), feed.encode());
        assertTrue(feed.getInteger("sent") >= 6, feed.encode());
        assertTrue(feed.getBoolean("ok"));
    }

    /** Waits for {@code n} raw offsets matching {@code which} in chronyd's refclocks.log, in seconds. */
    private List<Double> awaitOffsets(int n, DoublePredicate which) throws Exception {
        Path log = tmp.resolve("refclocks.log");
        long deadline = System.currentTimeMillis() + 15_000;
        while (true) {
            List<Double> found = new ArrayList<>();
            if (Files.exists(log)) {
                for (String line : Files.readAllLines(log)) {
                    String[] f = line.trim().split("\\s+");
                    // date time refid DP L P raw-offset cooked-offset dispersion; "-" when it is a filter result
                    if (f.length >= 9 && f[2].equals("HV") && !f[6].equals("-")) {
                        double raw = Double.parseDouble(f[6]);
                        if (which.test(raw)) {
                            found.add(raw);
                        }
                    }
                }
            }
            if (found.size() >= n) {
                return found;
            }
            if (System.currentTimeMillis() > deadline) {
                fail("chronyd logged " + found + " so far; log:\n" + (Files.exists(log) ? Files.readString(log) : "(none)")
                        + "\nchronyd output:\n" + Files.readString(tmp.resolve("chronyd.out")));
            }
            Thread.sleep(20);
        }
    }
}
