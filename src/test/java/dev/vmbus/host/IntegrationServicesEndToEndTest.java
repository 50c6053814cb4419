package dev.vmbus.host;

import dev.vmbus.bus.Addresses;
import dev.vmbus.agent.Agent;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.device.heartbeat.HeartbeatHandler;
import dev.vmbus.device.shutdown.ShutdownHandler;
import dev.vmbus.device.timesync.TimesyncHandler;
import dev.vmbus.device.vss.VssHandler;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.shutdown.ShutdownMessage;
import dev.vmbus.ic.vss.VssMessage;
import dev.vmbus.ic.vss.VssOperation;
import dev.vmbus.testkit.AgentInternals;
import dev.vmbus.testkit.TestAgent;
import dev.vmbus.transport.OnContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Timesync, shutdown and VSS through the simulated host and the agent, on {@code sim} (one Vert.x) and on
 * {@code shm} (two Vert.x instances, real ring files and Unix sockets): the host's injected clock offset is what
 * the guest measures, a shutdown is refused before negotiation, answered and acted on after, one at a time, and a
 * backup runs its four steps with the guest frozen in between.
 */
class IntegrationServicesEndToEndTest {
    @TempDir
    Path tmp;
    private Agent hostSide;
    private Agent agent;
    private Vertx guestVertx;
    private SimulatedHost host;

    @AfterEach
    void stop() throws Exception {
        for (Agent a : new Agent[] {agent, hostSide}) {
            if (a != null) {
                a.close();
            }
        }
    }

    /** Heartbeats out of the way, timesync every 100 ms, the host's clock 4 s ahead. */
    private static JsonObject hostConfig() {
        return new JsonObject().put("heartbeatIntervalMs", 60_000).put("timesyncIntervalMs", 100).put("clockOffsetMs", 4000);
    }

    private VmbusConfig config(String transport) {
        return ConfigLoader.parse(new JsonObject()
                .put("transport", new JsonObject().put("type", transport).put("shmDir", tmp.resolve("shm").toString()))
                .put("devices", new JsonObject()
                        .put("shutdown", new JsonObject().put("dryRun", false).put("powerOffCommand",
                                new JsonArray().add("touch").add(tmp.resolve("powered-off").toString())))
                        .put("vss", new JsonObject().put("mounts", new JsonArray().add("/srv"))))
                .put("dashboard", new JsonObject().put("enabled", false))
                .put("host", hostConfig()).encode(), "test");
    }

    private Agent.Builder guest(VmbusConfig config) {
        return Agent.builder(config).handlers(List.of(new HeartbeatHandler(), new TimesyncHandler(),
                new ShutdownHandler(), new VssHandler()));
    }

    @Test
    void onSim() throws Exception {
        VmbusConfig config = config("sim");
        // the test's own simulated host, so that it is asked before the agent's channels exist
        try (TestAgent sim = AgentInternals.start(guest(config).hostEnd((context, transport) -> {
            host = new SimulatedHost(context.owner(), transport, config.host());
            return host.start().compose(v -> refusedBeforeNegotiation());
        }))) {
            guestVertx = sim.vertx();
            scenario();
        }
    }

    @Test
    void onShm() throws Exception {
        VmbusConfig config = config("shm");
        hostSide = Agent.hostBuilder(config).start();
        host = hostSide.simulatedHost().orElseThrow();
        refusedBeforeNegotiation().await(15, TimeUnit.SECONDS);
        agent = guest(config).start();
        guestVertx = agent.vertx();
        scenario();
    }

    /** Before the guest negotiates, the host refuses a shutdown ("not ready") and a backup. */
    private Future<Void> refusedBeforeNegotiation() {
        return shutdown().powerOff().transform(off -> {
            if (off.succeeded() || !off.cause().getMessage().startsWith("not ready")) {
                return Future.failedFuture(new AssertionError("a power-off before negotiation: "
                        + (off.succeeded() ? "accepted" : off.cause().getMessage())));
            }
            return vss().backup().transform(backup -> backup.succeeded()
                    ? Future.failedFuture(new AssertionError("a backup before negotiation ran"))
                    : Future.<Void>succeededFuture());
        });
    }

    private void scenario() throws Exception {
        // timesync: SYNC first, then SAMPLEs; the guest sees the host's 4 s offset, then the new one
        JsonObject ts = awaitGuest("timesync", s -> channel(s).getInteger("samples", 0) >= 2, "two samples");
        assertEquals(1, channel(ts).getInteger("syncs"), "exactly one SYNC, right after negotiation");
        assertEquals("v4", channel(ts).getString("layout"));
        assertEquals(4000, channel(ts).getDouble("offsetMillis"), 50);
        timesync().setClockOffset(-1500).await(15, TimeUnit.SECONDS);
        awaitGuest("timesync", s -> Math.abs(channel(s).getDouble("offsetMillis") + 1500) < 50, "offset -1500 ms");
        TimesyncHostDevice.SampleSent sync = timesync().sync().await(15, TimeUnit.SECONDS);
        assertEquals(1, sync.flags());
        assertTrue(sync.answeredOk());
        awaitGuest("timesync", s -> channel(s).getInteger("syncs") == 2, "the second SYNC");

        // shutdown: accepted and acted on; one in flight; hibernation refused by a guest without it
        awaitHost(() -> shutdown().phase() == IcHostDevice.Phase.READY, "shutdown negotiated");
        // both asked in one turn of the host's context: the second must find the first in flight
        List<Future<ShutdownHostDevice.Result>> both = onHost(() -> List.of(shutdown().powerOff(), shutdown().reboot()));
        Future<ShutdownHostDevice.Result> first = both.get(0);
        Future<ShutdownHostDevice.Result> second = both.get(1);
        ShutdownHostDevice.Result accepted = first.await(15, TimeUnit.SECONDS);
        assertTrue(accepted.accepted());
        assertEquals(0, accepted.flags());
        var busy = assertThrows(VertxException.class, () -> second.await(15, TimeUnit.SECONDS));
        assertEquals("a shutdown request is already in progress", busy.getMessage());
        awaitHost(() -> Files.exists(tmp.resolve("powered-off")), "the power-off command to run");
        ShutdownHostDevice.Result refused = shutdown().hibernate().await(15, TimeUnit.SECONDS);
        assertFalse(refused.accepted());
        assertEquals(IcConstants.E_FAIL, refused.status());
        assertEquals(ShutdownMessage.FLAG_HIBERNATE, refused.flags());
        JsonObject sd = awaitGuest("shutdown", s -> s.getJsonArray("requests").size() == 2, "two requests recorded");
        assertEquals("power-off", sd.getJsonArray("requests").getJsonObject(1).getString("action"));

        // VSS: a backup with 150 ms frozen; the guest records the freeze
        awaitHost(() -> vss().phase() == IcHostDevice.Phase.READY, "vss negotiated");
        VssHostDevice.Backup backup = vss().backup(150).await(15, TimeUnit.SECONDS);
        assertTrue(backup.succeeded(), backup.toJson().encode());
        assertEquals(List.of(VssOperation.CHECK_HOT_BACKUP, VssOperation.FREEZE, VssOperation.THAW,
                VssOperation.BACKUP_COMPLETE), backup.steps().stream().map(VssHostDevice.Step::operation).toList());
        assertEquals(VssMessage.HBU_NO_AUTO_RECOVERY, backup.steps().get(0).flags());
        assertTrue(backup.frozenMs() >= 150, backup.toJson().encode());
        JsonObject v = awaitGuest("vss", s -> s.getInteger("thaws") == 1, "the thaw");
        assertEquals(1, v.getInteger("freezes"));
        assertFalse(v.getBoolean("frozen"));
        assertTrue(v.getLong("lastFreezeMs") >= 150);
        assertEquals(VssHostDevice.Step.class,
                vss().operation(VssOperation.GET_DM_INFO).await(15, TimeUnit.SECONDS).getClass());
    }

    private static JsonObject channel(JsonObject deviceState) {
        JsonArray channels = deviceState.getJsonArray("channels");
        return channels.isEmpty() ? new JsonObject() : channels.getJsonObject(0);
    }

    private TimesyncHostDevice timesync() {
        return host.device("timesync", TimesyncHostDevice.class);
    }

    private ShutdownHostDevice shutdown() {
        return host.device("shutdown", ShutdownHostDevice.class);
    }

    private VssHostDevice vss() {
        return host.device("vss", VssHostDevice.class);
    }

    private JsonObject awaitGuest(String device, Predicate<JsonObject> condition, String what) {
        AtomicReference<JsonObject> last = new AtomicReference<>();
        try {
            return await(what).atMost(10, TimeUnit.SECONDS).until(() -> {
                JsonObject s = guestVertx.eventBus().<JsonObject>request(Addresses.deviceState(device), null)
                        .await(5, TimeUnit.SECONDS).body();
                last.set(s);
                return s;
            }, s -> {
                try {
                    return condition.test(s);
                } catch (RuntimeException notYet) {
                    return false;
                }
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("timed out waiting for " + what + ": " + last.get(), e);
        }
    }

    private void awaitHost(Supplier<Boolean> condition, String what) {
        await(what).atMost(10, TimeUnit.SECONDS).until(() -> onHost(condition));
    }

    private <T> T onHost(Supplier<T> task) throws Exception {
        return OnContext.supply(host.context(), task).await(10, TimeUnit.SECONDS);
    }
}
