package dev.vmbus.host.nic;

import dev.vmbus.agent.Agent;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.host.SimulatedHost;
import dev.vmbus.host.SimulatedHostControl;
import dev.vmbus.testkit.AgentInternals;
import dev.vmbus.testkit.TestAgent;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A guest with two synthetic NICs, as a VM with two network adapters ({@code host.nic.count} 2, two queues each):
 * the guest brings up one NIC per adapter, named {@code vmbus0} and {@code vmbus1}, each with its adapter's MAC,
 * its own buffers and queues; the frames of each stay on it; and a host mistake on one ends that NIC only, while
 * the other keeps carrying frames.
 */
class NetvscTwoNicsTest {
    private static final int FRAMES = 400;

    @TempDir
    Path tmp;
    private Agent agent;
    private Agent hostSide;

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (hostSide != null) {
            hostSide.close();
        }
    }

    private VmbusConfig config(String transport) {
        return ConfigLoader.parse(new JsonObject()
                .put("transport", new JsonObject().put("type", transport).put("shmDir", tmp.resolve("shm").toString()))
                .put("devices", new JsonObject().put("netvsc", new JsonObject().put("enabled", true)
                        .put("backend", "eventbus").put("queues", 2)))
                .put("dashboard", new JsonObject().put("enabled", false))
                .put("host", new JsonObject().put("heartbeatIntervalMs", 60_000).put("nic", new JsonObject()
                        .put("enabled", true).put("backend", "loopback").put("queues", 2).put("count", 2)))
                .encode(), "test");
    }

    @Test
    void onSim() throws Exception {
        try (TestAgent sim = AgentInternals.start(Agent.builder(config("sim")))) {
            eachNicCarriesItsOwnFramesAndAHostMistakeEndsOnlyItsNic(sim.vertx(),
                    AgentInternals.agent(sim).simulatedHost().orElseThrow());
        }
    }

    @Test
    void onShm() throws Exception {
        VmbusConfig config = config("shm");
        hostSide = Agent.hostBuilder(config).start();
        agent = Agent.builder(config).start();
        eachNicCarriesItsOwnFramesAndAHostMistakeEndsOnlyItsNic(agent.vertx(), hostSide.simulatedHost().orElseThrow());
    }

    private void eachNicCarriesItsOwnFramesAndAHostMistakeEndsOnlyItsNic(Vertx vertx, SimulatedHost host)
            throws Exception {
        await("two NICs up on two queues each").atMost(20, TimeUnit.SECONDS)
                .until(() -> upNics(vertx).size() == 2 && upNics(vertx).values().stream()
                        .allMatch(n -> n.getJsonArray("queues").size() == 2));
        Map<String, JsonObject> nics = upNics(vertx);
        assertEquals(List.of("vmbus0", "vmbus1"), List.copyOf(nics.keySet()), "numbered on, as eth0 and eth1");
        assertEquals("00:15:5d:56:4d:01", nics.get("vmbus0").getString("mac"));
        assertEquals("00:15:5d:56:4d:02", nics.get("vmbus1").getString("mac"));
        assertEquals(SimulatedHost.NIC_INSTANCE.toString(), nics.get("vmbus0").getString("instance"));
        assertEquals(SimulatedHost.nicInstance(1).toString(), nics.get("vmbus1").getString("instance"));

        Queue<byte[]> back0 = listen(vertx, "vmbus0");
        Queue<byte[]> back1 = listen(vertx, "vmbus1");
        for (int n = 0; n < FRAMES; n++) {
            vertx.eventBus().send("vmbus.netvsc.vmbus0.tx", Buffer.buffer(frame(0, n)));
            vertx.eventBus().send("vmbus.netvsc.vmbus1.tx", Buffer.buffer(frame(1, n)));
        }
        await("every frame back").atMost(30, TimeUnit.SECONDS).until(() -> back0.size() >= FRAMES
                && back1.size() >= FRAMES);
        assertEachCameBackToItsNic(back0, 0);
        assertEachCameBackToItsNic(back1, 1);
        List<JsonObject> hostNics = hostNics(host);
        for (int k = 0; k < 2; k++) {
            long fromGuest = hostNics.get(k).getJsonArray("queues").stream()
                    .mapToLong(q -> ((JsonObject) q).getLong("framesFromGuest")).sum();
            assertEquals(FRAMES, fromGuest, "host NIC " + k + ": " + hostNics.get(k).encode());
        }

        // The host sends NIC 1 transfer ranges past its receive buffer: that NIC fails, NIC 0 is untouched
        new SimulatedHostControl(host).act("nic-fault", new JsonObject().put("knob", "rangePastBuffer").put("nic", 1))
                .await(10, TimeUnit.SECONDS);
        vertx.eventBus().send("vmbus.netvsc.vmbus1.tx", Buffer.buffer(frame(1, FRAMES)));
        JsonObject state = await("NIC vmbus1 failed").atMost(15, TimeUnit.SECONDS)
                .until(() -> netvsc(vertx), s -> !s.getJsonArray("failed").isEmpty());
        JsonObject failed = state.getJsonArray("failed").getJsonObject(0);
        assertEquals("vmbus1", failed.getString("name"), state.encode());
        assertTrue(failed.getString("failure").contains("outside the receive buffer"), failed.encode());
        assertEquals(1, state.getJsonArray("failed").size(), state.encode());
        await("vmbus1 gone").atMost(10, TimeUnit.SECONDS).until(() -> !upNics(vertx).containsKey("vmbus1"));
        assertEquals("up", upNics(vertx).get("vmbus0").getString("phase"));
        back0.clear();
        for (int n = 0; n < FRAMES; n++) {
            vertx.eventBus().send("vmbus.netvsc.vmbus0.tx", Buffer.buffer(frame(0, n)));
        }
        await("NIC vmbus0's frames back after vmbus1 failed").atMost(30, TimeUnit.SECONDS)
                .until(() -> back0.size() >= FRAMES);
        assertEachCameBackToItsNic(back0, 0);
        assertEquals("active", hostNics(host).get(0).getString("phase"));
    }

    /** The NICs the guest has up, by name, in their order. */
    private static Map<String, JsonObject> upNics(Vertx vertx) throws Exception {
        return netvsc(vertx).getJsonArray("nics", new JsonArray()).stream().map(JsonObject.class::cast)
                .filter(n -> "up".equals(n.getString("phase")))
                .collect(Collectors.toMap(n -> n.getString("name"), n -> n, (a, b) -> a, java.util.TreeMap::new));
    }

    private static JsonObject netvsc(Vertx vertx) throws Exception {
        return (JsonObject) vertx.eventBus().request("vmbus.device.netvsc.state", null).await(10, TimeUnit.SECONDS)
                .body();
    }

    private static List<JsonObject> hostNics(SimulatedHost host) throws Exception {
        return new SimulatedHostControl(host).state().await(10, TimeUnit.SECONDS).getJsonArray("devices").stream()
                .map(JsonObject.class::cast).filter(d -> "nic".equals(d.getString("device"))).toList();
    }

    private static Queue<byte[]> listen(Vertx vertx, String nic) throws Exception {
        Queue<byte[]> back = new ConcurrentLinkedQueue<>();
        vertx.eventBus().<Buffer>consumer("vmbus.netvsc." + nic + ".rx", m -> back.add(m.body().getBytes()))
                .completion().await(10, TimeUnit.SECONDS);
        return back;
    }

    /** Every frame in {@code back} is one NIC {@code k} sent, each of its {@link #FRAMES} once. */
    private static void assertEachCameBackToItsNic(Queue<byte[]> back, int k) {
        assertEquals(FRAMES, back.size());
        boolean[] seen = new boolean[FRAMES];
        for (byte[] f : back) {
            ByteBuffer b = ByteBuffer.wrap(f, 14, 8);
            int nic = b.getInt();
            int n = b.getInt();
            assertEquals(k, nic, "a frame of NIC " + nic + " came back on NIC " + k);
            assertArrayEquals(frame(k, n), f, "frame " + n + " of NIC " + k);
            seen[n] = true;
        }
        for (int n = 0; n < FRAMES; n++) {
            assertTrue(seen[n], "frame " + n + " of NIC " + k + " did not come back");
        }
    }

    /** A frame to NIC {@code k}'s MAC, type 0x88B5 (local experimental), carrying k and its number. */
    private static byte[] frame(int k, int n) {
        byte[] f = new byte[64 + (n * 37) % 1400];
        ByteBuffer b = ByteBuffer.wrap(f);
        b.put(HostNic.parseMac(VmbusConfig.Nic.DEFAULT_MAC.substring(0, 15) + "0" + (1 + k)))
                .put(new byte[] {2, 0, 0, 0, 0, 7});
        b.putShort((short) 0x88B5).putInt(k).putInt(n);
        for (int i = b.position(); i < f.length; i++) {
            f[i] = (byte) (k * 31 + n + i);
        }
        return f;
    }
}
