package dev.vmbus.device.netvsc;

import dev.vmbus.bus.ChannelEvent;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.Packet;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.TransferPageRanges;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.HostTransport;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Queue;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A hostile host on the NIC's subchannels (vRSS), beside {@link NetvscHostileHostTest}'s mistakes on the primary.
 * The NIC has 3 queues (the primary and 2 subchannels), which share one receive buffer, one send buffer and one
 * RNDIS control state: a host mistake on a subchannel fails the whole NIC, as Linux's subchannels are part of one
 * {@code net_device}, and every channel of the NIC faults with the one reason, the NIC's own. Each range is checked
 * against its buffer before a byte of it is read. A completion is matched against the requests of the channel it
 * comes on, as Linux looks a transaction id up in that channel's own requestor: the guest sends its NVSP and RNDIS
 * requests on the primary only, and a frame on the queue its flow names, so a completion on another channel is of
 * a transaction id never issued there. An RNDIS response that answers the request outstanding is taken on any
 * channel, as Linux's and DPDK's guests take it. A device's channel beside the NIC answers throughout. A subchannel
 * that is none of the NIC's queues (past the grant, a second of one index, or unasked) ends alone, with the reason.
 */
class NetvscSubchannelHostileTest {
    private static final HostTransport.Buffers BUFFERS = new HostTransport.Buffers(32 * 4096, 16 * 4096);
    private static final int QUEUES = 3;
    private static final int SUB1 = NicHost.RELID + 1;
    private static final int SUB2 = NicHost.RELID + 2;
    /** Seeded cases of the fuzz on a subchannel: {@code -Dfuzz.cases=N} for a longer hunt. */
    private static final int CASES = Integer.getInteger("fuzz.cases", 16);

    private interface Mistake {
        void make(NicHost host) throws Exception;
    }

    private static NicHost upWithSubchannels() throws Exception {
        NicHost host = new NicHost(new JsonObject().put("queues", QUEUES), BUFFERS);
        try {
            assertTrue(host.bringUp(new NetvspAnswers() { }));
            host.awaitNic(n -> n.getString("phase").equals("up") && n.getJsonArray("queues").size() == QUEUES,
                    QUEUES + " queues up");
            return host;
        } catch (Exception | AssertionError e) {
            host.close();
            throw e;
        }
    }

    /**
     * Brings the NIC up with its subchannels, lets {@code mistake} play the host's mistake, and checks the NIC
     * failed as a whole with a reason of its own containing {@code parts}, while the echo channel beside it answers.
     */
    private static void faultsTheNic(Mistake mistake, String... parts) throws Exception {
        try (NicHost host = upWithSubchannels()) {
            mistake.make(host);
            String reason = host.awaitFault();
            assertReason(reason, parts);
            for (int sub = SUB1; sub < NicHost.RELID + QUEUES; sub++) {
                ChannelEvent end = awaitEnded(host, sub);
                assertEquals(ChannelState.FAULTED, end.state(), end.toString());
                assertEquals(own(reason), own(end.reason().text()), "subchannel " + sub + "'s reason");
            }
            byte[] hello = "still here".getBytes(StandardCharsets.US_ASCII);
            assertArrayEquals(hello, java.util.Arrays.copyOf(host.echo(hello, 7), hello.length));
        }
    }

    private static void assertReason(String reason, String... parts) {
        for (String part : parts) {
            assertTrue(reason.contains(part), "'" + part + "' not in: " + reason);
        }
        assertTrue(reason.matches("handler 'netvsc'( failed a batch of \\d+)?: netvsc vmbus0: .+"), reason);
        for (String u : NetvscHostFuzzTest.UNEXPECTED) {
            assertFalse(reason.contains(u), "an exception the NIC did not throw itself: " + reason);
        }
    }

    /** A NIC's reason without the prefix the framework gives it ("handler 'netvsc'[ failed a batch of N]: "). */
    static String own(String reason) {
        return reason.substring(Math.max(0, reason.indexOf("netvsc vmbus0: ")));
    }

    /** The ended event of channel {@code relid}, once the guest published it. */
    static ChannelEvent awaitEnded(NicHost host, int relid) {
        try {
            return await("channel " + relid + " to end").atMost(NicHost.TIMEOUT).until(() -> host.events.stream()
                    .filter(e -> e.relid() == relid && e.ended()).findFirst().orElse(null), e -> e != null);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("channel " + relid + " never ended; events " + host.events, e);
        }
    }

    private static byte[] nvsp107() {
        return new NvspMessage.RndisPacket(Nvsp.CHANNEL_DATA, Nvsp.NO_SECTION, 0).encode();
    }

    @Test
    void transferPagesOutsideTheReceiveBufferOnASubchannel() throws Exception {
        long rx = BUFFERS.receive();
        faultsTheNic(host -> host.send(SUB1, nvsp107(), 1, PacketType.DATA_USING_XFER_PAGES, 1,
                new TransferPageRanges().reset(Nvsp.RECEIVE_BUFFER_ID, false).add(1806, (int) rx)),
                "outside the receive buffer's " + rx + " bytes");
        // a good range, then one past the buffer
        faultsTheNic(host -> {
            byte[] m = new RndisMessage.Packet(NetvscDataTest.frame(100, 2), List.of()).encode();
            host.buffer(ChannelBuffer.Kind.RECEIVE).write(60L * NicHost.SLOT, m);
            host.send(SUB2, nvsp107(), 1, PacketType.DATA_USING_XFER_PAGES, 1, new TransferPageRanges()
                    .reset(Nvsp.RECEIVE_BUFFER_ID, false).add(m.length, 60 * NicHost.SLOT).add(-1, 4096));
        }, "range 1 of 4294967295 bytes at offset 4096");
        faultsTheNic(host -> host.send(SUB1, nvsp107(), 1, PacketType.DATA_USING_XFER_PAGES, 1,
                new TransferPageRanges().reset(0xBEEF, false).add(100, 0)), "page set 0xbeef");
        faultsTheNic(host -> host.send(SUB2, nvsp107(), rx / NicHost.SLOT, PacketType.DATA_USING_XFER_PAGES, 1,
                new TransferPageRanges().reset(Nvsp.RECEIVE_BUFFER_ID, false).add(100, 0)),
                "transaction id " + rx / NicHost.SLOT + " is past the receive buffer's");
        faultsTheNic(host -> {
            byte[] m = new RndisMessage.Packet(new byte[60], List.of()).encode();
            ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 5000);
            host.deliver(SUB1, List.of(m), Nvsp.CHANNEL_DATA);
        }, "msg_len 5000 is outside [8, 104]");
    }

    @Test
    void completionsOfTransactionsNeverIssuedOnASubchannel() throws Exception {
        faultsTheNic(host -> host.complete(SUB1, 4242, new NvspMessage.RndisPacketComplete(1)),
                "transaction id 4242, which this guest never issued");
        faultsTheNic(host -> host.complete(SUB2, Nic.DATA | 3, new NvspMessage.RndisPacketComplete(1)),
                "a data send this guest never issued");
        faultsTheNic(host -> host.complete(SUB1, Nic.DATA | 10, new NvspMessage.RndisPacketComplete(1)),
                "send section 10, past the send buffer's 10 sections");
    }

    /** Sends frames of flows 0, 1, ... until one leaves on a subchannel; returns that packet. */
    private static Packet aFrameOnASubchannel(NicHost host) {
        for (int seed = 0; seed < 64; seed++) {
            host.vertx.eventBus().send(EventBusPort.txAddress("vmbus0"), Buffer.buffer(NetvscDataTest.frame(200, seed)));
            Packet p;
            do {
                p = host.next();
            } while (p.type() != PacketType.DATA_INBAND);
            if (p.relid() != NicHost.RELID) {
                return p;
            }
        }
        throw new AssertionError("64 flows all left on the primary");
    }

    @Test
    void aFrameIsCompletedOnTheChannelItLeftOnAndNoOther() throws Exception {
        // on its own channel the completion frees the section
        try (NicHost host = upWithSubchannels()) {
            Packet p = aFrameOnASubchannel(host);
            host.complete(p.relid(), p.transactionId(), new NvspMessage.RndisPacketComplete(Nvsp.STATUS_SUCCESS));
            host.awaitNic(n -> n.getJsonObject("sendSections").getInteger("inUse") == 0, "every section free");
            assertEquals(null, host.ended());
        }
        // on another subchannel, or on the primary, it is a transaction id that channel never issued
        faultsTheNic(host -> {
            Packet p = aFrameOnASubchannel(host);
            host.complete(p.relid() == SUB1 ? SUB2 : SUB1, p.transactionId(),
                    new NvspMessage.RndisPacketComplete(Nvsp.STATUS_SUCCESS));
        }, "a data send this guest never issued on channel");
        faultsTheNic(host -> {
            Packet p = aFrameOnASubchannel(host);
            host.complete(NicHost.RELID, p.transactionId(), new NvspMessage.RndisPacketComplete(Nvsp.STATUS_SUCCESS));
        }, "a data send this guest never issued on channel " + NicHost.RELID);
    }

    /**
     * Subchannels that are none of the NIC's queues: one past the number granted, one with the index of a queue the
     * NIC has, and one offered to a NIC that asked for none. Linux's netvsc leaves such a subchannel unopened
     * ({@code chn_index >= num_chn}); the guest ends its channel with the reason and the NIC goes on with its
     * queues, a frame still going out and being completed.
     */
    @Test
    void subchannelsTheNicWasNotGrantedAreRefusedAndTheNicGoesOn() throws Exception {
        int extra = NicHost.RELID + QUEUES;
        try (NicHost host = upWithSubchannels()) {
            host.offerSubchannel(extra, QUEUES);
            ChannelEvent past = awaitEnded(host, extra);
            assertEquals(ChannelState.FAULTED, past.state(), past.toString());
            assertEquals("netvsc vmbus0: subchannel 3 (relid " + extra + ") is past the 2 the host granted; it is not"
                    + " one of the NIC's queues", own(past.reason().text()));
            stillUpOnItsQueues(host);
        }
        try (NicHost host = upWithSubchannels()) {
            host.offerSubchannel(extra, 1);
            ChannelEvent twin = awaitEnded(host, extra);
            assertEquals("netvsc vmbus0: subchannel 1 (relid " + extra + ") has the index of relid " + SUB1
                    + ", subchannel 1 already; it is not one of the NIC's queues", own(twin.reason().text()));
            stillUpOnItsQueues(host);
        }
        try (NicHost host = new NicHost(new JsonObject().put("queues", 1), BUFFERS)) {
            assertTrue(host.bringUp(new NetvspAnswers() { }));
            host.awaitNic(n -> n.getString("phase").equals("up"), "up on one queue");
            host.offerSubchannel(SUB1, 1);
            ChannelEvent unasked = awaitEnded(host, SUB1);
            assertEquals("netvsc vmbus0: subchannel 1 (relid " + SUB1 + ") was offered, but the NIC has no subchannel"
                    + " (none was asked for or granted); it is not one of the NIC's queues", own(unasked.reason().text()));
            assertEquals("up", host.nic().getString("phase"));
            assertEquals(null, host.ended());
        }
    }

    /**
     * The host refuses the RSS parameters: the NIC goes on with its queues, as Linux's {@code rndis_set_subchannel}
     * ignores a failure to set them ("still have channels"); a frame still leaves on a subchannel and is completed.
     */
    @Test
    void rssParametersTheHostRefusesLeaveTheNicUpOnItsQueues() throws Exception {
        try (NicHost host = new NicHost(new JsonObject().put("queues", QUEUES), BUFFERS)) {
            assertTrue(host.bringUp(new NetvspAnswers() {
                @Override
                public RndisMessage rndis(RndisMessage request) {
                    return request instanceof RndisMessage.Set s && s.oid() == Rndis.OID_GEN_RECEIVE_SCALE_PARAMETERS
                            ? new RndisMessage.SetComplete(s.requestId(), Rndis.STATUS_NOT_SUPPORTED)
                            : NetvspAnswers.standard(request);
                }
            }));
            JsonObject nic = host.awaitNic(n -> n.getString("phase").equals("up")
                    && n.getJsonArray("queues").size() == QUEUES, QUEUES + " queues up");
            assertEquals(1, nic.getLong("rssRefusals"), nic.encode());
            stillUpOnItsQueues(host);
        }
    }

    /**
     * The host grants more subchannels than asked for: the NIC takes none and comes up on its primary alone, as
     * Linux's {@code rndis_set_subchannel} calls the grant invalid and {@code netvsc_subchan_work} falls back to the
     * primary; the subchannels the host then offers are refused as none of the NIC's queues.
     */
    @Test
    void aGrantOfMoreSubchannelsThanAskedLeavesTheNicOnItsPrimary() throws Exception {
        try (NicHost host = new NicHost(new JsonObject().put("queues", QUEUES), BUFFERS)) {
            assertTrue(host.bringUp(new NetvspAnswers() {
                @Override
                public NvspMessage subchannels(NvspMessage.SubchannelRequest request) {
                    return new NvspMessage.SubchannelComplete(Nvsp.STATUS_SUCCESS, request.count() + 1);
                }
            }));
            host.awaitNic(n -> n.getString("phase").equals("up"), "up");
            for (int sub = SUB1; sub <= NicHost.RELID + QUEUES; sub++) {
                ChannelEvent refused = awaitEnded(host, sub);
                assertEquals("netvsc vmbus0: subchannel " + (sub - NicHost.RELID) + " (relid " + sub + ") was offered,"
                        + " but the NIC has no subchannel (none was asked for or granted); it is not one of the NIC's"
                        + " queues", own(refused.reason().text()));
            }
            JsonObject nic = host.nic();
            assertEquals("up", nic.getString("phase"), nic.encode());
            assertEquals(1, nic.getJsonArray("queues").size(), nic.encode());
            assertEquals(null, host.ended());
            assertTrue(host.rndisSeen.stream().noneMatch(m -> m instanceof RndisMessage.Set s
                    && s.oid() == Rndis.OID_GEN_RECEIVE_SCALE_PARAMETERS), "no RSS parameters for one queue");
        }
    }

    /** The NIC is up on its {@link #QUEUES} queues, none ended, and a frame sent on a subchannel is completed. */
    private static void stillUpOnItsQueues(NicHost host) throws Exception {
        JsonObject nic = host.nic();
        assertEquals("up", nic.getString("phase"), nic.encode());
        assertEquals(QUEUES, nic.getJsonArray("queues").size(), nic.encode());
        Packet p = aFrameOnASubchannel(host);
        host.complete(p.relid(), p.transactionId(), new NvspMessage.RndisPacketComplete(Nvsp.STATUS_SUCCESS));
        host.awaitNic(n -> n.getJsonObject("sendSections").getInteger("inUse") == 0, "every section free");
        assertEquals(null, host.ended());
    }

    /** Answers bring-up as netvsp does, but puts the RSS parameters' completion or response on subchannel 1. */
    private static NetvspAnswers rssOnSubchannel(boolean completion) {
        return new NetvspAnswers() {
            private boolean rss(RndisMessage request) {
                return request instanceof RndisMessage.Set s && s.oid() == Rndis.OID_GEN_RECEIVE_SCALE_PARAMETERS;
            }

            @Override
            public int completeOn(RndisMessage request) {
                return completion && rss(request) ? SUB1 : NicHost.RELID;
            }

            @Override
            public int respondOn(RndisMessage request) {
                return !completion && rss(request) ? SUB1 : NicHost.RELID;
            }
        };
    }

    @Test
    void controlAnswersOnASubchannel() throws Exception {
        // the response to the request outstanding, in a subchannel's transfer pages: taken, as Linux and DPDK take it
        try (NicHost host = new NicHost(new JsonObject().put("queues", QUEUES), BUFFERS)) {
            assertTrue(host.bringUp(rssOnSubchannel(false)));
            host.awaitNic(n -> n.getString("phase").equals("up"), "up");
        }
        // the completion of the NVSP 107 that carried the request, on a subchannel: the guest sent it on the primary
        try (NicHost host = new NicHost(new JsonObject().put("queues", QUEUES), BUFFERS)) {
            assertFalse(host.bringUp(rssOnSubchannel(true)), "the guest finished bring-up");
            assertReason(host.awaitFault(), "a completion on channel " + SUB1 + " for transaction id",
                    "which this guest never issued on that channel");
            assertEquals(own(awaitEnded(host, NicHost.RELID).reason().text()),
                    own(awaitEnded(host, SUB1).reason().text()));
        }
    }

    @Test
    void rndisResponsesNobodyAskedForOnASubchannel() throws Exception {
        faultsTheNic(host -> host.deliver(SUB1, List.of(new RndisMessage.InitializeComplete(1, Rndis.STATUS_SUCCESS,
                1, 0, Rndis.DEVICE_CONNECTIONLESS, Rndis.MEDIUM_802_3, 8, 0xEFFFFFFF, 3, 0, 0).encode()),
                Nvsp.CHANNEL_CONTROL), "RNDIS INITIALIZE_CMPLT with request id 1 answers no outstanding request");
        faultsTheNic(host -> host.deliver(SUB2, List.of(new RndisMessage.QueryComplete(5, Rndis.STATUS_SUCCESS,
                NetvspAnswers.u32(1500)).encode()), Nvsp.CHANNEL_CONTROL),
                "RNDIS QUERY_CMPLT with request id 5 answers no outstanding request");
        faultsTheNic(host -> host.deliver(SUB1, List.of(new RndisMessage.Query(3, 1, new byte[0]).encode()),
                Nvsp.CHANNEL_CONTROL), "only a guest sends");
    }

    @Test
    void nvspMessagesOnlyThePrimaryCarriesOnASubchannel() throws Exception {
        // the answers to the primary's bring-up requests (transaction ids 1 to 3 were issued there, long completed)
        faultsTheNic(host -> host.complete(SUB1, 3, new NvspMessage.SubchannelComplete(Nvsp.STATUS_SUCCESS, 2)),
                "a completion on channel " + SUB1 + " for transaction id 3");
        faultsTheNic(host -> host.complete(SUB2, 1, new NvspMessage.ReceiveBufferComplete(Nvsp.STATUS_SUCCESS,
                List.of(new NvspMessage.ReceiveSection(0, NicHost.SLOT, 72, NicHost.SLOT * 72)))),
                "a completion on channel " + SUB2 + " for transaction id 1");
        // the same messages in-band, and one of no type at all
        faultsTheNic(host -> host.send(SUB1, new NvspMessage.SubchannelComplete(Nvsp.STATUS_SUCCESS, 2).encode(), 0,
                PacketType.DATA_INBAND, 0, null), "in-band, which a host never sends");
        faultsTheNic(host -> host.send(SUB2, new NvspMessage.SendBufferComplete(Nvsp.STATUS_SUCCESS, 6144).encode(),
                0, PacketType.DATA_INBAND, 0, null), "NVSP type 105 in-band");
        faultsTheNic(host -> host.send(SUB1, new byte[] {(byte) 200, 0, 0, 0, 0, 0, 0, 0}, 0, PacketType.DATA_INBAND,
                0, null), "UNKNOWN_NVSP_TYPE");
    }

    @Test
    void aSubchannelKeepsReceivingAfterWhatAHostMaySendThere() throws Exception {
        // a send table and a link indication on a subchannel are taken (Linux takes them on any channel)
        try (NicHost host = upWithSubchannels()) {
            Queue<byte[]> rx = NetvscDataTest.listen(host);
            host.send(SUB2, new NvspMessage.IndirectionTable(List.of(2, 1, 0, 2, 1, 0, 2, 1, 0, 2, 1, 0, 2, 1, 0, 2))
                    .encode(), 0, PacketType.DATA_INBAND, 0, null);
            host.deliver(SUB1, List.of(new RndisMessage.IndicateStatus(Rndis.STATUS_NETWORK_CHANGE, new byte[0])
                    .encode()), Nvsp.CHANNEL_CONTROL);
            byte[] f = NetvscDataTest.frame(300, 5);
            host.deliver(SUB1, List.of(new RndisMessage.Packet(f, List.of()).encode()), Nvsp.CHANNEL_DATA);
            assertArrayEquals(f, NetvscDataTest.nextFrame(rx));
            JsonObject nic = host.awaitNic(n -> n.getJsonArray("sendTable") != null, "the send table");
            assertEquals(2, nic.getJsonArray("sendTable").getInteger(0));
            assertEquals(null, host.ended());
        }
    }

    /**
     * A slip of the NIC's own (here a backend that throws an exception of the JDK's on the first frame) in a packet
     * of either kind of channel fails the NIC as a host mistake does: every channel of the NIC ends, and the reason
     * names the exception's class, so that it reads as a slip and the fuzz cases notice one.
     */
    @Test
    void aSlipOnOneChannelEndsEveryChannelOfTheNicNamingIt() throws Exception {
        for (int on : new int[] {SUB1, NicHost.RELID}) {
            NetvscHandler slipping = new NetvscHandler((vertx, name, mac, mtu, maxFrame, link) ->
                    new NetvscContextTest.ThreadPort() {
                        @Override
                        public boolean send(byte[] frame, int offset, int length) {
                            throw new IndexOutOfBoundsException("a slip");
                        }
                    });
            try (NicHost host = new NicHost(new JsonObject().put("queues", QUEUES), BUFFERS, slipping)) {
                assertTrue(host.bringUp(new NetvspAnswers() { }));
                host.awaitNic(n -> n.getString("phase").equals("up") && n.getJsonArray("queues").size() == QUEUES,
                        QUEUES + " queues up");
                host.deliver(on, List.of(new RndisMessage.Packet(NetvscDataTest.frame(100, 1), List.of()).encode()),
                        Nvsp.CHANNEL_DATA);
                String own = "netvsc vmbus0: java.lang.IndexOutOfBoundsException: a slip";
                String reason = host.awaitFault();
                assertTrue(reason.endsWith(own), "a frame on channel " + on + ": " + reason);
                for (int sub = SUB1; sub < NicHost.RELID + QUEUES; sub++) {
                    ChannelEvent end = awaitEnded(host, sub);
                    assertEquals(ChannelState.FAULTED, end.state(), end.toString());
                    assertTrue(end.reason().text().endsWith(own), "subchannel " + sub + ": " + end);
                }
                byte[] hello = "still here".getBytes(StandardCharsets.US_ASCII);
                assertArrayEquals(hello, java.util.Arrays.copyOf(host.echo(hello, 7), hello.length));
            }
        }
    }

    /**
     * {@link NetvscHostFuzzTest}'s cases on one of the subchannels: spoilt messages fail the NIC, every channel of it
     * with one reason of its own, or leave it delivering the next frame there intact; values a host may choose are
     * taken.
     */
    @Test
    void garbageOnASubchannelFailsTheWholeNicWithItsReason() throws Exception {
        NetvscHostFuzzTest.run(CASES, QUEUES);
    }
}
