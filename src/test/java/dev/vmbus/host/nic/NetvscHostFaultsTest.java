package dev.vmbus.host.nic;

import dev.vmbus.agent.Agent;
import dev.vmbus.bus.AgentSnapshot;
import dev.vmbus.bus.ChannelEvent;
import dev.vmbus.channel.EndReason;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import dev.vmbus.bus.ChannelView;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.host.SimulatedHostControl;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Each host mistake the simulated NIC's knobs make, against the guest's NIC on sim: the guest ends that NIC's
 * channel with the reason (not the host rescinding it), and its other channels (a heartbeat) and the host go on.
 */
class NetvscHostFaultsTest {
    private Agent agent;
    private Vertx vertx;

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"failInit", "nvspGarbage", "twoReceiveSections", "zeroSectionSize", "rndisGarbage",
            "wrongPageSetId", "rangePastBuffer", "transactionIdPastSlots"})
    void theGuestFailsOnlyItsNic(String knob) throws Exception {
        VmbusConfig config = ConfigLoader.parse(new JsonObject()
                .put("devices", new JsonObject().put("netvsc", new JsonObject().put("enabled", true)))
                .put("dashboard", new JsonObject().put("enabled", false))
                .put("host", new JsonObject().put("heartbeatIntervalMs", 100).put("nic", new JsonObject()
                        .put("enabled", true).put("backend", "loopback")
                        .put("faults", new JsonObject().put(knob, true)))).encode(), "test");
        vertx = Vertx.vertx();
        CompletableFuture<ChannelEvent> ended = new CompletableFuture<>();
        CompletableFuture<ChannelEvent> heartbeatOpened = new CompletableFuture<>();
        List<ChannelEvent> heartbeatEnded = new CopyOnWriteArrayList<>();
        vertx.eventBus().<Object>localConsumer("vmbus.channels", m -> {
            if (m.body() instanceof ChannelEvent e && "netvsc".equals(e.className()) && e.reason() != null) {
                ended.complete(e);
            }
            if (m.body() instanceof ChannelEvent e && e.relid() == 1) {
                if (e.state() == ChannelState.OPEN) {
                    heartbeatOpened.complete(e);
                } else if (e.ended()) {
                    heartbeatEnded.add(e);
                }
            }
        });
        agent = Agent.builder(config).vertx(vertx).start();
        ChannelEvent e = ended.get(15, TimeUnit.SECONDS);
        assertNotEquals(EndReason.Kind.HOST_RESCINDED, e.reason().kind(), knob + ": " + e.reason());
        assertFalse(e.reason().text().isBlank(), knob);
        // The NIC may fail before the heartbeat channel has finished opening (both open at once): wait for it.
        heartbeatOpened.get(15, TimeUnit.SECONDS);
        assertEquals(List.of(), heartbeatEnded, knob + ": the heartbeat channel ended");
        // The agent's listing learns of the open from the same event on its own context: it may answer one request
        // late, so ask until it shows the heartbeat open (bounded); a heartbeat that ended fails at once above/below.
        ChannelView heartbeat = null;
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
             (heartbeat == null || heartbeat.state() != ChannelState.OPEN) && System.nanoTime() < end; ) {
            if (heartbeat != null) {
                Thread.sleep(20);
            }
            AgentSnapshot channels = (AgentSnapshot) agent.vertx().eventBus().request("vmbus.channels.list", null)
                    .await(10, TimeUnit.SECONDS).body();
            heartbeat = channels.channels().stream().filter(c -> c.relid() == 1).findFirst().orElseThrow();
            assertEquals(List.of(), heartbeatEnded, knob + ": the heartbeat channel ended");
        }
        assertEquals(ChannelState.OPEN, heartbeat.state(), knob + ": the heartbeat channel was harmed");
        JsonObject host = new SimulatedHostControl(agent.simulatedHost().orElseThrow()).state()
                .await(10, TimeUnit.SECONDS);
        assertEquals("nic", host.getJsonArray("devices").getJsonObject(6).getString("device"), "the host goes on");
    }
}
