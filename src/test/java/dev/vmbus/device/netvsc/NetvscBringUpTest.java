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
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The guest's NVSP and RNDIS bring-up against a scripted host over {@code sim}, byte by byte: what it sends, in
 * which order, with which flags and ranges, and what it makes of the answers (spec §3.2).
 */
class NetvscBringUpTest {

    @Test
    void bringsTheNicUpAsLinuxDoes() throws Exception {
        try (NicHost host = NicHost.start()) {
            assertTrue(host.bringUp(new NetvspAnswers() { }));
            JsonObject nic = host.awaitNic(n -> n.getString("phase").equals("up"), "up");

            Packet init = host.seen.getFirst();
            assertEquals(PacketType.DATA_INBAND, init.type());
            assertEquals(1, init.flags(), "INIT asks for a completion");
            assertEquals(Nvsp.MESSAGE_SIZE_V61, init.payload().length);
            assertEquals(new NvspMessage.Init(Nvsp.VERSION_61, Nvsp.VERSION_61), NicHost.nvsp(init));

            Packet config = host.seen.get(1);
            assertEquals(0, config.flags(), "NDIS config wants no answer");
            assertEquals(new NvspMessage.NdisConfig(1514, Nvsp.CAP_IEEE8021Q), NicHost.nvsp(config));
            assertEquals(new NvspMessage.NdisVersion(6, 30), NicHost.nvsp(host.seen.get(2)));
            Packet recv = host.seen.get(3);
            assertEquals(1, recv.flags());
            assertEquals(new NvspMessage.SendReceiveBuffer(host.buffer(ChannelBuffer.Kind.RECEIVE).gpadl(), 0xCAFE),
                    NicHost.nvsp(recv));
            assertEquals(new NvspMessage.SendSendBuffer(host.buffer(ChannelBuffer.Kind.SEND).gpadl(), 0xFACE),
                    NicHost.nvsp(host.seen.get(4)));

            // RNDIS control messages: GPA-direct, completion requested, NVSP 107 on the control channel, no section
            List<Packet> control = host.seen.stream().filter(p -> p.type() == PacketType.DATA_USING_GPA_DIRECT).toList();
            assertEquals(6, control.size());
            for (Packet p : control) {
                assertEquals(1, p.flags());
                assertEquals(new NvspMessage.RndisPacket(Nvsp.CHANNEL_CONTROL, Nvsp.NO_SECTION, 0), NicHost.nvsp(p));
                assertEquals(1, p.gpaRanges().count());
            }
            List<RndisMessage> r = host.rndisSeen;
            assertEquals(new RndisMessage.InitializeRequest(1, 1, 0, 0x4000), r.get(0));
            assertEquals(new RndisMessage.Set(2, Rndis.OID_GEN_CURRENT_PACKET_FILTER, NetvspAnswers.u32(0)), r.get(1));
            assertEquals(new RndisMessage.Query(3, Rndis.OID_GEN_MAXIMUM_FRAME_SIZE, new byte[0]), r.get(2));
            assertEquals(new RndisMessage.Query(4, Rndis.OID_802_3_PERMANENT_ADDRESS, new byte[0]), r.get(3));
            assertEquals(new RndisMessage.Query(5, Rndis.OID_GEN_MEDIA_CONNECT_STATUS, new byte[0]), r.get(4));
            assertEquals(new RndisMessage.Set(6, Rndis.OID_GEN_CURRENT_PACKET_FILTER, NetvspAnswers.u32(
                    Rndis.FILTER_DIRECTED | Rndis.FILTER_BROADCAST | Rndis.FILTER_ALL_MULTICAST)), r.get(5));
            // the guest returned every control response's receive slot: one completion per transfer-page packet
            while (host.seen.stream().filter(Packet::isCompletion).count() < 6) {
                host.next();
            }
            List<Packet> completions = host.seen.stream().filter(Packet::isCompletion).toList();
            assertEquals(6, completions.size());
            for (Packet c : completions) {
                assertEquals(new NvspMessage.RndisPacketComplete(Nvsp.STATUS_SUCCESS), NicHost.nvsp(c));
            }

            assertEquals("00:15:5d:01:02:03", nic.getString("mac"));
            assertEquals(1500, nic.getInteger("mtu"));
            assertEquals("6.1", nic.getString("nvspVersion"));
            assertEquals("6.30", nic.getString("ndisVersion"));
            assertEquals("up", nic.getString("link"));
            assertEquals(32505856 / NicHost.SLOT, nic.getJsonObject("receiveSlots").getInteger("count"));
            assertEquals(16777216 / NicHost.SECTION, nic.getJsonObject("sendSections").getInteger("count"));
            assertEquals(8, nic.getJsonObject("rndis").getInteger("packetAlignment"));
        }
    }

    /** A host that accepts NVSP {@code version} only (as min = max) and answers any other with {@code refusal}. */
    private static NetvspAnswers acceptingOnly(int version, int refusal) {
        return new NetvspAnswers() {
            @Override
            public NvspMessage init(NvspMessage.Init m) {
                return new NvspMessage.InitComplete(0xFFFFFFFF, 34,
                        m.minVersion() == version && m.maxVersion() == version ? Nvsp.STATUS_SUCCESS : refusal);
            }
        };
    }

    /** The NVSP INITs a guest sends trying {@code versions} in turn, min = max. */
    private static List<NvspMessage> inits(int... versions) {
        return java.util.Arrays.stream(versions).<NvspMessage>mapToObj(v -> new NvspMessage.Init(v, v)).toList();
    }

    @Test
    void triesOlderVersionsUntilTheHostAcceptsOne() throws Exception {
        try (NicHost host = NicHost.start()) {
            assertTrue(host.bringUp(acceptingOnly(Nvsp.VERSION_4, Nvsp.STATUS_TOO_NEW)));
            JsonObject nic = host.awaitNic(n -> n.getString("phase").equals("up"), "up");
            assertEquals(inits(Nvsp.VERSION_61, Nvsp.VERSION_6, Nvsp.VERSION_5, Nvsp.VERSION_4),
                    host.sent(NvspMessage.Init.class));
            assertEquals(List.of(new NvspMessage.NdisVersion(6, 1)), host.sent(NvspMessage.NdisVersion.class));
            assertEquals("4", nic.getString("nvspVersion"));
            assertEquals("6.1", nic.getString("ndisVersion"));
        }
    }

    /**
     * Issue 21: NVSP 6.1 down to 2. A host that accepts only NVSP 2 (0x30002) gets every version tried, newest first,
     * one at a time, and the NIC comes up on it: NDIS 6.1, and no vRSS even with queues wanted (subchannels need
     * NVSP 5), so no RSS capabilities query and no SUBCHANNEL request.
     */
    @Test
    void comesUpOnNvsp2AfterTryingEveryNewerVersion() throws Exception {
        try (NicHost host = new NicHost(new JsonObject().put("queues", 2), HostTransport.Buffers.UIO)) {
            assertTrue(host.bringUp(acceptingOnly(Nvsp.VERSION_2, Nvsp.STATUS_NONE)));
            JsonObject nic = host.awaitNic(n -> n.getString("phase").equals("up"), "up");
            assertEquals(inits(Nvsp.VERSION_61, Nvsp.VERSION_6, Nvsp.VERSION_5, Nvsp.VERSION_4, Nvsp.VERSION_2),
                    host.sent(NvspMessage.Init.class));
            assertEquals(List.of(new NvspMessage.NdisVersion(6, 1)), host.sent(NvspMessage.NdisVersion.class));
            assertEquals(List.of(), host.sent(NvspMessage.SubchannelRequest.class));
            assertTrue(host.rndisSeen.stream().noneMatch(r -> r instanceof RndisMessage.Query q
                    && q.oid() == Rndis.OID_GEN_RECEIVE_SCALE_CAPABILITIES), host.rndisSeen.toString());
            assertEquals("2", nic.getString("nvspVersion"));
            assertEquals("6.1", nic.getString("ndisVersion"));
            assertEquals(1, nic.getJsonArray("queues").size(), nic.encode());
        }
    }

    /**
     * A host at NVSP 6 sends its send table as the hosts with Linux's "offset too small" bug did: 40 bytes in, its
     * offset field saying 12, zeros between. The NIC steers by the table as sent (its state shows it), not by the
     * seven zeros and first nine entries the offset points at; before the repair it showed those.
     */
    @Test
    void aSendTableFromAnNvsp6HostIsTakenFromWhereSuchHostsPutIt() throws Exception {
        try (NicHost host = NicHost.start()) {
            assertTrue(host.bringUp(acceptingOnly(Nvsp.VERSION_6, Nvsp.STATUS_TOO_NEW)));
            JsonObject nic = host.awaitNic(n -> n.getString("phase").equals("up"), "up");
            assertEquals("6", nic.getString("nvspVersion"));
            assertEquals(null, nic.getValue("sendTable"), "no table before the host sends one");
            ByteBuffer m = ByteBuffer.allocate(Nvsp.SEND_TABLE_OFFSET_UP_TO_V6 + 64).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(0, Nvsp.TYPE_SEND_INDIRECTION_TABLE).putInt(4, 16).putInt(8, 12);
            io.vertx.core.json.JsonArray table = new io.vertx.core.json.JsonArray();
            for (int i = 0; i < 16; i++) {
                m.putInt(Nvsp.SEND_TABLE_OFFSET_UP_TO_V6 + 4 * i, 1 + i % 3);
                table.add(1 + i % 3);
            }
            host.send(m.array(), 0, PacketType.DATA_INBAND, 0, null);
            JsonObject after = host.awaitNic(n -> n.getValue("sendTable") != null, "the send table taken");
            assertEquals(table, after.getJsonArray("sendTable"), after.encode());
            assertEquals("up", after.getString("phase"), after.encode());
        }
    }

    @Test
    void takesTheSmallerOfItsMtuAndTheHostsAndAStartingLinkDown() throws Exception {
        try (NicHost host = new NicHost(new JsonObject().put("mtu", 9000), HostTransport.Buffers.UIO)) {
            assertTrue(host.bringUp(new NetvspAnswers() {
                @Override
                public RndisMessage rndis(RndisMessage request) {
                    if (request instanceof RndisMessage.Query q && q.oid() == Rndis.OID_GEN_MAXIMUM_FRAME_SIZE) {
                        return new RndisMessage.QueryComplete(q.requestId(), Rndis.STATUS_SUCCESS, NetvspAnswers.u32(4000));
                    }
                    if (request instanceof RndisMessage.Query q && q.oid() == Rndis.OID_GEN_MEDIA_CONNECT_STATUS) {
                        return new RndisMessage.QueryComplete(q.requestId(), Rndis.STATUS_SUCCESS,
                                NetvspAnswers.u32(Rndis.MEDIA_STATE_DISCONNECTED));
                    }
                    return NetvspAnswers.standard(request);
                }
            }));
            JsonObject nic = host.awaitNic(n -> n.getString("phase").equals("up"), "up");
            assertEquals(new NvspMessage.NdisConfig(9014, Nvsp.CAP_IEEE8021Q),
                    host.sent(NvspMessage.NdisConfig.class).getFirst());
            assertEquals(4000, nic.getInteger("mtu"));
            assertEquals("down", nic.getString("link"));

            // the host says the link came up, then went down: the NIC follows
            host.deliver(List.of(new RndisMessage.IndicateStatus(Rndis.STATUS_MEDIA_CONNECT, new byte[0]).encode()),
                    Nvsp.CHANNEL_CONTROL);
            host.awaitNic(n -> n.getString("link").equals("up"), "link up");
            host.deliver(List.of(new RndisMessage.IndicateStatus(Rndis.STATUS_MEDIA_DISCONNECT, new byte[0]).encode()),
                    Nvsp.CHANNEL_CONTROL);
            assertEquals(2, host.awaitNic(n -> n.getString("link").equals("down"), "link down")
                    .getLong("statusIndications"));
        }
    }

    /**
     * A host that refuses the MTU and link queries: the NIC keeps its own MTU and takes the link as up, as Linux's
     * rndis_filter_device_add goes on (it takes the host's MTU only from a successful answer, and its link state is
     * connected until the host says otherwise); a disconnect the host indicated before still holds.
     */
    @Test
    void mtuAndLinkQueriesTheHostRefusesLeaveTheNicsOwnMtuAndTheLinkUp() throws Exception {
        for (boolean disconnectFirst : new boolean[] {false, true}) {
            try (NicHost host = new NicHost(new JsonObject().put("mtu", 1400), HostTransport.Buffers.UIO)) {
                assertTrue(host.bringUp(new NetvspAnswers() {
                    @Override
                    public RndisMessage rndis(RndisMessage request) {
                        if (request instanceof RndisMessage.Query q && (q.oid() == Rndis.OID_GEN_MAXIMUM_FRAME_SIZE
                                || q.oid() == Rndis.OID_GEN_MEDIA_CONNECT_STATUS)) {
                            if (disconnectFirst && q.oid() == Rndis.OID_GEN_MAXIMUM_FRAME_SIZE) {
                                try {
                                    host.deliver(List.of(new RndisMessage.IndicateStatus(
                                            Rndis.STATUS_MEDIA_DISCONNECT, new byte[0]).encode()), Nvsp.CHANNEL_CONTROL);
                                } catch (Exception e) {
                                    throw new AssertionError(e);
                                }
                            }
                            return new RndisMessage.QueryComplete(q.requestId(), Rndis.STATUS_NOT_SUPPORTED, new byte[0]);
                        }
                        return NetvspAnswers.standard(request);
                    }
                }));
                JsonObject nic = host.awaitNic(n -> n.getString("phase").equals("up"), "up");
                assertEquals(1400, nic.getInteger("mtu"), nic.encode());
                assertEquals(disconnectFirst ? "down" : "up", nic.getString("link"), nic.encode());
            }
        }
    }

    /**
     * Issue 21: "MTU up to what a send section holds". Every frame goes through a send section (no GPA-direct data
     * pages), so with the host's 6144-byte sections the NIC's MTU is 6144 - 44 (PACKET_MSG header) - 16 (the VLAN
     * PPI a tagged frame's tag moves into) - 14 (Ethernet header) = 6070 however much both ends would allow, and a
     * tagged frame of that MTU fills a section exactly. Before, the NIC took MTU 9000 (the TAP got it) and dropped
     * every frame longer than 6100 bytes as too long.
     */
    @Test
    void anMtuLargerThanASendSectionHoldsIsCutToWhatItHolds() throws Exception {
        try (NicHost host = new NicHost(new JsonObject().put("mtu", 9000), HostTransport.Buffers.UIO)) {
            assertTrue(host.bringUp(new NetvspAnswers() {
                @Override
                public RndisMessage rndis(RndisMessage request) {
                    return request instanceof RndisMessage.Query q && q.oid() == Rndis.OID_GEN_MAXIMUM_FRAME_SIZE
                            ? new RndisMessage.QueryComplete(q.requestId(), Rndis.STATUS_SUCCESS,
                            NetvspAnswers.u32(9000))
                            : NetvspAnswers.standard(request);
                }
            }));
            JsonObject nic = host.awaitNic(n -> n.getString("phase").equals("up"), "up");
            assertEquals(new NvspMessage.NdisConfig(9014, Nvsp.CAP_IEEE8021Q),
                    host.sent(NvspMessage.NdisConfig.class).getFirst());
            assertEquals(NicHost.SECTION, nic.getJsonObject("sendSections").getInteger("size"));
            assertEquals(NicHost.SECTION - Rndis.PACKET_HEADER_SIZE - 16 - 14, nic.getInteger("mtu"), nic.encode());

            // the largest frame of that MTU, VLAN-tagged, fills a section exactly and goes out, its tag in the PPI
            byte[] plain = NetvscDataTest.frame(nic.getInteger("mtu") + 14, 9);
            byte[] f = dev.vmbus.net.VlanTest.tagged(plain, 7);
            host.vertx.eventBus().send(EventBusPort.txAddress("vmbus0"), io.vertx.core.buffer.Buffer.buffer(f));
            Packet p;
            do {
                p = host.next();
            } while (p.isCompletion());
            NvspMessage.RndisPacket m = assertInstanceOf(NvspMessage.RndisPacket.class, NicHost.nvsp(p));
            assertEquals(NicHost.SECTION, m.sectionSize());
            assertEquals(new RndisMessage.Packet(plain, List.of(PerPacketInfo.u32(PerPacketInfo.TYPE_VLAN, 7 << 4))),
                    RndisMessage.decode(host.buffer(ChannelBuffer.Kind.SEND)
                            .read((long) m.sectionIndex() * NicHost.SECTION, m.sectionSize())));
            assertEquals(0, host.nic().getJsonObject("drops").getLong("tooLongToHost"));
        }
    }

    @Test
    void sendsControlMessagesThroughASendSectionWhenAskedTo() throws Exception {
        try (NicHost host = new NicHost(new JsonObject().put("controlOverSection", true), HostTransport.Buffers.UIO)) {
            assertTrue(host.bringUp(new NetvspAnswers() { }));
            JsonObject nic = host.awaitNic(n -> n.getString("phase").equals("up"), "up");
            List<Packet> control = host.seen.stream().filter(p -> p.type() == PacketType.DATA_INBAND
                    && NicHost.nvsp(p) instanceof NvspMessage.RndisPacket).toList();
            assertEquals(6, control.size());
            for (Packet p : control) {
                NvspMessage.RndisPacket m = assertInstanceOf(NvspMessage.RndisPacket.class, NicHost.nvsp(p));
                assertEquals(Nvsp.CHANNEL_CONTROL, m.channelType());
                assertTrue(m.sectionIndex() >= 0 && m.sectionIndex() < 2730, "section " + m.sectionIndex());
                assertEquals(1, p.flags());
            }
            assertEquals(0, host.seen.stream().filter(p -> p.type() == PacketType.DATA_USING_GPA_DIRECT).count());
            assertEquals("send section", nic.getString("controlPath"));
            assertEquals(0, nic.getJsonObject("sendSections").getInteger("inUse"), "every control section came back");
            assertEquals(ByteBuffer.wrap(NetvspAnswers.u32(0xD)).order(ByteOrder.LITTLE_ENDIAN).getInt(0),
                    ByteBuffer.wrap(((RndisMessage.Set) host.rndisSeen.getLast()).info()).order(ByteOrder.LITTLE_ENDIAN)
                            .getInt(0));
        }
    }

    @Test
    void aHostThatNeverAnswersEndsTheChannelWithoutWaitingForAPacket() throws Exception {
        try (NicHost host = new NicHost(new JsonObject().put("answerTimeoutMs", 300), HostTransport.Buffers.UIO)) {
            Packet init = host.next();
            assertEquals(new NvspMessage.Init(Nvsp.VERSION_61, Nvsp.VERSION_61), NicHost.nvsp(init));
            // the host answers nothing and sends nothing: the NIC's timer alone must end the channel, with the reason
            String reason = host.awaitFault();
            assertTrue(reason.contains("the host did not answer NVSP INIT 6.1 within 300 ms"), reason);
            assertEquals(1, host.seen.size(), "the guest sent only INIT: " + host.seen);
        }
    }
}
