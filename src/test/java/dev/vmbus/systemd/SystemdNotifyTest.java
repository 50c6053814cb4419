package dev.vmbus.systemd;

import dev.vmbus.cli.VmbusProcess;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The notify protocol against a real NOTIFY_SOCKET, as systemd would run the agent. */
public class SystemdNotifyTest {
    @TempDir
    Path tmp;

    @org.junit.jupiter.api.Tag("slow") // a vmbus child JVM: run by mvn verify, not by mvn test
    @Test
    void agentSendsReadyWhenEveryChannelIsOpenThenWatchdogPingsThenStopping() throws Throwable {
        Path conf = tmp.resolve("vmbus.json");
        Files.writeString(conf, """
                { "transport": { "type": "sim" },
                  "devices": { "heartbeat": { "enabled": true }, "timesync": { "enabled": true },
                               "kvp": { "enabled": false }, "vss": { "enabled": false },
                               "fcopy": { "enabled": false }, "shutdown": { "enabled": true } },
                  "dashboard": { "enabled": false } }""");
        try (NotifySocketServer systemd = new NotifySocketServer(tmp.resolve("notify"));
             VmbusProcess run = new VmbusProcess(Map.of("NOTIFY_SOCKET", systemd.path.toString(),
                     "WATCHDOG_USEC", "400000"), "run", "--conf", conf.toString())) {
            await().atMost(Duration.ofSeconds(30)).until(() -> systemd.count("READY=1") == 1);
            String ready = systemd.messages.stream().filter(m -> m.contains("READY=1")).findFirst().orElseThrow();
            // READY comes after every handled channel opened; kvp, vss and fcopy are offered but not handled.
            assertTrue(ready.contains("STATUS=serving heartbeat 1, timesync 2, shutdown 3"), ready);
            for (String opened : new String[] {"channel 1 (heartbeat", "channel 2 (timesync", "channel 3 (shutdown"}) {
                assertTrue(run.lines.stream().anyMatch(l -> l.contains(opened) && l.contains("opened on sim")),
                        opened + " not opened before READY:\n" + String.join("\n", run.lines));
            }
            long pings = systemd.count("WATCHDOG=1");
            await().atMost(Duration.ofSeconds(10)).until(() -> systemd.count("WATCHDOG=1") >= pings + 3);
            assertEquals(0, systemd.count("STOPPING=1"));
            assertEquals(0, run.terminate(10_000));
            await().atMost(Duration.ofSeconds(5)).until(() -> systemd.count("STOPPING=1") == 1);
            assertEquals(1, systemd.count("READY=1"));
        }
    }

    @Test
    void aStalledEventLoopStopsTheWatchdogPingsUntilItRunsAgain() throws Throwable {
        Vertx vertx = Vertx.vertx();
        try (NotifySocketServer systemd = new NotifySocketServer(tmp.resolve("notify"));
             SystemdNotify notify = SystemdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", systemd.path.toString(),
                     "WATCHDOG_USEC", "200000"));
             EventLoopWatchdog watchdog = new EventLoopWatchdog(vertx, notify.watchdogUsec().orElseThrow(), notify::send)) {
            assertTrue(watchdog.loops() > 1, "the test needs several loops to stall just one");
            watchdog.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> systemd.count("WATCHDOG=1") >= 3);

            // A handler that blocks its event loop, as a buggy plug-in would.
            AtomicBoolean release = new AtomicBoolean();
            Promise<Void> blocked = Promise.promise();
            vertx.getOrCreateContext().runOnContext(v -> {
                blocked.complete();
                await("the test releases the stalled loop").atMost(30, TimeUnit.SECONDS).until(release::get);
            });
            blocked.future().await(5, TimeUnit.SECONDS);
            // A ping in flight when the loop stalled may still land (late, on a loaded machine); after that none
            // may for as long as the loop stays stuck: 600 ms without one must come (the watchdog, left alone,
            // sends one every 100 ms, so it never would), and within a bounded time.
            AtomicLong stalledAt = new AtomicLong(-1);
            await("no WATCHDOG=1 while an event loop is stalled").pollDelay(Duration.ofMillis(200))
                    .pollInterval(Duration.ofMillis(50)).during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(15))
                    .until(() -> {
                        long now = systemd.count("WATCHDOG=1");
                        return stalledAt.getAndSet(now) == now;
                    });

            release.set(true);
            await().atMost(Duration.ofSeconds(10)).until(() -> systemd.count("WATCHDOG=1") >= stalledAt.get() + 3);
        } finally {
            vertx.close().await(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void withoutNotifySocketNothingIsSentAndAForeignWatchdogIsIgnored() {
        SystemdNotify none = SystemdNotify.fromEnvironment(Map.of());
        assertTrue(!none.enabled() && !none.send("READY=1"));
        SystemdNotify other = SystemdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", tmp.resolve("n").toString(),
                "WATCHDOG_USEC", "1000000", "WATCHDOG_PID", "1"));
        assertTrue(other.enabled() && other.watchdogUsec().isEmpty());
        other.close();
        try {
            SystemdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", "/x", "WATCHDOG_USEC", "soon"));
            throw new AssertionError("a malformed WATCHDOG_USEC was accepted");
        } catch (IllegalStateException e) {
            assertTrue(e.getMessage().contains("WATCHDOG_USEC must be a positive number"), e.getMessage());
        }
    }
}
