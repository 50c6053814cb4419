package dev.vmbus.device;

import dev.vmbus.bus.Addresses;
import dev.vmbus.bus.LocalCodec;
import dev.vmbus.bus.OutboundPacket;
import dev.vmbus.channel.Packet;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcNegotiation;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.ring.PacketType;
import io.vertx.core.Deployable;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * One IC guest verticle on the event bus with no channel under it: the test plays the channel verticle, sending
 * packets to {@code vmbus.device.<name>} and taking the replies, plus the packets a handler sends itself through
 * {@code vmbus.channel.<relid>.send}; replies that ask to hear when they are on the ring are acknowledged, as the
 * channel does once a packet is written.
 */
public final class IcVerticleProbe implements AutoCloseable {
    public static final int RELID = 9;
    public final Vertx vertx = Vertx.vertx();
    private final String name;
    /** Replies sent through the channel's send address, in order. */
    public final LinkedBlockingQueue<OutboundPacket> channelSends = new LinkedBlockingQueue<>();
    /** Run when a channel send arrives, before it is acknowledged. */
    public volatile Runnable onChannelSend = () -> { };

    public IcVerticleProbe(String name, Deployable verticle) throws Exception {
        this.name = name;
        LocalCodec.register(vertx);
        vertx.eventBus().<OutboundPacket>localConsumer(Addresses.channelSend(RELID), m -> {
            channelSends.add(m.body());
            onChannelSend.run();
            m.reply(null);
        });
        vertx.deployVerticle(verticle).await(10, TimeUnit.SECONDS);
    }

    /**
     * Sends a payload as the host would and returns the guest's reply: the handler's direct reply, else one
     * it put on the channel itself, else null (no reply).
     */
    public OutboundPacket send(byte[] payload, long transactionId) throws Exception {
        Packet p = new Packet(RELID, PacketType.DATA_INBAND, 0, transactionId, payload);
        io.vertx.core.eventbus.Message<Object> answer = vertx.eventBus().request(Addresses.device(name), p)
                .await(10, TimeUnit.SECONDS);
        if (answer.body() instanceof OutboundPacket reply) {
            if (answer.replyAddress() != null) { // reply, then act: acknowledge as the channel does once it is on the ring
                channelSends.add(reply);
                onChannelSend.run();
                answer.reply(null);
            }
            return reply;
        }
        return channelSends.poll();
    }

    /** Negotiates as OpenVMM's host would with these service versions; returns the reply. */
    public IcMessage negotiate(List<IcVersion> hostServiceVersions) throws Exception {
        IcMessage request = IcNegotiation.request(List.of(IcVersion.of(1, 0), IcVersion.of(3, 0)), hostServiceVersions);
        return new IcMessage(send(request.bytes(), 0).payload());
    }

    /** The handler's state for the dashboard. */
    public JsonObject state() throws Exception {
        return vertx.eventBus().<JsonObject>request(Addresses.deviceState(name), null).await(10, TimeUnit.SECONDS).body();
    }

    /** Waits (up to 10 s) for the state to satisfy {@code condition}; returns it. */
    public JsonObject awaitState(Predicate<JsonObject> condition, String what) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        JsonObject s = state();
        while (!condition.test(s)) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting for " + what + "; state: " + s.encodePrettily());
            }
            Thread.sleep(10);
            s = state();
        }
        return s;
    }

    /** Pads a payload to a multiple of 8 bytes, as a guest receives it ({@code recvlen}). */
    public static byte[] padded(byte[] payload) {
        return java.util.Arrays.copyOf(payload, (payload.length + 7) & ~7);
    }

    @Override
    public void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }
}
