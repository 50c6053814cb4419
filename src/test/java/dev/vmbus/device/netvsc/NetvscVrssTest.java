package dev.vmbus.device.netvsc;

import dev.vmbus.channel.Packet;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.transport.HostTransport;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * vRSS (spec §3.8): with {@code queues} 3 the guest asks for 2 subchannels, opens them, sets the RSS parameters
 * over 3 queues, and receives on every queue, each with its own figures.
 */
class NetvscVrssTest {

    @Test
    void subchannelsAreRequestedOpenedAndReceiveFrames() throws Exception {
        try (NicHost host = new NicHost(new JsonObject().put("queues", 3), HostTransport.Buffers.UIO)) {
            assertTrue(host.bringUp(new NicHost.Answers() { }));
            JsonObject nic = host.awaitNic(n -> n.getString("phase").equals("up"), "up");
            assertEquals(List.of(new NvspMessage.SubchannelRequest(Nvsp.SUBCHANNEL_ALLOCATE, 2)),
                    host.sent(NvspMessage.SubchannelRequest.class));
            RndisMessage.Set rss = host.rndisSeen.stream().filter(m -> m instanceof RndisMessage.Set s
                    && s.oid() == Rndis.OID_GEN_RECEIVE_SCALE_PARAMETERS).map(RndisMessage.Set.class::cast)
                    .findFirst().orElseThrow();
            ByteBuffer b = ByteBuffer.wrap(rss.info()).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(0x89, Byte.toUnsignedInt(b.get(0)));
            assertEquals(40, b.getShort(20), "a 40-byte Toeplitz key");
            assertEquals(512, b.getShort(12), "128 entries");
            int table = b.getInt(16);
            for (int i = 0; i < 128; i++) {
                assertEquals(i % 3, b.getInt(table + 4 * i), "entry " + i);
            }
            JsonArray queues = nic.getJsonArray("queues");
            assertEquals(3, queues.size());

            LinkedBlockingQueue<byte[]> rx = new LinkedBlockingQueue<>();
            host.vertx.eventBus().<Buffer>localConsumer(EventBusPort.rxAddress("vmbus0"), m -> rx.add(m.body().getBytes()))
                    .completion().await(10, TimeUnit.SECONDS);
            byte[] f = NetvscDataTest.frame(200, 9);
            long tid = host.deliver(NicHost.RELID + 2, List.of(new RndisMessage.Packet(f, List.of()).encode()),
                    Nvsp.CHANNEL_DATA);
            assertArrayEquals(f, rx.poll(10, TimeUnit.SECONDS));
            Packet done;
            do {
                done = host.next();
            } while (!(done.isCompletion() && done.relid() == NicHost.RELID + 2));
            assertEquals(tid, done.transactionId(), "completed on the subchannel it came on");
            JsonObject q2 = host.awaitNic(n -> n.getJsonArray("queues").getJsonObject(2).getLong("framesFromHost") == 1,
                    "a frame on queue 2").getJsonArray("queues").getJsonObject(2);
            assertEquals(2, q2.getInteger("index"));
            assertEquals(NicHost.RELID + 2, q2.getInteger("relid"));
        }
    }
}
