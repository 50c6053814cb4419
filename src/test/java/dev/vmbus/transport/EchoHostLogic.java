package dev.vmbus.transport;

import dev.vmbus.channel.Packet;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.ring.PacketType;
import io.vertx.core.Context;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;

/**
 * Host logic for transport tests: echoes every packet back with its transaction id, and answers
 * {@code stream:N} with N packets whose payload is {@link #streamPayload(int)}.
 */
public final class EchoHostLogic implements HostTransport.ChannelListener {
    private final Context context;
    public final Map<Integer, ChannelDriver> drivers = new ConcurrentHashMap<>();

    public EchoHostLogic(Context context) {
        this.context = context;
    }

    @Override
    public void opened(ChannelLink link) {
        ChannelDriver[] self = new ChannelDriver[1];
        self[0] = ChannelDriver.host(link, context, 0, packet -> onPacket(self[0], packet));
        drivers.put(link.offer().relid(), self[0]);
    }

    private void onPacket(ChannelDriver driver, Packet packet) {
        String text = new String(packet.payload(), StandardCharsets.US_ASCII);
        if (text.startsWith("stream:")) {
            PacedSends.send(context, driver, 0, Integer.parseInt(text.substring(7).trim()),
                    seq -> streamPayload((int) seq), seq -> seq + 1);
            return;
        }
        driver.send(packet.payload(), packet.transactionId(), PacketType.DATA_INBAND, 0);
    }

    @Override
    public void closed(int relid, dev.vmbus.channel.EndReason reason) {
        drivers.remove(relid);
    }

    /** 12 bytes: sequence number, its complement, and a length-varying tail marker. */
    public static byte[] streamPayload(int seq) {
        return ByteBuffer.allocate(8 + (seq % 5) * 8).order(ByteOrder.LITTLE_ENDIAN).putInt(seq).putInt(~seq).array();
    }

    /** The sequence number in a stream payload, or -1 if the payload is not one. */
    public static int streamSequence(byte[] payload) {
        if (payload.length < 8) {
            return -1;
        }
        ByteBuffer b = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        int seq = b.getInt();
        return b.getInt() == ~seq ? seq : -1;
    }
}
