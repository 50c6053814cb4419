package dev.vmbus.transport.uio;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.agent.Agent;
import dev.vmbus.channel.Offer;
import dev.vmbus.dashboard.Exposition;
import dev.vmbus.device.heartbeat.HeartbeatHandler;
import dev.vmbus.host.HeartbeatHostDevice;
import dev.vmbus.os.PageSize;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Item 11: the kernel's per-channel sysfs attributes reach the dashboard's channel JSON and {@code /metrics},
 * labelled as the kernel's and beside the agent's own counters, with the whole agent running on the uio transport
 * of a fixture tree.
 */
class KernelCountersOnDashboardTest extends UioAgentTest {
    static final long PAGE = PageSize.system();
    static final UUID INSTANCE = UUID.fromString("fd149e91-82e0-4a7d-afa6-2a4166cbd7c0");


    @Test
    void item11_theKernelsChannelCountersAreShownAsTheKernelsBesideTheAgents() throws Exception {
        SysfsFixture fixture = new SysfsFixture(tmp);
        int relid = 11;
        Path dev = fixture.device(INSTANCE.toString(), "{57164F39-9115-4E78-AB55-382F3BD5422D}\n", "{" + INSTANCE + "}\n",
                relid, "uio2", 8 * PAGE);
        // what vmbus_chan_attrs shows for an unmonitored channel (no pending, latency or monitor_id)
        Map<String, String> kernel = Map.of("interrupts", "4242", "events", "17", "in_mask", "0", "out_mask", "1",
                "read_avail", "0", "write_avail", "16312", "cpu", "1", "intr_in_full", "0", "intr_out_empty", "3",
                "out_full_first", "0");
        for (var e : kernel.entrySet()) {
            SysfsFixture.write(dev.resolve("channels/" + relid + "/" + e.getKey()), e.getValue() + "\n");
        }
        SysfsFixture.write(dev.resolve("channels/" + relid + "/out_full_total"), "not a number\n");

        hostVertx = Vertx.vertx();
        Context hostContext = hostVertx.getOrCreateContext();
        Offer offer = new Offer(relid, DeviceClass.HEARTBEAT.classId(), INSTANCE, 0, (int) (4 * PAGE));
        HeartbeatHostDevice host = new HeartbeatHostDevice(hostContext, offer, 50);
        FixtureNodes nodes = new FixtureNodes(fixture, true, (device, pair) -> {
            try {
                FixtureHostLink link = new FixtureHostLink(offer, device.device().dir().resolve("channels/" + relid + "/ring"),
                        (int) PAGE, pair, hostContext);
                hostContext.runOnContext(v -> host.opened(link));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        agent = Agent.builder(UioHeartbeatEndToEndTest.config(tmp, new JsonObject().put("port", 0).put("updateIntervalMs", 200)))
                .handlers(List.of(new HeartbeatHandler())).uioNodes(nodes).start();
        await().atMost(10, TimeUnit.SECONDS).until(() -> host.replies() >= 3);

        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + agent.dashboardPort();
        JsonObject channel = new JsonArray(http.send(HttpRequest.newBuilder(URI.create(base + "/api/channels")).build(),
                HttpResponse.BodyHandlers.ofString()).body()).getJsonObject(0);
        JsonObject k = channel.getJsonObject("kernel");
        assertEquals(4242L, k.getLong("interrupts"));
        assertEquals(17L, k.getLong("events"));
        assertEquals(1L, k.getLong("out_mask"));
        assertEquals(16312L, k.getLong("write_avail"));
        assertFalse(k.containsKey("out_full_total"), "an unreadable value is left out");
        assertFalse(k.containsKey("latency"), "hidden for an unmonitored channel");
        long agentInterrupts = channel.getJsonObject("stats").getLong("interrupts");
        assertTrue(agentInterrupts >= 1 && agentInterrupts != 4242, "the agent's own count stays its own: " + agentInterrupts);

        String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertEquals(4242.0, Exposition.value(metrics, "vmbus_kernel_channel_interrupts_total", "relid", "11", "class", "heartbeat"), metrics);
        assertEquals(17.0, Exposition.value(metrics, "vmbus_kernel_channel_events_total", "relid", "11", "class", "heartbeat"), metrics);
        assertEquals(1.0, Exposition.value(metrics, "vmbus_kernel_channel_interrupt_mask", "relid", "11", "class", "heartbeat",
                "ring", "outbound"), metrics);
        assertEquals(16312.0, Exposition.value(metrics, "vmbus_kernel_channel_write_avail_bytes", "relid", "11", "class", "heartbeat"), metrics);
        assertNotNull(Exposition.value(metrics, "vmbus_channel_interrupts_total", "relid", "11", "class", "heartbeat"), metrics);
        assertTrue(metrics.contains("# HELP vmbus_channel_interrupts_total Signals received from the host, counted by the agent."),
                metrics);
        assertTrue(metrics.contains("# HELP vmbus_kernel_channel_interrupts_total The kernel's count"), metrics);
    }

    @Test
    void theReaderFollowsWhatTheKernelShowsPerGeneration() throws Exception {
        KernelFixtures tree = KernelFixtures.create(tmp.resolve("k"), KernelFixtures.Generation.V6_16);
        Map<Integer, Map<String, Long>> all = KernelChannelCounters.read(tree.sys());
        Map<String, Long> hb = all.get(tree.dev("heartbeat").relid());
        assertEquals(140L, hb.get("interrupts"));
        assertFalse(hb.containsKey("pending") || hb.containsKey("latency"), hb.toString());
        Map<String, Long> net = all.get(tree.dev("netvsc").relid());
        assertTrue(net.containsKey("pending") && net.containsKey("latency"), net.toString());
        assertTrue(all.containsKey(tree.dev("netvsc").relid() + 100), "the subchannel has its own directory");
        assertEquals(Map.of(), KernelChannelCounters.read(tmp.resolve("nothing")));
    }
}
