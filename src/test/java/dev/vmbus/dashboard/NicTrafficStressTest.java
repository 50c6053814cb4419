package dev.vmbus.dashboard;

import dev.vmbus.bus.Addresses;
import dev.vmbus.bus.ChannelEvent;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.testkit.AgentInternals;
import dev.vmbus.testkit.TestAgent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The path of {@code DashboardBrowserTest}'s NIC test without the browser, harder: the whole agent on sim with the
 * dashboard sampling, the guest's NIC on two queues with the {@code eventbus} backend against the host's loopback
 * NIC, 24 flows sent from a thread outside Vert.x in bursts for 3 s while {@code /api/channels} is polled. No NIC
 * channel may end, and frames must go out and come back. Issue 21's fault (the NIC running its backend on the
 * device's loop beside the channel's, sending send sections of 0 bytes) ended a NIC channel in 5 of 12 fresh JVMs
 * of this loop; {@code NetvscContextTest} pins its cause.
 */
@Tag("slow")
class NicTrafficStressTest {
    private static final long TRAFFIC_NANOS = 3_000_000_000L;

    @TempDir
    Path tmp;

    /** An IPv6 UDP frame to the NIC's MAC from source port 40000 + flow, so that flows spread over the queues. */
    static byte[] udp6(int flow) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(14 + 40 + 8 + 32);
        b.put(new byte[] {0x00, 0x15, 0x5d, 0x56, 0x4d, 0x01}).put(new byte[] {2, 0, 0, 0, 0, 9}).putShort((short) 0x86DD);
        b.putInt(0x60000000).putShort((short) 40).put((byte) 17).put((byte) 64);
        b.putLong(0xfe80_0000_0000_0000L).putLong(1).putLong(0xfe80_0000_0000_0000L).putLong(2);
        b.putShort((short) (40000 + flow)).putShort((short) 5001).putShort((short) 40).putShort((short) 0);
        return b.array();
    }

    @Test
    void noNicChannelEndsUnderTrafficWithTheDashboardSampling() throws Exception {
        DashboardAgentConfig setup = new DashboardAgentConfig(Files.createDirectories(tmp.resolve("agent")), 2, 200, 200,
                new VmbusConfig.Health(800, 1600, 80, 100, 30_000, 60_000, 60_000), 2);
        try (TestAgent agent = setup.start(); DashboardClient h = DashboardClient.open(agent, setup.channelCount())) {
            var bus = agent.vertx().eventBus();
            Queue<ChannelEvent> ended = new ConcurrentLinkedQueue<>();
            bus.<ChannelEvent>localConsumer(Addresses.CHANNELS, m -> {
                if (m.body().ended() && "netvsc".equals(m.body().className())) {
                    ended.add(m.body());
                }
            }).completion().await(10, TimeUnit.SECONDS);
            java.util.concurrent.atomic.AtomicLong back = new java.util.concurrent.atomic.AtomicLong();
            bus.<Buffer>consumer("vmbus.netvsc.vmbus0.rx", m -> back.incrementAndGet()).completion()
                    .await(10, TimeUnit.SECONDS);
            await("the guest's NIC up on two queues").atMost(10, TimeUnit.SECONDS).untilAsserted(() -> {
                JsonObject nic = guestNic(agent);
                assertTrue("up".equals(nic.getString("phase")) && nic.getJsonArray("queues", new JsonArray()).size() == 2,
                        "the guest's NIC: " + nic.encode());
            });

            long end = System.nanoTime() + TRAFFIC_NANOS;
            for (int round = 0; round < 2000 && System.nanoTime() < end; round++) {
                for (int flow = 0; flow < 24; flow++) {
                    bus.send("vmbus.netvsc.vmbus0.tx", Buffer.buffer(udp6(flow)));
                }
                Thread.sleep(round % 3 == 0 ? 0 : 5); // pacing: bursts of 24 flows, two of three 5 ms apart
                if (round % 20 == 0) {
                    assertEquals(200, h.get("/api/channels?form=compact").statusCode());
                }
                noneEnded(agent, ended);
            }
            JsonObject nic = guestNic(agent);
            await("frames back through the host's loopback NIC").atMost(2, TimeUnit.SECONDS).untilAsserted(() -> {
                noneEnded(agent, ended);
                assertTrue(back.get() > 0, "frames came back through the host's loopback NIC: " + nic.encode());
            });
            assertEquals("up", nic.getString("phase"), nic.encode());
            assertEquals(2, nic.getJsonArray("queues").size(), nic.encode());
        }
    }

    private static void noneEnded(TestAgent agent, Queue<ChannelEvent> ended) throws Exception {
        ChannelEvent e = ended.peek();
        if (e != null) {
            Object host = new dev.vmbus.host.SimulatedHostControl(AgentInternals.agent(agent).simulatedHost().orElseThrow())
                    .state().await(10, TimeUnit.SECONDS)
                    .getJsonArray("devices").stream().filter(d -> "nic".equals(((JsonObject) d).getString("device")))
                    .findFirst().orElse(null);
            throw new AssertionError("the NIC's channel " + e.relid() + " ended under traffic: " + e.reason().text()
                    + "; guest NIC: " + guestNic(agent).encode() + "; host NIC: " + host);
        }
    }

    private static JsonObject guestNic(TestAgent agent) throws Exception {
        JsonObject state = (JsonObject) agent.vertx().eventBus().request("vmbus.device.netvsc.state", null)
                .await(10, TimeUnit.SECONDS).body();
        JsonArray nics = state.getJsonArray("nics");
        return nics == null || nics.isEmpty() ? new JsonObject() : nics.getJsonObject(0);
    }
}
