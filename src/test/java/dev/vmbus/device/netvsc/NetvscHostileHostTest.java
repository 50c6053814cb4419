package dev.vmbus.device.netvsc;

import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.TransferPageRanges;
import dev.vmbus.transport.HostTransport;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every host mistake of spec §5.1's knob list, and NVSP/RNDIS garbage, faults the NIC's channel with the reason
 * (and never reads outside a buffer: a range is checked against the buffer before any byte of it is read).
 */
class NetvscHostileHostTest {
    /**
     * The channel's buffers in every scenario: 72 receive slots and 10 send sections, more than any scenario uses.
     * The guest's checks do not depend on the buffers' sizes, and zeroing uio's 47 MiB took about 0.2 s a scenario.
     */
    private static final HostTransport.Buffers BUFFERS = new HostTransport.Buffers(32 * 4096, 16 * 4096);

    /** Brings the NIC up against {@code answers}, expecting the guest to fault the channel; returns the reason. */
    private static String faultDuringBringUp(NetvspAnswers answers) throws Exception {
        try (NicHost host = new NicHost(new JsonObject(), BUFFERS)) {
            assertFalse(host.bringUp(answers), "the guest finished bring-up");
            return host.awaitFault();
        }
    }

    private static void assertReason(String reason, String... parts) {
        for (String part : parts) {
            assertTrue(reason.contains(part), "'" + part + "' not in: " + reason);
        }
        // the NIC's own reason as it gave it, after the framework's prefix: no exception class in the way
        assertTrue(reason.matches("handler 'netvsc'( failed a batch of \\d+)?: netvsc vmbus0: .+"), reason);
    }

    @Test
    void initRefusedAtEveryVersion() throws Exception {
        assertReason(faultDuringBringUp(new NetvspAnswers() {
            @Override
            public NvspMessage init(NvspMessage.Init m) {
                return new NvspMessage.InitComplete(0xFFFFFFFF, 34, Nvsp.STATUS_FAIL);
            }
        }), "accepted none of NVSP 6.1, 6, 5, 4 and 2");
    }

    @Test
    void initAnsweredWithAnotherMessage() throws Exception {
        assertReason(faultDuringBringUp(new NetvspAnswers() {
            @Override
            public NvspMessage init(NvspMessage.Init m) {
                return new NvspMessage.SendBufferComplete(Nvsp.STATUS_SUCCESS, 6144);
            }
        }), "answered NVSP INIT 6.1 with NVSP type 105");
    }

    private static NetvspAnswers receiveBuffer(NvspMessage answer) {
        return new NetvspAnswers() {
            @Override
            public NvspMessage receiveBuffer(long bufferSize) {
                return answer;
            }
        };
    }

    @Test
    void receiveBufferMistakes() throws Exception {
        assertReason(faultDuringBringUp(receiveBuffer(new NvspMessage.ReceiveBufferComplete(Nvsp.STATUS_SUCCESS,
                List.of(new NvspMessage.ReceiveSection(0, 1806, 100, 180600),
                        new NvspMessage.ReceiveSection(180600, 1806, 100, 361200))))), "2 sections");
        assertReason(faultDuringBringUp(receiveBuffer(new NvspMessage.ReceiveBufferComplete(Nvsp.STATUS_SUCCESS,
                List.of(new NvspMessage.ReceiveSection(0, 0, 100, 0))))), "0 bytes");
        assertReason(faultDuringBringUp(receiveBuffer(new NvspMessage.ReceiveBufferComplete(Nvsp.STATUS_SUCCESS,
                List.of(new NvspMessage.ReceiveSection(4096, 1806, 100, 184696))))), "starts at offset 4096");
        assertReason(faultDuringBringUp(receiveBuffer(new NvspMessage.ReceiveBufferComplete(Nvsp.STATUS_SUCCESS,
                List.of(new NvspMessage.ReceiveSection(0, 1806, 18000, 1806 * 18000))))), "18000 slots of 1806");
        assertReason(faultDuringBringUp(receiveBuffer(new NvspMessage.ReceiveBufferComplete(Nvsp.STATUS_FAIL,
                List.of()))), "refused the receive buffer");
    }

    private static NetvspAnswers sectionSize(int size) {
        return new NetvspAnswers() {
            @Override
            public NvspMessage sendBuffer() {
                return new NvspMessage.SendBufferComplete(Nvsp.STATUS_SUCCESS, size);
            }
        };
    }

    @Test
    void sendSectionSizeZeroUnalignedOrTooLarge() throws Exception {
        assertReason(faultDuringBringUp(sectionSize(0)), "send section size 0");
        assertReason(faultDuringBringUp(sectionSize(6142)), "send section size 6142");
        assertReason(faultDuringBringUp(sectionSize(-4)), "send section size 4294967292");
        // a section too small for a frame of the least MTU a link may have (every frame goes through one)
        assertReason(faultDuringBringUp(sectionSize(128)), "send sections of 128 bytes hold frames of at most 72 bytes,"
                + " an MTU of 54, below 68");
    }

    @Test
    void rndisMistakes() throws Exception {
        assertReason(faultDuringBringUp(new NetvspAnswers() {
            @Override
            public RndisMessage rndis(RndisMessage request) {
                return request instanceof RndisMessage.InitializeRequest r
                        ? new RndisMessage.InitializeComplete(r.requestId(), Rndis.STATUS_FAILURE, 1, 0, 1, 0, 8, 0, 3, 0, 0)
                        : NetvspAnswers.standard(request);
            }
        }), "refused RNDIS INITIALIZE");
        assertReason(faultDuringBringUp(new NetvspAnswers() {
            @Override
            public RndisMessage rndis(RndisMessage request) {
                return request instanceof RndisMessage.Query q
                        ? new RndisMessage.QueryComplete(q.requestId() + 7, Rndis.STATUS_SUCCESS, NetvspAnswers.u32(1500))
                        : NetvspAnswers.standard(request);
            }
        }), "request id 10 answers no outstanding request");
        assertReason(faultDuringBringUp(new NetvspAnswers() {
            @Override
            public RndisMessage rndis(RndisMessage request) {
                return request instanceof RndisMessage.Query q && q.oid() == Rndis.OID_802_3_PERMANENT_ADDRESS
                        ? new RndisMessage.QueryComplete(q.requestId(), Rndis.STATUS_SUCCESS, new byte[4])
                        : NetvspAnswers.standard(request);
            }
        }), "MAC address has 4 bytes");
        assertReason(faultDuringBringUp(new NetvspAnswers() {
            @Override
            public RndisMessage rndis(RndisMessage request) {
                return request instanceof RndisMessage.Set s
                        ? new RndisMessage.QueryComplete(s.requestId(), Rndis.STATUS_SUCCESS, new byte[0])
                        : NetvspAnswers.standard(request);
            }
        }), "answered RNDIS SET packet filter NONE with QUERY_CMPLT");
        assertReason(faultDuringBringUp(new NetvspAnswers() {
            @Override
            public NvspMessage controlCompletion() {
                return new NvspMessage.RndisPacketComplete(Nvsp.STATUS_INVALID_RNDIS_PKT);
            }
        }), "refused RNDIS INITIALIZE: NVSP status 5");
    }

    /** Brings the NIC up, then lets {@code mistake} play the host's mistake; returns the fault's reason. */
    private interface Mistake {
        void make(NicHost host) throws Exception;
    }

    private static String faultAfterUp(Mistake mistake) throws Exception {
        try (NicHost host = new NicHost(new JsonObject(), BUFFERS)) {
            assertTrue(host.bringUp(new NetvspAnswers() { }));
            host.awaitNic(n -> n.getString("phase").equals("up"), "up");
            mistake.make(host);
            String reason = host.awaitFault();
            // the NIC leaves the device's state with its channel; why it failed stays there
            JsonObject state = await("the failed NIC in the device's state").atMost(10, TimeUnit.SECONDS)
                    .until(host::state, s -> s.getJsonArray("nics").isEmpty() && !s.getJsonArray("failed").isEmpty());
            JsonObject failed = state.getJsonArray("failed").getJsonObject(0);
            assertEquals("vmbus0", failed.getString("name"), state.encode());
            assertEquals(NicHost.RELID, failed.getInteger("relid"), state.encode());
            String failure = failed.getString("failure");
            assertTrue(failure.startsWith("netvsc vmbus0: ") && failure.length() > "netvsc vmbus0: ".length()
                    && reason.endsWith(failure), reason + " / " + state.encode());
            return reason;
        }
    }

    private static byte[] nvsp107() {
        return new NvspMessage.RndisPacket(Nvsp.CHANNEL_DATA, Nvsp.NO_SECTION, 0).encode();
    }

    @Test
    void transferPageMistakes() throws Exception {
        long rx = BUFFERS.receive();
        assertReason(faultAfterUp(host -> host.send(nvsp107(), 1, PacketType.DATA_USING_XFER_PAGES, 1,
                new TransferPageRanges().reset(Nvsp.RECEIVE_BUFFER_ID, false).add(1806, (int) rx))),
                "outside the receive buffer's " + rx + " bytes");
        assertReason(faultAfterUp(host -> host.send(nvsp107(), 1, PacketType.DATA_USING_XFER_PAGES, 1,
                new TransferPageRanges().reset(Nvsp.RECEIVE_BUFFER_ID, false).add(-1, 4096))),
                "4294967295 bytes at offset 4096");
        assertReason(faultAfterUp(host -> host.send(nvsp107(), 1, PacketType.DATA_USING_XFER_PAGES, 1,
                new TransferPageRanges().reset(0xBEEF, false).add(100, 0))), "page set 0xbeef");
        assertReason(faultAfterUp(host -> host.send(nvsp107(), rx / NicHost.SLOT, PacketType.DATA_USING_XFER_PAGES, 1,
                new TransferPageRanges().reset(Nvsp.RECEIVE_BUFFER_ID, false).add(100, 0))),
                "transaction id " + rx / NicHost.SLOT + " is past the receive buffer's");
        assertReason(faultAfterUp(host -> host.send(new NvspMessage.RndisPacketComplete(1).encode(), 1,
                PacketType.DATA_USING_XFER_PAGES, 1, new TransferPageRanges().reset(Nvsp.RECEIVE_BUFFER_ID, false)
                        .add(100, 0))), "carries NVSP type 108");
    }

    @Test
    void rndisGarbageInTheReceiveBuffer() throws Exception {
        // msg_len past the range
        assertReason(faultAfterUp(host -> {
            byte[] m = new RndisMessage.Packet(new byte[60], List.of()).encode();
            ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 5000);
            host.deliver(List.of(m), Nvsp.CHANNEL_DATA);
        }), "msg_len 5000 is outside [8, 104]");
        // the frame's offset points past the message
        assertReason(faultAfterUp(host -> {
            byte[] m = new RndisMessage.Packet(new byte[60], List.of()).encode();
            ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 100);
            host.deliver(List.of(m), Nvsp.CHANNEL_DATA);
        }), "PACKET_MSG data of 60 bytes at [108, 168)");
        // out-of-band data
        assertReason(faultAfterUp(host -> {
            byte[] m = new RndisMessage.Packet(new byte[60], List.of()).encode();
            ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putInt(20, 4);
            host.deliver(List.of(m), Nvsp.CHANNEL_DATA);
        }), "out-of-band");
        // a per-packet info whose size runs past the area
        assertReason(faultAfterUp(host -> {
            byte[] m = new RndisMessage.Packet(new byte[60], List.of(dev.vmbus.net.PerPacketInfo.u32(0, 0))).encode();
            ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putInt(44, 400);
            host.deliver(List.of(m), Nvsp.CHANNEL_DATA);
        }), "per-packet info at 44 has size 400");
        // an unknown RNDIS type, and a request only a guest sends
        assertReason(faultAfterUp(host -> host.deliver(List.of(new byte[] {9, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                Nvsp.CHANNEL_CONTROL)), "UNKNOWN_RNDIS_TYPE");
        assertReason(faultAfterUp(host -> host.deliver(List.of(new RndisMessage.Query(3, 1, new byte[0]).encode()),
                Nvsp.CHANNEL_CONTROL)), "only a guest sends");
        // a response nobody asked for
        assertReason(faultAfterUp(host -> host.deliver(List.of(new RndisMessage.SetComplete(77, 0).encode()),
                Nvsp.CHANNEL_CONTROL)), "request id 77 answers no outstanding request");
    }

    @Test
    void completionsAndNvspGarbage() throws Exception {
        assertReason(faultAfterUp(host -> host.complete(4242, new NvspMessage.RndisPacketComplete(1))),
                "transaction id 4242, which this guest never issued");
        assertReason(faultAfterUp(host -> host.complete(Nic.DATA | 3, new NvspMessage.RndisPacketComplete(1))),
                "a data send this guest never issued");
        // a section index past the send buffer (10 sections here) is named as such, and nothing is indexed with it
        assertReason(faultAfterUp(host -> host.complete(Nic.DATA | 10, new NvspMessage.RndisPacketComplete(1))),
                "transaction id 0x800000000000000a, send section 10, past the send buffer's 10 sections");
        assertReason(faultAfterUp(host -> host.complete(Nic.DATA | 0xFFFFFF, new NvspMessage.RndisPacketComplete(1))),
                "send section 16777215, past the send buffer's 10 sections");
        assertReason(faultAfterUp(host -> host.send(new byte[] {(byte) 200, 0, 0, 0, 0, 0, 0, 0}, 0,
                PacketType.DATA_INBAND, 0, null)), "UNKNOWN_NVSP_TYPE");
        assertReason(faultAfterUp(host -> host.send(new NvspMessage.Init(2, 2).encode(), 0, PacketType.DATA_INBAND,
                0, null)), "NVSP type 1 in-band");
        assertReason(faultAfterUp(host -> host.send(new byte[] {107, 0}, 0, PacketType.DATA_INBAND, 0, null)),
                "TRUNCATED");
    }

    @Test
    void aSectionCompletedTwice() throws Exception {
        assertReason(faultAfterUp(host -> {
            host.vertx.eventBus().send(EventBusPort.txAddress("vmbus0"),
                    io.vertx.core.buffer.Buffer.buffer(NetvscDataTest.frame(100, 1)));
            dev.vmbus.channel.Packet p;
            do {
                p = host.next();
            } while (p.isCompletion());
            host.complete(p.transactionId(), new NvspMessage.RndisPacketComplete(Nvsp.STATUS_SUCCESS));
            host.complete(p.transactionId(), new NvspMessage.RndisPacketComplete(Nvsp.STATUS_SUCCESS));
        }), "already completed");
    }
}
