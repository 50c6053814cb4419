package dev.vmbus.example;

import dev.vmbus.bus.Addresses;
import dev.vmbus.bus.DeviceRegistry;
import dev.vmbus.bus.VmbusVerticle;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.sim.SimBus;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The plug-in example from docs/PLUGINS.md, found by ServiceLoader and driven through a simulated channel. */
class PingHandlerTest {
    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    /** A host that offers one ping channel and records what comes back. */
    private static final class PingHost implements HostTransport.ChannelListener {
        final Context context;
        final LinkedBlockingQueue<Packet> replies = new LinkedBlockingQueue<>();
        final CompletableFuture<ChannelDriver> driver = new CompletableFuture<>();

        PingHost(Context context) {
            this.context = context;
        }

        @Override
        public void opened(ChannelLink link) {
            driver.complete(ChannelDriver.host(link, context, 0, replies::add));
        }

        @Override
        public void closed(int relid, String reason) {
        }

        void send(String text, long id) throws Exception {
            ChannelDriver d = driver.get(10, TimeUnit.SECONDS);
            context.runOnContext(v -> d.send(text.getBytes(StandardCharsets.UTF_8), id, PacketType.DATA_INBAND, 0));
        }
    }

    @Test
    void thePluginIsFoundConfiguredAndAnswersOnItsChannel() throws Exception {
        DeviceRegistry registry = DeviceRegistry.load(
                Map.of("ping", new JsonObject().put("enabled", true).put("prefix", "PONG ")), "sim");
        assertTrue(registry.forClass(PingHandler.CLASS_ID).isPresent(), "ServiceLoader did not find the plug-in");

        SimBus bus = new SimBus(vertx, 4096);
        Context hostContext = vertx.getOrCreateContext();
        PingHost host = new PingHost(hostContext);
        List<JsonObject> events = new CopyOnWriteArrayList<>();
        vertx.eventBus().<JsonObject>consumer(Addresses.CHANNELS, m -> events.add(m.body()));
        CompletableFuture<Void> offered = new CompletableFuture<>();
        hostContext.runOnContext(v -> bus.host().start()
                .compose(x -> bus.host().offer(new Offer(40, PingHandler.CLASS_ID, UUID.randomUUID(), 0, 8192), host))
                .onComplete(ar -> offered.complete(null)));
        offered.get(10, TimeUnit.SECONDS);
        vertx.deployVerticle(new VmbusVerticle(bus.guest(), registry)).await(10, TimeUnit.SECONDS);

        host.send("hello", 5);
        Packet reply = host.replies.poll(10, TimeUnit.SECONDS);
        assertNotNull(reply);
        assertEquals("PONG hello", new String(reply.payload(), StandardCharsets.UTF_8).trim());
        assertEquals(5, reply.transactionId());
        JsonObject state = vertx.eventBus().<JsonObject>request("vmbus.device.ping.state", null)
                .await(5, TimeUnit.SECONDS).body();
        assertEquals(1, state.getLong("answered"));

        // A handler failure faults and closes that channel, and says why.
        host.send("crash", 6);
        long deadline = System.currentTimeMillis() + 10_000;
        while (events.stream().noneMatch(e -> "faulted".equals(e.getString("event"))) && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        JsonObject faulted = events.stream().filter(e -> "faulted".equals(e.getString("event"))).findFirst().orElseThrow();
        assertEquals(40, faulted.getInteger("relid"));
        assertTrue(faulted.getString("reason").contains("ping refuses to answer 'crash'"), faulted.encode());
    }

    @Test
    void aBadConfigSectionIsRefusedWithTheKeyNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceRegistry.load(
                Map.of("ping", new JsonObject().put("enabled", true).put("prefx", "x")), "sim"));
        assertEquals("devices.ping: unknown key 'prefx' (ping knows 'prefix')", e.getMessage());
    }
}
