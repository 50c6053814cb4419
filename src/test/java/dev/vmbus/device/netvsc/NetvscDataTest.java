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
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Frames through the NIC both ways on the {@code eventbus} backend: transfer pages from the host to
 * {@code vmbus.netvsc.vmbus0.rx} with their slots completed, and frames published to
 * {@code vmbus.netvsc.vmbus0.tx} through send sections, with back-pressure when the sections run out.
 */
class NetvscDataTest {

    static byte[] frame(int length, int seed) {
        byte[] f = new byte[length];
        for (int i = 0; i < length; i++) {
            f[i] = (byte) (seed * 31 + i);
        }
        return f;
    }

    /** The frames the NIC puts on the event bus from now on, in order. */
    static Queue<byte[]> listen(NicHost host) throws Exception {
        Queue<byte[]> rx = new ConcurrentLinkedQueue<>();
        host.vertx.eventBus().<Buffer>localConsumer(EventBusPort.rxAddress("vmbus0"), m -> rx.add(m.body().getBytes()))
                .completion().await(10, TimeUnit.SECONDS);
        return rx;
    }

    /** The next frame of {@link #listen}'s queue, waiting for it. */
    static byte[] nextFrame(Queue<byte[]> rx) {
        return await("a frame from the NIC on the event bus").atMost(10, TimeUnit.SECONDS)
                .until(rx::poll, Objects::nonNull);
    }

    /** The guest's next packet that is not a receive completion. */
    private static Packet nextSend(NicHost host) {
        while (true) {
            Packet p = host.next();
            if (!p.isCompletion()) {
                return p;
            }
        }
    }

    @Test
    void framesFromTransferPagesReachTheEventBusAndTheirSlotsGoBack() throws Exception {
        try (NicHost host = NicHost.start()) {
            assertTrue(host.bringUp(new NetvspAnswers() { }));
            host.awaitNic(n -> n.getString("phase").equals("up"), "up");
            Queue<byte[]> rx = listen(host);
            host.seen.clear();

            byte[] a = frame(60, 1);
            byte[] b = frame(1514, 2);
            byte[] c = frame(342, 3);
            long tid = host.deliver(List.of(
                    new RndisMessage.Packet(a, List.of()).encode(),
                    new RndisMessage.Packet(b, List.of(PerPacketInfo.u32(PerPacketInfo.TYPE_CHECKSUM,
                            PerPacketInfo.RX_CSUM_IP_OK | PerPacketInfo.RX_CSUM_TCP_OK))).encode(),
                    new RndisMessage.Packet(c, List.of(PerPacketInfo.u32(PerPacketInfo.TYPE_VLAN, 5),
                            PerPacketInfo.u32(PerPacketInfo.TYPE_HASH_VALUE, 0x1234))).encode()),
                    Nvsp.CHANNEL_DATA);
            assertArrayEquals(a, nextFrame(rx));
            assertArrayEquals(b, nextFrame(rx));
            // the VLAN PPI's word 5 is priority 5, VLAN 0: the frame gets the tag back after its addresses
            assertArrayEquals(dev.vmbus.net.VlanTest.tagged(c, 0xA000), nextFrame(rx));

            Packet done = host.next();
            assertEquals(PacketType.COMP, done.type());
            assertEquals(0, done.flags());
            assertEquals(tid, done.transactionId(), "the completion names the host's transaction id");
            assertEquals(new NvspMessage.RndisPacketComplete(Nvsp.STATUS_SUCCESS), NicHost.nvsp(done));

            // a host that claims the whole slot (msg_len = slot size) as netvsp does, the frame at slot offset 256
            byte[] slot = new byte[NicHost.SLOT];
            byte[] d = frame(1000, 4);
            int head = RndisMessage.Packet.writeHeader(java.lang.foreign.MemorySegment.ofArray(slot), 0, d.length,
                    List.of(PerPacketInfo.u32(PerPacketInfo.TYPE_CHECKSUM, 0)));
            java.nio.ByteBuffer v = java.nio.ByteBuffer.wrap(slot).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            v.putInt(4, NicHost.SLOT);
            v.putInt(8, 256 - Rndis.OFFSET_BASE);
            assertTrue(head <= 256);
            System.arraycopy(d, 0, slot, 256, d.length);
            host.deliver(List.of(slot), Nvsp.CHANNEL_DATA);
            assertArrayEquals(d, nextFrame(rx));

            JsonObject nic = host.awaitNic(n -> n.getJsonArray("queues").getJsonObject(0).getLong("framesFromHost") == 4,
                    "4 frames from the host");
            assertEquals(60 + 1514 + 342 + 1000, nic.getJsonArray("queues").getJsonObject(0).getLong("bytesFromHost"));
            assertEquals(new JsonObject().put("fromHost", 1L).put("toHost", 0L), nic.getJsonObject("vlanTagged"));
        }
    }

    /**
     * What an Azure host sends a guest with accelerated networking (NVSP VF_ASSOCIATION), a SWITCH_DATA_PATH (a guest's
     * message, which a host should not send) and an RNDIS KEEPALIVE: Linux's netvsc binds a VF on the first and answers
     * none of them. The NIC serves no VF and answers none: each is counted in {@code ignoredMessages}, nothing is sent
     * back, and frames still flow.
     */
    @Test
    void aVfOfferADataPathSwitchAndAKeepaliveAreTakenAndLeftUnanswered() throws Exception {
        try (NicHost host = NicHost.start()) {
            assertTrue(host.bringUp(new NetvspAnswers() { }));
            host.awaitNic(n -> n.getString("phase").equals("up"), "up");
            Queue<byte[]> rx = listen(host);
            host.seen.clear();
            host.send(new NvspMessage.VfAssociation(1, 0x1234).encode(), 0, PacketType.DATA_INBAND, 0, null);
            host.send(new NvspMessage.SwitchDataPath(1).encode(), 0, PacketType.DATA_INBAND, 0, null);
            host.deliver(List.of(new RndisMessage.KeepAlive(9).encode()), Nvsp.CHANNEL_CONTROL);
            byte[] f = frame(100, 8);
            host.deliver(List.of(new RndisMessage.Packet(f, List.of()).encode()), Nvsp.CHANNEL_DATA);
            assertArrayEquals(f, nextFrame(rx), "a frame after them");
            host.settle();
            JsonObject nic = host.awaitNic(n -> n.getLong("ignoredMessages") == 3, "three messages ignored");
            assertEquals("up", nic.getString("phase"));
            assertTrue(host.seen.stream().allMatch(Packet::isCompletion), "the NIC answered: " + host.seen);
        }
    }

    /**
     * A host in a VLAN trunk, as Hyper-V's switch and OpenVMM's netvsp: the 802.1Q tag never inline, always in a VLAN
     * PPI. A tagged frame from the host reaches the backend with its tag after its addresses (priority and
     * drop-eligible kept); a tagged frame from the backend leaves without it, the tag in the PPI; an undersized VLAN
     * PPI is passed over, as Linux's {@code rndis_get_ppi} does.
     */
    @Test
    void aTrunksTagsCrossOutOfBandBothWays() throws Exception {
        try (NicHost host = NicHost.start()) {
            assertTrue(host.bringUp(new NetvspAnswers() { }));
            host.awaitNic(n -> n.getString("phase").equals("up"), "up");
            Queue<byte[]> rx = listen(host);
            byte[] plain = frame(1514, 5);
            plain[12] = (byte) 0x86;
            plain[13] = (byte) 0xdd;
            int tci = 1 << 13 | 0x1000 | 100; // priority 1, drop-eligible, VLAN 100
            host.deliver(List.of(
                    new RndisMessage.Packet(plain, List.of(PerPacketInfo.u32(PerPacketInfo.TYPE_CHECKSUM, 0),
                            PerPacketInfo.u32(PerPacketInfo.TYPE_VLAN, dev.vmbus.net.Vlan.ndisInfo(tci)))).encode(),
                    new RndisMessage.Packet(plain, List.of(new PerPacketInfo(PerPacketInfo.TYPE_VLAN, new byte[0])))
                            .encode()),
                    Nvsp.CHANNEL_DATA);
            byte[] tagged = dev.vmbus.net.VlanTest.tagged(plain, tci);
            assertEquals(1518, tagged.length, "the longest frame of MTU 1500, tag included");
            assertArrayEquals(tagged, nextFrame(rx));
            assertArrayEquals(plain, nextFrame(rx), "an empty VLAN PPI names no tag");

            ChannelBuffer sendBuffer = host.buffer(ChannelBuffer.Kind.SEND);
            host.seen.clear();
            host.vertx.eventBus().send(EventBusPort.txAddress("vmbus0"), Buffer.buffer(tagged));
            Packet p = nextSend(host);
            NvspMessage.RndisPacket m = assertInstanceOf(NvspMessage.RndisPacket.class, NicHost.nvsp(p));
            RndisMessage sent = RndisMessage.decode(sendBuffer.read((long) m.sectionIndex() * NicHost.SECTION,
                    m.sectionSize()));
            assertEquals(new RndisMessage.Packet(plain, List.of(PerPacketInfo.u32(PerPacketInfo.TYPE_VLAN,
                    dev.vmbus.net.Vlan.ndisInfo(tci)))), sent);
            JsonObject nic = host.awaitNic(n -> n.getJsonObject("vlanTagged").getLong("toHost") == 1, "a tag sent");
            assertEquals(1514, nic.getJsonArray("queues").getJsonObject(0).getLong("bytesToHost"),
                    "the bytes on the wire, without the tag");
            assertEquals(1, nic.getJsonObject("vlanTagged").getLong("fromHost"));
        }
    }

    @Test
    void framesFromTheEventBusGoThroughSendSections() throws Exception {
        try (NicHost host = NicHost.start()) {
            assertTrue(host.bringUp(new NetvspAnswers() { }));
            host.awaitNic(n -> n.getString("phase").equals("up"), "up");
            ChannelBuffer sendBuffer = host.buffer(ChannelBuffer.Kind.SEND);

            byte[] f = frame(1514, 7);
            host.vertx.eventBus().send(EventBusPort.txAddress("vmbus0"), Buffer.buffer(f));
            Packet p = nextSend(host);
            assertEquals(PacketType.DATA_INBAND, p.type());
            assertEquals(1, p.flags(), "a data send asks for a completion");
            NvspMessage.RndisPacket m = assertInstanceOf(NvspMessage.RndisPacket.class, NicHost.nvsp(p));
            assertEquals(Nvsp.CHANNEL_DATA, m.channelType());
            assertEquals(Rndis.PACKET_HEADER_SIZE + f.length, m.sectionSize());
            RndisMessage sent = RndisMessage.decode(sendBuffer.read((long) m.sectionIndex() * NicHost.SECTION,
                    m.sectionSize()));
            assertEquals(new RndisMessage.Packet(f, List.of()), sent);
            assertEquals(1, host.nic().getJsonObject("sendSections").getInteger("inUse"));

            host.complete(p.transactionId(), new NvspMessage.RndisPacketComplete(Nvsp.STATUS_SUCCESS));
            JsonObject nic = host.awaitNic(n -> n.getJsonObject("sendSections").getInteger("inUse") == 0,
                    "the section back");
            assertEquals(1, nic.getJsonArray("queues").getJsonObject(0).getLong("framesToHost"));
            assertEquals(1514, nic.getJsonArray("queues").getJsonObject(0).getLong("bytesToHost"));

            // too long for a section: dropped and counted, nothing sent
            host.vertx.eventBus().send(EventBusPort.txAddress("vmbus0"), Buffer.buffer(frame(1518 + 1, 8)));
            assertEquals(1, host.awaitNic(n -> n.getJsonObject("port").getLong("dropsTooLong") == 1, "a drop")
                    .getJsonObject("port").getLong("dropsTooLong"));
        }
    }

    @Test
    void aSenderThatAsksIsToldTheFrameWasTakenOrWhyNot() throws Exception {
        try (NicHost host = NicHost.start()) {
            assertTrue(host.bringUp(new NetvspAnswers() { }));
            host.awaitNic(n -> n.getString("phase").equals("up"), "up");
            String tx = EventBusPort.txAddress("vmbus0");
            var bus = host.vertx.eventBus();

            assertNull(bus.request(tx, Buffer.buffer(frame(60, 1))).await(10, TimeUnit.SECONDS).body());
            assertInstanceOf(NvspMessage.RndisPacket.class, NicHost.nvsp(nextSend(host)), "the frame went out");

            String range = " bytes is outside 14..1514 bytes (an Ethernet header to the NIC's largest frame; 1518 with an"
                    + " 802.1Q tag)";
            ReplyException tooLong = refusal(bus.request(tx, Buffer.buffer(frame(1518 + 1, 2))));
            assertEquals("a frame of 1519" + range, tooLong.getMessage());
            assertEquals(EventBusPort.REFUSED, tooLong.failureCode());
            assertEquals("a frame of 13" + range, refusal(bus.request(tx, Buffer.buffer(frame(13, 3)))).getMessage());
            // an untagged frame past the MTU's is refused; the same length with a tag is the MTU's frame and goes
            assertEquals("a frame of 1515" + range, refusal(bus.request(tx, Buffer.buffer(frame(1515, 5)))).getMessage());
            byte[] tagged = dev.vmbus.net.VlanTest.tagged(frame(1514, 6), 100);
            assertNull(bus.request(tx, Buffer.buffer(tagged)).await(10, TimeUnit.SECONDS).body());
            assertInstanceOf(NvspMessage.RndisPacket.class, NicHost.nvsp(nextSend(host)), "the tagged frame went out");
            assertEquals("a frame for vmbus.netvsc.vmbus0.tx is a Buffer, not java.lang.String",
                    refusal(bus.request(tx, "not a frame")).getMessage());

            // a plain send of a wrong body is dropped too, and only wrong lengths count as dropsTooLong
            bus.send(tx, new JsonObject());
            bus.send(tx, Buffer.buffer(frame(61, 4)));
            assertInstanceOf(NvspMessage.RndisPacket.class, NicHost.nvsp(nextSend(host)), "the next frame went out");
            JsonObject port = host.awaitNic(n -> n.getJsonObject("port").getLong("framesIn") == 3, "three frames in")
                    .getJsonObject("port");
            assertEquals(3, port.getLong("dropsTooLong"));
        }
    }

    private static ReplyException refusal(io.vertx.core.Future<?> reply) {
        return assertThrows(ReplyException.class, () -> reply.await(10, TimeUnit.SECONDS));
    }

    @Test
    void noFreeSectionPausesTheBackendUntilTheHostCompletes() throws Exception {
        // 8 pages of send buffer: 5 sections of 6144 bytes
        try (NicHost host = new NicHost(new JsonObject(), new HostTransport.Buffers(31L << 20, 8 * 4096))) {
            assertTrue(host.bringUp(new NetvspAnswers() { }));
            host.awaitNic(n -> n.getString("phase").equals("up"), "up");
            ChannelBuffer sendBuffer = host.buffer(ChannelBuffer.Kind.SEND);
            for (int i = 0; i < 9; i++) {
                host.vertx.eventBus().send(EventBusPort.txAddress("vmbus0"), Buffer.buffer(frame(100 + i, i)));
            }
            List<Packet> first = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                first.add(nextSend(host));
            }
            // The sixth frame finds no section: it waits in the NIC and the backend is paused. Frames the event bus
            // had not yet handed over stay in the paused backend's consumer, so how many wait in the NIC (1 to 4)
            // depends on timing; the loop below checks that all nine go out, in order, as sections come back.
            JsonObject nic = host.awaitNic(n -> n.getJsonObject("sendSections").getInteger("inUse") == 5
                    && n.getJsonObject("sendSections").getInteger("framesWaiting") >= 1, "frames waiting");
            assertEquals(5, nic.getJsonObject("sendSections").getInteger("count"));
            long taken = nic.getJsonObject("port").getLong("framesIn");
            assertTrue(nic.getJsonObject("sendSections").getInteger("framesWaiting") <= taken - 5,
                    "no more frames wait than the backend handed over beyond the 5 sections: " + nic);

            // A section's frames are read before it is completed (the guest reuses it after that).
            List<byte[]> got = new ArrayList<>();
            List<Packet> outstanding = new ArrayList<>(first);
            for (Packet p : first) {
                got.addAll(NetvscBurstTest.framesIn(host, p));
            }
            while (got.size() < 9) {
                Packet p = outstanding.removeFirst();
                host.complete(p.transactionId(), new NvspMessage.RndisPacketComplete(Nvsp.STATUS_SUCCESS));
                Packet next = nextSend(host); // the freed section carries the frames that waited, together
                got.addAll(NetvscBurstTest.framesIn(host, next));
                outstanding.add(next);
            }
            for (Packet p : outstanding) {
                host.complete(p.transactionId(), new NvspMessage.RndisPacketComplete(Nvsp.STATUS_SUCCESS));
            }
            assertEquals(9, got.size());
            for (int i = 0; i < 9; i++) {
                assertArrayEquals(frame(100 + i, i), got.get(i), "frame " + i + " in order");
            }
            nic = host.awaitNic(n -> n.getJsonObject("sendSections").getInteger("inUse") == 0, "all sections back");
            assertEquals(0, nic.getJsonObject("sendSections").getInteger("framesWaiting"));
            assertNotNull(nic.getJsonObject("drops"));
            assertEquals(0, nic.getJsonObject("drops").getLong("noSendSection"));
        }
    }
}
