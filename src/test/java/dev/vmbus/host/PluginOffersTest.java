package dev.vmbus.host;

import dev.vmbus.agent.Agent;
import dev.vmbus.bus.Addresses;
import dev.vmbus.channel.Offer;
import dev.vmbus.config.ConfigException;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.example.PingHandler;
import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.spi.NoSettings;
import dev.vmbus.spi.Reply;
import dev.vmbus.testkit.AgentInternals;
import dev.vmbus.testkit.TestAgent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static dev.vmbus.host.PluginOfferWaits.awaitHostDevice;
import static dev.vmbus.host.PluginOfferWaits.awaitPingAnswered;
import static dev.vmbus.host.PluginOfferWaits.guestState;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code host.offers}: the simulated host offers a plug-in's class, answered by the counterpart the plug-in ships
 * (the ping example's {@code PingHost}, found by ServiceLoader) or by the host's script, on {@code sim} and on
 * {@code shm}; the channel-level host actions work on them (relids past the six ICs).
 */
class PluginOffersTest {
    static final UUID ECHO = UUID.fromString("0e0e0e0e-0000-4000-8000-00000000ec40");

    @TempDir
    Path tmp;
    private Agent hostSide;
    private Agent agent;

    @AfterEach
    void stop() throws Exception {
        for (Agent a : new Agent[] {agent, hostSide}) {
            if (a != null) {
                a.close();
            }
        }
    }

    /** The guest end of the echo class: every packet back as it came. */
    static final class Echo implements DevicePlugin<NoSettings> {
        @Override public String name() { return "echo"; }
        @Override public List<UUID> classIds() { return List.of(ECHO); }
        @Override public NoSettings settings(DeviceContext context) { return NoSettings.of(context); }
        @Override public Device device(NoSettings settings, DeviceContext context) {
            return packet -> Future.succeededFuture(Reply.response(packet, packet.payload()));
        }
    }

    private VmbusConfig config(String transport) {
        return ConfigLoader.parse(new JsonObject()
                .put("transport", new JsonObject().put("type", transport).put("shmDir", tmp.resolve("shm").toString()))
                .put("devices", new JsonObject().put("ping", new JsonObject().put("enabled", true).put("prefix", "PONG ")))
                .put("dashboard", new JsonObject().put("enabled", false))
                .put("host", new JsonObject().put("heartbeatIntervalMs", 60_000).put("offers", new JsonArray()
                        .add(new JsonObject().put("classId", PingHandler.CLASS_ID.toString())
                                .put("settings", new JsonObject().put("greeting", "hello")))
                        .add(new JsonObject().put("classId", ECHO.toString()).put("ringSize", 32768)
                                .put("send", new JsonArray().add("one").add("two")))))
                .encode(), "test");
    }

    private Agent.Builder guest(VmbusConfig config) {
        return Agent.builder(config).handlers(List.of(new PingHandler(), new Echo()))
                .devices(java.util.Map.of("ping", new JsonObject().put("enabled", true).put("prefix", "PONG ")));
    }

    @Test
    void onSim() throws Exception {
        try (TestAgent sim = AgentInternals.start(guest(config("sim")))) {
            scenario(AgentInternals.agent(sim).simulatedHost().orElseThrow(), sim.vertx());
        }
    }

    @Test
    void onShm() throws Exception {
        VmbusConfig config = config("shm");
        hostSide = Agent.hostBuilder(config).start();
        agent = guest(config).start();
        scenario(hostSide.simulatedHost().orElseThrow(), agent.vertx());
        // both ends let a rescinded channel's ring go (the host a second after it ends, once it deleted the file):
        // once the re-offers have settled no mapping of a deleted ring is left in this process, host's or guest's
        await("no mapping of a rescinded channel's deleted ring").atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> mappingsPerFile(tmp.resolve("shm")).keySet().stream().noneMatch(f -> f.endsWith("(deleted)")));
        assertEquals(2, mappingsPerFile(tmp.resolve("shm")).get("7.ring"), "the live ring, by host and guest: "
                + mappingsPerFile(tmp.resolve("shm")));
    }

    /** Lines of this process's {@code maps} that map a file in {@code dir}, by file name. */
    private static java.util.Map<String, Integer> mappingsPerFile(Path dir) throws java.io.IOException {
        java.util.Map<String, Integer> byName = new java.util.TreeMap<>();
        for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/maps"))) {
            int at = line.indexOf(dir.toString() + "/");
            if (at >= 0) {
                byName.merge(line.substring(at + dir.toString().length() + 1), 1, Integer::sum);
            }
        }
        return byName;
    }

    private void scenario(SimulatedHost host, Vertx guest) throws Exception {
        SimulatedHostControl control = new SimulatedHostControl(host);
        // ping at relid 7 (after the six ICs), its host end the plug-in's PingHost; echo at 8, the host's script
        JsonObject ping = awaitHostDevice(control, 7, d -> d.getLong("answers", 0L) == 1);
        assertEquals("ping", ping.getString("device"));
        assertEquals("PONG hello", ping.getString("lastAnswer"));
        assertEquals(1, guestState(guest, "ping").getLong("answered"));
        JsonObject echo = awaitHostDevice(control, 8, d -> d.getLong("answers", 0L) == 2);
        assertEquals("script", echo.getString("counterpart"));
        assertEquals("two", echo.getString("lastAnswer"));
        assertEquals(PingHandler.CLASS_ID.toString(), ping.getString("classId"));

        // the channel actions reach relids past 6: a re-offer opens the channel again and the greeting comes again
        control.act("reoffer", new JsonObject().put("relid", 7)).await(10, TimeUnit.SECONDS);
        awaitHostDevice(control, 7, d -> d.getLong("opens") == 2 && d.getLong("answers", 0L) == 2);
        awaitPingAnswered(guest, 2);
        // rescind, then offer
        control.act("rescind", new JsonObject().put("relid", 8)).await(10, TimeUnit.SECONDS);
        awaitHostDevice(control, 8, d -> "offered".equals(d.getString("phase")));
        await("the host to offer relid 8 again").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .ignoreExceptions()
                .until(() -> control.act("offer", new JsonObject().put("relid", 8)).await(5, TimeUnit.SECONDS) != null);
        awaitHostDevice(control, 8, d -> d.getLong("opens") == 2 && d.getLong("answers", 0L) == 4);
    }

    @Test
    void anOfferIsCheckedKeyByKey() {
        assertEquals("test: host.offers[0].classId is required (a GUID such as a1b2c3d4-0000-4000-8000-00000000c0de)",
                badOffer(new JsonObject()).getMessage());
        assertEquals("test: host.offers[0].classId must be a GUID (8-4-4-4-12 hex digits), got 'ping'",
                badOffer(new JsonObject().put("classId", "ping")).getMessage());
        JsonObject ping = new JsonObject().put("classId", PingHandler.CLASS_ID.toString());
        assertTrue(badOffer(ping.copy().put("ringSize", 5000)).getMessage().contains("ringSize must be a multiple of 4096"));
        assertEquals("test: host.offers[0].count must be 1..64, got 0", badOffer(ping.copy().put("count", 0)).getMessage());
        assertTrue(badOffer(ping.copy().put("count", 2).put("instance", UUID.randomUUID().toString())).getMessage()
                .contains("instance names one channel, but count is 2"));
        assertTrue(badOffer(ping.copy().put("answer", "magic")).getMessage().contains("answer must be"));
        assertEquals("test: unknown key 'host.offers[0].sned'", badOffer(ping.copy().put("sned", new JsonArray())).getMessage());
    }

    private static ConfigException badOffer(JsonObject offer) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.parse(new JsonObject().put("host",
                new JsonObject().put("offers", new JsonArray().add(offer))).encode(), "test"));
    }

    @Test
    void aCounterpartNobodyShipsOrBadSettingsStopTheHost() {
        Vertx vertx = Vertx.vertx();
        try {
            VmbusConfig.Host none = config(ECHO, new JsonObject().put("answer", "counterpart"));
            var e = assertThrows(IllegalArgumentException.class, () -> new SimulatedHost(vertx, null, none));
            assertTrue(e.getMessage().startsWith("host.offers[0]: no host counterpart (HostPlugin) for class " + ECHO
                    + " is installed (installed: [ping for " + PingHandler.CLASS_ID + "])"), e.getMessage());
            VmbusConfig.Host bad = config(PingHandler.CLASS_ID, new JsonObject().put("settings", new JsonObject().put("greting", "x")));
            var s = assertThrows(IllegalArgumentException.class, () -> new SimulatedHost(vertx, null, bad));
            assertEquals("host.offers[0].settings: unknown key 'greting' (ping has [greeting])", s.getMessage());
            VmbusConfig.Host wrongType = config(PingHandler.CLASS_ID, new JsonObject().put("settings",
                    new JsonObject().put("greeting", 5)));
            var t = assertThrows(IllegalArgumentException.class, () -> new SimulatedHost(vertx, null, wrongType));
            assertEquals("host.offers[0].settings: 'greeting' must be a string, got 5", t.getMessage());
            VmbusConfig.Host empty = config(PingHandler.CLASS_ID, new JsonObject().put("settings",
                    new JsonObject().put("greeting", "")));
            var r = assertThrows(IllegalArgumentException.class, () -> new SimulatedHost(vertx, null, empty));
            assertEquals("host.offers[0].settings: greeting must be a non-empty string", r.getMessage());
            VmbusConfig.Host twice = config(PingHandler.CLASS_ID, new JsonObject().put("count", 2)
                    .put("answer", "script"));
            SimulatedHost two = new SimulatedHost(vertx, null, twice);
            assertEquals(0, two.devices().size(), "nothing offered before start");
        } finally {
            vertx.close();
        }
    }

    private static VmbusConfig.Host config(UUID classId, JsonObject offer) {
        return ConfigLoader.parse(new JsonObject().put("host", new JsonObject().put("offers", new JsonArray()
                .add(offer.put("classId", classId.toString())))).encode(), "test").host();
    }

    @Test
    void offersTakeTheRelidsAfterTheExtraHeartbeats() {
        VmbusConfig.Host h = ConfigLoader.parse(new JsonObject().put("host", new JsonObject().put("extraHeartbeats", 3)
                .put("offers", new JsonArray().add(new JsonObject().put("classId", ECHO.toString()).put("count", 2))))
                .encode(), "test").host();
        assertEquals(10, SimulatedHost.firstOfferRelid(h));
        assertEquals(12, SimulatedHost.firstOfferRelid(h.withNic(h.nic().withEnabled(true).withQueues(2))),
                "after the NIC's primary and its one subchannel");
        assertEquals(new Offer(10, ECHO, UUID.randomUUID(), 0, 16384).ringSize(), h.offers().get(0).ringSizeOrDefault());
    }
}
