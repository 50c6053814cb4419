package dev.vmbus.device.netvsc;

import dev.vmbus.channel.Packet;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.PerPacketInfo;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.ring.PacketType;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.HostTransport;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Queue;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * vRSS (spec §3.8): with {@code queues} 3 the guest asks for 2 subchannels, opens them, sets the RSS parameters
 * over 3 queues, and receives on every queue, each with its own figures; it sends each flow on the queue the send
 * table names, and a subchannel that ends gives back the sections of the frames it carried.
 */
class NetvscVrssTest {

    @Test
    void subchannelsAreRequestedOpenedAndReceiveFrames() throws Exception {
        try (NicHost host = new NicHost(new JsonObject().put("queues", 3), HostTransport.Buffers.UIO)) {
            assertTrue(host.bringUp(new NetvspAnswers() { }));
            JsonObject nic = host.awaitNic(n -> n.getString("phase").equals("up"), "up");
            assertEquals(List.of(new NvspMessage.SubchannelRequest(Nvsp.SUBCHANNEL_ALLOCATE, 2)),
                    host.sent(NvspMessage.SubchannelRequest.class));
            // the capabilities are asked for with an NDIS object header in the query's information buffer, as
            // Linux's rndis_filter_query_device asks: NDIS_OBJECT_TYPE_RSS_CAPABILITIES, revision 2, 20 bytes
            byte[] capsHeader = new byte[20];
            capsHeader[0] = (byte) 0x88;
            capsHeader[1] = 2;
            capsHeader[2] = 20;
            assertEquals(List.of(new RndisMessage.Query(6, Rndis.OID_GEN_RECEIVE_SCALE_CAPABILITIES, capsHeader)),
                    host.rndisSeen.stream().filter(m -> m instanceof RndisMessage.Query q
                            && q.oid() == Rndis.OID_GEN_RECEIVE_SCALE_CAPABILITIES).toList());
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

            Queue<byte[]> rx = NetvscDataTest.listen(host);
            byte[] f = NetvscDataTest.frame(200, 9);
            long tid = host.deliver(NicHost.RELID + 2, List.of(new RndisMessage.Packet(f, List.of()).encode()),
                    Nvsp.CHANNEL_DATA);
            assertArrayEquals(f, NetvscDataTest.nextFrame(rx));
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

    @Test
    void eachFlowLeavesOnOneQueueAndAnEndedQueueGivesItsSectionsBack() throws Exception {
        try (NicHost host = new NicHost(new JsonObject().put("queues", 3), HostTransport.Buffers.UIO)) {
            assertTrue(host.bringUp(new NetvspAnswers() { }));
            host.awaitNic(n -> n.getString("phase").equals("up") && n.getJsonArray("queues").size() == 3, "3 queues up");
            ChannelBuffer sendBuffer = host.buffer(ChannelBuffer.Kind.SEND);
            // 30 flows (frames differing in their addresses), each sent twice; the host completes none
            int flows = 30;
            for (int round = 0; round < 2; round++) {
                for (int seed = 0; seed < flows; seed++) {
                    host.vertx.eventBus().send(EventBusPort.txAddress("vmbus0"),
                            Buffer.buffer(NetvscDataTest.frame(200, seed)));
                }
            }
            java.util.Map<Integer, List<Integer>> flowsByRelid = new java.util.TreeMap<>();
            int[] relidOfFlow = new int[flows];
            int[] copies = new int[flows];
            for (int got = 0; got < 2 * flows; ) {
                Packet p = host.next();
                if (p.type() != PacketType.DATA_INBAND || !(NicHost.nvsp(p) instanceof NvspMessage.RndisPacket m)
                        || m.channelType() != Nvsp.CHANNEL_DATA) {
                    continue;
                }
                RndisMessage.Packet sent = (RndisMessage.Packet) RndisMessage.decode(sendBuffer.read(
                        (long) m.sectionIndex() * NicHost.SECTION, m.sectionSize()));
                // its flow hash in a HASH_VALUE PPI, as Linux's netvsc_xmit sends it with more than one queue: the
                // host's send table (none sent here: entry i is queue i % 3) maps it to the channel it came on
                assertEquals(1, sent.info().size(), sent.info().toString());
                assertEquals(PerPacketInfo.TYPE_HASH_VALUE, sent.info().getFirst().type());
                int hash = sent.info().getFirst().u32();
                assertEquals(NicHost.RELID + (hash & 15) % 3, p.relid(), "hash 0x" + Integer.toHexString(hash));
                int flow = -1;
                for (int seed = 0; seed < flows; seed++) {
                    if (java.util.Arrays.equals(sent.frame(), NetvscDataTest.frame(200, seed))) {
                        flow = seed;
                    }
                }
                assertTrue(flow >= 0, "a frame nobody sent");
                if (copies[flow]++ == 0) {
                    relidOfFlow[flow] = p.relid();
                } else {
                    assertEquals(relidOfFlow[flow], p.relid(), "flow " + flow + " changed queue");
                }
                flowsByRelid.computeIfAbsent(p.relid(), r -> new java.util.ArrayList<>()).add(flow);
                got++;
            }
            assertTrue(flowsByRelid.size() > 1, "every frame left on one channel: " + flowsByRelid);
            JsonObject nic = host.awaitNic(n -> n.getJsonObject("sendSections").getInteger("inUse") == 2 * flows,
                    "every frame's section in use");
            for (int q = 0; q < 3; q++) {
                JsonObject queue = nic.getJsonArray("queues").getJsonObject(q);
                assertEquals(flowsByRelid.getOrDefault(queue.getInteger("relid"), List.of()).size(),
                        queue.getLong("framesToHost"), "queue " + q + ": " + nic.getJsonArray("queues"));
            }

            // a subchannel that carried frames goes: the host will complete none of them, so their sections are free
            int gone = flowsByRelid.keySet().stream().filter(r -> r != NicHost.RELID).findFirst().orElseThrow();
            int lost = flowsByRelid.get(gone).size();
            host.rescind(gone);
            // the device's state is read off the NIC's context, its figures one after another: wait for both
            host.awaitNic(n -> n.getJsonObject("drops").getLong("queueEnded") == lost
                            && n.getJsonObject("sendSections").getInteger("inUse") == 2 * flows - lost,
                    lost + " frames of the ended queue dropped and their sections free, the other "
                            + (2 * flows - lost) + " still in use");
        }
    }

    /**
     * With more than one queue a tagged frame carries its hash PPI before its VLAN PPI, as Linux's netvsc_xmit puts
     * them; the longest tagged frame a section holds (at the MTU a section allows) has no room for the hash and goes
     * with its VLAN PPI alone.
     */
    @Test
    void aTaggedFrameCarriesItsHashBeforeItsTagUnlessItsSectionHasNoRoomForIt() throws Exception {
        try (NicHost host = new NicHost(new JsonObject().put("queues", 3).put("mtu", 9000), HostTransport.Buffers.UIO)) {
            assertTrue(host.bringUp(new NetvspAnswers() {
                @Override
                public RndisMessage rndis(RndisMessage request) {
                    return request instanceof RndisMessage.Query q && q.oid() == Rndis.OID_GEN_MAXIMUM_FRAME_SIZE
                            ? new RndisMessage.QueryComplete(q.requestId(), Rndis.STATUS_SUCCESS, NetvspAnswers.u32(9000))
                            : NetvspAnswers.standard(request);
                }
            }));
            JsonObject nic = host.awaitNic(n -> n.getString("phase").equals("up") && n.getJsonArray("queues").size() == 3,
                    "3 queues up");
            int longest = nic.getInteger("mtu") + 14 + 4;
            List<List<Integer>> types = new java.util.ArrayList<>();
            for (int length : new int[] {200, longest}) {
                byte[] f = NetvscDataTest.frame(length, 5);
                dev.vmbus.net.Vlan.writeTag(f, dev.vmbus.net.Vlan.AT, 0x2007);
                host.vertx.eventBus().send(EventBusPort.txAddress("vmbus0"), Buffer.buffer(f));
                RndisMessage.Packet sent = nextSent(host);
                assertEquals(length - 4, sent.frame().length, "the tag went out of band");
                types.add(sent.info().stream().map(PerPacketInfo::type).toList());
            }
            assertEquals(List.of(List.of(PerPacketInfo.TYPE_HASH_VALUE, PerPacketInfo.TYPE_VLAN),
                    List.of(PerPacketInfo.TYPE_VLAN)), types);
        }
    }

    /** The next frame the guest sends the host, decoded from its send section. */
    private static RndisMessage.Packet nextSent(NicHost host) throws Exception {
        while (true) {
            Packet p = host.next();
            if (p.type() == PacketType.DATA_INBAND && NicHost.nvsp(p) instanceof NvspMessage.RndisPacket m
                    && m.channelType() == Nvsp.CHANNEL_DATA) {
                return (RndisMessage.Packet) RndisMessage.decode(host.buffer(ChannelBuffer.Kind.SEND)
                        .read((long) m.sectionIndex() * NicHost.SECTION, m.sectionSize()));
            }
        }
    }
}
