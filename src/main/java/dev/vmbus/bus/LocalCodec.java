package dev.vmbus.bus;

import dev.vmbus.spi.OutboundPacket;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Passes an object through the event bus by reference: one packet is copied out of shared memory once and
 * never again. Local only; anything that leaves the JVM uses the JSON form ({@link PacketJson}). Lifecycle events
 * have a subclass ({@link ChannelEventCodec}): by reference locally, JSON across a cluster.
 */
public class LocalCodec<T> implements MessageCodec<T, T> {
    /** The codec any local object may be sent with, by reference: {@code new DeliveryOptions().setCodecName(ANY)}. */
    public static final String ANY = "vmbus-local-object";

    private final String name;

    /** A codec named {@code name}; a subclass that also crosses a cluster overrides the two wire methods. */
    LocalCodec(String name) {
        this.name = name;
    }

    /** Registers the local codecs for this project's message types, once per Vert.x instance. */
    public static synchronized void register(Vertx vertx) {
        try {
            vertx.eventBus().registerDefaultCodec(dev.vmbus.channel.Packet.class, new LocalCodec<>("vmbus-packet"));
            vertx.eventBus().registerDefaultCodec(OutboundPacket.class, new LocalCodec<>("vmbus-outbound-packet"));
            vertx.eventBus().registerDefaultCodec(AgentSnapshot.class, new LocalCodec<>("vmbus-agent-snapshot"));
            vertx.eventBus().registerDefaultCodec(ChannelView.class, new LocalCodec<>("vmbus-channel-view"));
            vertx.eventBus().registerCodec(new LocalCodec<>(ANY));
        } catch (IllegalStateException alreadyRegistered) {
            // a second agent in the same Vert.x (tests): the codecs are the same
        }
        try {
            vertx.eventBus().registerDefaultCodec(ChannelEvent.class, new ChannelEventCodec());
        } catch (IllegalStateException alreadyRegistered) {
            // a second agent in the same Vert.x (tests): the codecs are the same
        }
    }

    @Override
    public void encodeToWire(Buffer buffer, T t) {
        throw new UnsupportedOperationException(name + " is local only; send the JSON form across the cluster");
    }

    @Override
    public T decodeFromWire(int pos, Buffer buffer) {
        throw new UnsupportedOperationException(name + " is local only");
    }

    @Override
    public T transform(T t) {
        return t;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public byte systemCodecID() {
        return -1;
    }
}
