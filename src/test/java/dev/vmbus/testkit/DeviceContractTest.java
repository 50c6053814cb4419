package dev.vmbus.testkit;

import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.spi.Reply;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.Packet;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The device SPI's contract on a real sim channel (docs/PLUGIN-SPI.md, "The contract"): settings parsed once, the
 * three kinds of reply, an action after the reply on the device's context or skipped and counted when the reply
 * never reaches the ring, failures that fault only their channel, state served, channel ends reported.
 */
public class DeviceContractTest {
    static final UUID CLASS_ID = UUID.fromString("a1b2c3d4-0000-4000-8000-00000000beef");

    /** {@code devices.scripted}: {@code tag}. Counts how often it parses, and keeps the device it made. */
    static final class Scripted implements DevicePlugin<String> {
        final AtomicInteger parsed = new AtomicInteger();
        volatile Script device;

        @Override
        public String name() {
            return "scripted";
        }

        @Override
        public List<UUID> classIds() {
            return List.of(CLASS_ID);
        }

        @Override
        public String settings(DeviceContext context) {
            parsed.incrementAndGet();
            return context.config().getString("tag", "none");
        }

        @Override
        public Device device(String tag, DeviceContext context) {
            device = new Script(tag);
            return device;
        }
    }

    /** Answers by the packet's text: "none", "fail", "throw", "null", "hold" (answered later), else echoed. */
    static final class Script implements Device {
        final String tag;
        final List<Integer> ended = new CopyOnWriteArrayList<>();
        final AtomicInteger actions = new AtomicInteger();
        volatile Thread thread;
        volatile Thread actionThread;
        volatile Promise<Reply> held;
        volatile Packet heldPacket;

        Script(String tag) {
            this.tag = tag;
        }

        @Override
        public Future<?> start(Vertx vertx) {
            thread = Thread.currentThread(); // the device's event loop
            return Future.succeededFuture();
        }

        @Override
        public Future<Reply> handle(Packet packet) {
            String text = Packets.text(packet);
            return switch (text) {
                case "none" -> Future.succeededFuture(Reply.none());
                case "fail" -> Future.failedFuture("refused '" + text + "'");
                case "throw" -> throw new IllegalStateException("thrown for '" + text + "'");
                case "null" -> Future.succeededFuture(null);
                case "hold" -> {
                    heldPacket = packet;
                    held = Promise.promise();
                    yield held.future();
                }
                case "act" -> Future.succeededFuture(Reply.response(packet, Packets.text(tag + " acted")).then(this::act));
                default -> Future.succeededFuture(Reply.response(packet, Packets.text(tag + " " + text)));
            };
        }

        private void act() {
            actionThread = Thread.currentThread();
            actions.incrementAndGet();
        }

        @Override
        public JsonObject state() {
            return new JsonObject().put("tag", tag).put("actions", actions.get());
        }

        @Override
        public void channelEnded(int relid) {
            ended.add(relid);
        }
    }

    private static TestAgent agent(Scripted handler) {
        return TestAgent.start(List.of(handler), Map.of("scripted", new JsonObject().put("tag", "T")));
    }

    @Test
    void settingsAreParsedOnceAndEachReplyKindLandsAsSaid() throws Exception {
        Scripted handler = new Scripted();
        try (TestAgent agent = agent(handler)) {
            assertEquals(1, handler.parsed.get(), "the registry parses the section once; the agent reuses it");
            ScriptedHost.Channel channel = agent.open(7, CLASS_ID);
            channel.send("none", 1).send("hello", 2);
            Packet reply = channel.awaitPacket();
            assertEquals("T hello", Packets.text(reply), "'none' put nothing on the ring");
            assertEquals(2, reply.transactionId());

            Packet acted = channel.exchange(Packets.text("act"), 3);
            assertEquals("T acted", Packets.text(acted));
            JsonObject state = agent.awaitState("scripted", s -> s.getInteger("actions") == 1, "the action to run");
            assertSame(handler.device.thread, handler.device.actionThread, "the action runs on the device's event loop");
            assertEquals(0, state.getInteger("actionsSkipped"));
            assertEquals("T", state.getString("tag"));
        }
    }

    @Test
    void anActionWhoseReplyNeverReachedTheRingIsSkippedAndCounted() throws Exception {
        Scripted handler = new Scripted();
        try (TestAgent agent = agent(handler)) {
            ScriptedHost.Channel channel = agent.open(8, CLASS_ID);
            channel.send("hold", 1);
            agent.awaitState("scripted", s -> handler.device.held != null, "the device to hold the packet");
            agent.host().rescind(8);
            agent.awaitEvent(ChannelState.RESCINDED, 8);
            Script device = handler.device;
            agent.vertx().runOnContext(v -> device.held.complete(
                    Reply.response(device.heldPacket, Packets.text("too late")).then(device::act)));
            JsonObject state = agent.awaitState("scripted", s -> s.getInteger("actionsSkipped") == 1, "the skip");
            assertEquals(0, state.getInteger("actions"), "the host never heard the reply: nothing may be done");
            assertEquals(List.of(8), device.ended, "the device heard that its channel ended");
        }
    }

    @Test
    void aFailureFaultsOnlyItsChannelWithItsMessage() throws Exception {
        Scripted handler = new Scripted();
        try (TestAgent agent = agent(handler)) {
            ScriptedHost.Channel healthy = agent.open(10, CLASS_ID);
            String[] bad = {"fail", "throw", "null"};
            String[] reasons = {"refused 'fail'", "thrown for 'throw'", "instead of Reply.none()"};
            for (int i = 0; i < bad.length; i++) {
                int relid = 11 + i;
                agent.open(relid, CLASS_ID).send(bad[i], 1);
                String reason = agent.awaitEvent(ChannelState.FAULTED, relid).reason().text();
                assertTrue(reason.contains(reasons[i]), reason);
                agent.awaitState("scripted", s -> handler.device.ended.contains(relid), "channel " + relid + " to end");
            }
            assertEquals("T still here", healthy.exchange("still here", 4));
            assertEquals(5, healthy.exchange(Packets.text("again"), 5).transactionId(), "one reply per packet, in order");
        }
    }
}
