package dev.vmbus.device;

import dev.vmbus.bus.Addresses;
import dev.vmbus.bus.LocalCodec;
import dev.vmbus.bus.OutboundPacket;
import dev.vmbus.channel.Packet;
import dev.vmbus.ring.PacketType;
import io.vertx.core.Deployable;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;

import java.util.concurrent.TimeUnit;

/** One guest IC handler deployed alone; packets go to it over the event bus exactly as a channel sends them. */
public final class IcGuestHarness implements AutoCloseable {
    public final Vertx vertx = Vertx.vertx();
    private final String device;

    public IcGuestHarness(String device, Deployable verticle) throws Exception {
        this.device = device;
        LocalCodec.register(vertx);
        vertx.deployVerticle(verticle).await(10, TimeUnit.SECONDS);
    }

    /** Sends {@code payload} as a received packet; returns the reply payload, or null when the handler sent none. */
    public byte[] exchange(byte[] payload) throws Exception {
        Packet p = new Packet(3, PacketType.DATA_INBAND, 0, 77, payload.clone());
        Message<Object> m = vertx.eventBus().request(Addresses.device(device), p).await(10, TimeUnit.SECONDS);
        if (m.body() == null) {
            return null;
        }
        OutboundPacket out = (OutboundPacket) m.body();
        if (out.transactionId() != 77 || out.flags() != 0 || out.type() != PacketType.DATA_INBAND) {
            throw new AssertionError("reply must echo the transaction id, in-band, flags 0: " + out);
        }
        return out.payload();
    }

    /** Copies {@code request} into the reply Linux would send: flags 0x05 and the given status. */
    public static byte[] expectedReply(byte[] request, int status) {
        byte[] r = request.clone();
        r[20] = (byte) status;
        r[21] = (byte) (status >>> 8);
        r[22] = (byte) (status >>> 16);
        r[23] = (byte) (status >>> 24);
        r[25] = 0x05;
        return r;
    }

    @Override
    public void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }
}
