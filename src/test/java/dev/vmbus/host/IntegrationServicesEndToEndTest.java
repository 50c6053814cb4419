package dev.vmbus.host;

import dev.vmbus.bus.Addresses;
import dev.vmbus.bus.DeviceRegistry;
import dev.vmbus.bus.VmbusVerticle;
import dev.vmbus.config.TransportType;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.device.heartbeat.HeartbeatHandler;
import dev.vmbus.device.shutdown.ShutdownHandler;
import dev.vmbus.device.timesync.TimesyncHandler;
import dev.vmbus.device.vss.VssHandler;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.shutdown.ShutdownMessage;
import dev.vmbus.ic.vss.VssMessage;
import dev.vmbus.ic.vss.VssOperation;
import dev.vmbus.transport.GuestTransport;
import dev.vmbus.transport.shm.ShmGuest;
import dev.vmbus.transport.shm.ShmHost;
import dev.vmbus.transport.sim.SimBus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

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
    private Vertx hostVertx;
    private Vertx guestVertx;
    private SimulatedHost host;

    @AfterEach
    void stop() throws Exception {
        for (Vertx v : new Vertx[] {guestVertx, hostVertx}) {
            if (v != null) {
                v.close().await(10, TimeUnit.SECONDS);
            }
        }
    }

    private static VmbusConfig.Host hostConfig() {
        return new VmbusConfig.Host(60_000, 100, 4000, 0);
    }

    private Map<String, JsonObject> devices() {
        return Map.of("shutdown", new JsonObject().put("dryRun", false)
                        .put("powerOffCommand", new JsonArray().add("touch").add(tmp.resolve("powered-off").toString())),
                "vss", new JsonObject().put("mounts", new JsonArray().add("/srv")));
    }

    private void deployAgent(GuestTransport transport, String type) throws Exception {
        DeviceRegistry registry = DeviceRegistry.of(List.of(new HeartbeatHandler(), new TimesyncHandler(),
                new ShutdownHandler(), new VssHandler()), devices(), TransportType.parse(type));
        guestVertx.deployVerticle(new VmbusVerticle(transport, registry)).await(10, TimeUnit.SECONDS);
    }

    @Test
    void onSim() throws Exception {
        hostVertx = Vertx.vertx();
        guestVertx = hostVertx;
        SimBus bus = new SimBus(hostVertx);
        host = new SimulatedHost(hostVertx, bus.host(), hostConfig());
        host.start().await(10, TimeUnit.SECONDS);
        refusedBeforeNegotiation();
        deployAgent(bus.guest(), "sim");
        scenario();
    }

    @Test
    void onShm() throws Exception {
        Path dir = tmp.resolve("shm");
        hostVertx = Vertx.vertx();
        host = new SimulatedHost(hostVertx, new ShmHost(hostVertx, dir), hostConfig());
        host.start().await(10, TimeUnit.SECONDS);
        refusedBeforeNegotiation();
        guestVertx = Vertx.vertx();
        deployAgent(new ShmGuest(guestVertx, dir), "shm");
        scenario();
    }

    private void refusedBeforeNegotiation() throws Exception {
        var e = assertThrows(ExecutionException.class, () -> await(shutdown().powerOff()));
        assertTrue(e.getCause().getMessage().startsWith("not ready"), e.getCause().getMessage());
        assertThrows(ExecutionException.class, () -> await(vss().backup()));
    }

    private void scenario() throws Exception {
        // timesync: SYNC first, then SAMPLEs; the guest sees the host's 4 s offset, then the new one
        JsonObject ts = awaitGuest("timesync", s -> channel(s).getInteger("samples", 0) >= 2, "two samples");
        assertEquals(1, channel(ts).getInteger("syncs"), "exactly one SYNC, right after negotiation");
        assertEquals("v4", channel(ts).getString("layout"));
        assertEquals(4000, channel(ts).getDouble("offsetMillis"), 50);
        await(timesync().setClockOffset(-1500));
        awaitGuest("timesync", s -> Math.abs(channel(s).getDouble("offsetMillis") + 1500) < 50, "offset -1500 ms");
        TimesyncHostDevice.SampleSent sync = await(timesync().sync());
        assertEquals(1, sync.flags());
        assertTrue(sync.answeredOk());
        awaitGuest("timesync", s -> channel(s).getInteger("syncs") == 2, "the second SYNC");

        // shutdown: accepted and acted on; one in flight; hibernation refused by a guest without it
        awaitHost(() -> shutdown().phase() == IcHostDevice.Phase.READY, "shutdown negotiated");
        // both asked in one turn of the host's context: the second must find the first in flight
        List<Future<ShutdownHostDevice.Result>> both = onHost(() -> List.of(shutdown().powerOff(), shutdown().reboot()));
        Future<ShutdownHostDevice.Result> first = both.get(0);
        Future<ShutdownHostDevice.Result> second = both.get(1);
        ShutdownHostDevice.Result accepted = await(first);
        assertTrue(accepted.accepted());
        assertEquals(0, accepted.flags());
        var busy = assertThrows(ExecutionException.class, () -> await(second));
        assertEquals("a shutdown request is already in progress", busy.getCause().getMessage());
        awaitHost(() -> Files.exists(tmp.resolve("powered-off")), "the power-off command to run");
        ShutdownHostDevice.Result refused = await(shutdown().hibernate());
        assertFalse(refused.accepted());
        assertEquals(IcConstants.E_FAIL, refused.status());
        assertEquals(ShutdownMessage.FLAG_HIBERNATE, refused.flags());
        JsonObject sd = awaitGuest("shutdown", s -> s.getJsonArray("requests").size() == 2, "two requests recorded");
        assertEquals("power-off", sd.getJsonArray("requests").getJsonObject(1).getString("action"));

        // VSS: a backup with 150 ms frozen; the guest records the freeze
        awaitHost(() -> vss().phase() == IcHostDevice.Phase.READY, "vss negotiated");
        VssHostDevice.Backup backup = await(vss().backup(150));
        assertTrue(backup.succeeded(), backup.toJson().encode());
        assertEquals(List.of(VssOperation.CHECK_HOT_BACKUP, VssOperation.FREEZE, VssOperation.THAW,
                VssOperation.BACKUP_COMPLETE), backup.steps().stream().map(VssHostDevice.Step::operation).toList());
        assertEquals(VssMessage.HBU_NO_AUTO_RECOVERY, backup.steps().get(0).flags());
        assertTrue(backup.frozenMs() >= 150, backup.toJson().encode());
        JsonObject v = awaitGuest("vss", s -> s.getInteger("thaws") == 1, "the thaw");
        assertEquals(1, v.getInteger("freezes"));
        assertFalse(v.getBoolean("frozen"));
        assertTrue(v.getLong("lastFreezeMs") >= 150);
        assertEquals(VssHostDevice.Step.class, await(vss().operation(VssOperation.GET_DM_INFO)).getClass());
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

    private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
    }

    private JsonObject awaitGuest(String device, Predicate<JsonObject> condition, String what) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (true) {
            JsonObject s = guestVertx.eventBus().<JsonObject>request(Addresses.deviceState(device), null)
                    .await(5, TimeUnit.SECONDS).body();
            boolean ok;
            try {
                ok = condition.test(s);
            } catch (RuntimeException notYet) {
                ok = false;
            }
            if (ok) {
                return s;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting for " + what + ": " + s.encodePrettily());
            }
            Thread.sleep(20);
        }
    }

    private void awaitHost(Supplier<Boolean> condition, String what) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!onHost(condition)) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    private <T> T onHost(Supplier<T> task) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        host.context().runOnContext(v -> result.complete(task.get()));
        return result.get(10, TimeUnit.SECONDS);
    }
}
