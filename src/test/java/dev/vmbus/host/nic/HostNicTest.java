package dev.vmbus.host.nic;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.net.LoopbackPort;
import dev.vmbus.net.NetCodecException;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.PerPacketInfo;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.ring.GpaRanges;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.TransferPageRanges;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.GuestPages;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.OfferListener;
import dev.vmbus.transport.SharedGuestMemory;
import dev.vmbus.transport.sim.SimBus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The simulated host's NIC over {@code sim}, with the test playing the guest through the net codecs: every host
 * answer checked byte by byte against spec §5.1, frames through the loopback backend both ways, and each guest
 * mistake ending only the NIC's channel with the reason (an echo channel beside it keeps answering).
 */
class HostNicTest {
    private static final int NIC_RELID = 20;
    private static final int ECHO_RELID = 21;
    /** 32 pages: 72 slots of 1806 bytes at the NDIS MTU 1514. */
    private static final long RECEIVE_BYTES = 32 * 4096;
    /** 16 pages: 10 sections of 6144 bytes. */
    private static final long SEND_BYTES = 16 * 4096;
    private static final long TIMEOUT_S = 10;

    private Vertx vertx;
    private Context hostContext;
    private Context guestContext;
    private SimBus bus;
    private HostNic nic;
    private LoopbackPort port;
    private ChannelDriver guest;
    private ChannelLink guestLink;
    private ChannelDriver echo;
    private GuestPages pages;
    private final LinkedBlockingQueue<Packet> received = new LinkedBlockingQueue<>();
    private final LinkedBlockingQueue<Packet> echoed = new LinkedBlockingQueue<>();
    private final CompletableFuture<EndReason> guestEnded = new CompletableFuture<>();
    private final LinkedBlockingQueue<Offer> offers = new LinkedBlockingQueue<>();
    private long nextId = 1;

    void open(VmbusConfig.Nic config) throws Exception {
        vertx = Vertx.vertx();
        hostContext = vertx.getOrCreateContext();
        guestContext = vertx.getOrCreateContext();
        bus = new SimBus(vertx);
        bus.host().start().await(TIMEOUT_S, TimeUnit.SECONDS);
        SharedGuestMemory memory = bus.host().guestMemory(32 * 4096).await(TIMEOUT_S, TimeUnit.SECONDS);
        port = new LoopbackPort(1000, config.mtu() + 14);
        int[] subRelids = {NIC_RELID + 10};
        CompletableFuture<Void> started = new CompletableFuture<>();
        hostContext.runOnContext(v -> {
            nic = new HostNic(hostContext, bus.host(), new Offer(NIC_RELID, HostNic.CLASS_ID, UUID.randomUUID(), 0,
                    64 * 1024), config, new HostTransport.Buffers(RECEIVE_BYTES, SEND_BYTES), memory, port,
                    () -> subRelids[0]++);
            nic.start().compose(x -> bus.host().offer(new Offer(ECHO_RELID, UUID.randomUUID(), UUID.randomUUID(), 0,
                    16 * 1024), new HostTransport.ChannelListener() {
                @Override
                public void opened(ChannelLink link) {
                    ChannelDriver[] d = new ChannelDriver[1];
                    d[0] = ChannelDriver.host(link, hostContext, 0,
                            p -> d[0].send(p.payload(), p.transactionId(), PacketType.DATA_INBAND, 0));
                }

                @Override
                public void closed(int relid, EndReason reason) {
                }
            })).onComplete(ar -> {
                if (ar.succeeded()) {
                    started.complete(null);
                } else {
                    started.completeExceptionally(ar.cause());
                }
            });
        });
        started.get(TIMEOUT_S, TimeUnit.SECONDS);
        bus.guest().start(guestContext, new OfferListener() {
            @Override
            public void offered(Offer offer) {
                offers.add(offer);
            }

            @Override
            public void rescinded(int relid) {
            }
        }).await(TIMEOUT_S, TimeUnit.SECONDS);
        Offer nicOffer = null;
        Offer echoOffer = null;
        for (int i = 0; i < 2; i++) {
            Offer o = offers.poll(TIMEOUT_S, TimeUnit.SECONDS);
            assertNotNull(o);
            if (o.relid() == NIC_RELID) {
                nicOffer = o;
            } else {
                echoOffer = o;
            }
        }
        Offer n = nicOffer;
        Offer e = echoOffer;
        CompletableFuture<Void> opened = new CompletableFuture<>();
        guestContext.runOnContext(v -> bus.guest().open(n).compose(link -> {
            guestLink = link;
            guest = ChannelDriver.guest(link, guestContext, 0, received::add).endHandler(guestEnded::complete);
            return bus.guest().open(e);
        }).onComplete(ar -> {
            echo = ChannelDriver.guest(ar.result(), guestContext, 0, echoed::add);
            opened.complete(null);
        }));
        opened.get(TIMEOUT_S, TimeUnit.SECONDS);
        pages = bus.guest().guestMemory().allocate(2);
    }

    @AfterEach
    void close() throws Exception {
        if (vertx != null) {
            vertx.close().await(TIMEOUT_S, TimeUnit.SECONDS);
        }
    }

    private static VmbusConfig.Nic config() {
        return VmbusConfig.Nic.DISABLED.withEnabled(true).withBackend("loopback");
    }

    private <T> T onHost(Supplier<T> action) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        hostContext.runOnContext(v -> result.complete(action.get()));
        return result.get(TIMEOUT_S, TimeUnit.SECONDS);
    }

    private void send(ChannelDriver driver, byte[] payload, long id, int type, int flags, GpaRanges ranges)
            throws Exception {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        guestContext.runOnContext(v -> driver.send(payload, id, type, flags, null, ranges).onComplete((x, e) -> {
            if (e != null) {
                sent.completeExceptionally(e);
            } else {
                sent.complete(null);
            }
        }));
        sent.get(TIMEOUT_S, TimeUnit.SECONDS);
    }

    /** Sends an NVSP message in band; with RC it carries a fresh transaction id, which is returned. */
    private long nvsp(NvspMessage m, boolean rc) throws Exception {
        long id = rc ? nextId++ : 0;
        send(guest, m.encode(), id, PacketType.DATA_INBAND, rc ? PacketLayout.FLAG_COMPLETION_REQUESTED : 0, null);
        return id;
    }

    private Packet next() throws Exception {
        Packet p = received.poll(TIMEOUT_S, TimeUnit.SECONDS);
        assertNotNull(p, "the host answered nothing");
        return p;
    }

    /** The next packet, which must be the completion of {@code id}; its payload. */
    private byte[] completion(long id) throws Exception {
        Packet p = next();
        assertEquals(PacketType.COMP, p.type(), "expected a completion, got " + p);
        assertEquals(id, p.transactionId());
        assertEquals(0, p.flags());
        return p.payload();
    }

    /** {@code payload} is {@code expected} followed by nothing but the ring's zero padding to 8 bytes. */
    private static void assertNvsp(byte[] expected, byte[] payload) {
        assertEquals((expected.length + 7) / 8 * 8, payload.length, "payload length");
        assertArrayEquals(expected, Arrays.copyOf(payload, expected.length));
        for (int i = expected.length; i < payload.length; i++) {
            assertEquals(0, payload[i], "padding byte " + i);
        }
    }

    private static byte[] words(int size, int... values) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }

    /** An RNDIS control message GPA-direct from guest memory, as Linux and DPDK send it; returns its id. */
    private long control(RndisMessage m) throws Exception {
        byte[] bytes = m.encode();
        MemorySegment.copy(bytes, 0, pages.memory(), ValueLayout.JAVA_BYTE, 100, bytes.length);
        GpaRanges ranges = new GpaRanges().add(bytes.length, 100, pages.pfns(100, bytes.length), 0);
        long id = nextId++;
        send(guest, new NvspMessage.RndisPacket(Nvsp.CHANNEL_CONTROL, Nvsp.NO_SECTION, 0).encode(), id,
                PacketType.DATA_USING_GPA_DIRECT, PacketLayout.FLAG_COMPLETION_REQUESTED, ranges);
        return id;
    }

    /** The next transfer-page packet's RNDIS messages, read from the receive buffer; it is completed. */
    private List<RndisMessage> transferPages(int channelType) throws Exception {
        return transferPages(next(), channelType);
    }

    private List<RndisMessage> transferPages(Packet p, int channelType) throws Exception {
        return transferPages(guest, p, channelType);
    }

    private List<RndisMessage> transferPages(ChannelDriver on, Packet p, int channelType) throws Exception {
        assertEquals(PacketType.DATA_USING_XFER_PAGES, p.type(), "expected transfer pages, got " + p);
        assertTrue(p.completionRequested());
        assertArrayEquals(new NvspMessage.RndisPacket(channelType, Nvsp.NO_SECTION, 0).encode(),
                Arrays.copyOf(p.payload(), Nvsp.MESSAGE_SIZE_V61));
        TransferPageRanges ranges = p.transferPages();
        assertEquals(Nvsp.RECEIVE_BUFFER_ID, ranges.pageSetId());
        ChannelBuffer recv = guestLink.buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow();
        List<RndisMessage> out = new ArrayList<>();
        for (int i = 0; i < ranges.count(); i++) {
            long offset = Integer.toUnsignedLong(ranges.byteOffset(i));
            assertEquals(0, offset % 1806, "ranges start at slot boundaries");
            out.add(RndisMessage.decode(recv.read(offset, ranges.byteCount(i))));
        }
        send(on, new NvspMessage.RndisPacketComplete(Nvsp.STATUS_SUCCESS).encode(), p.transactionId(),
                PacketType.COMP, 0, null);
        return out;
    }

    private RndisMessage controlReply() throws Exception {
        List<RndisMessage> m = transferPages(Nvsp.CHANNEL_CONTROL);
        assertEquals(1, m.size());
        return m.get(0);
    }

    /** INIT at 6.1, NDIS config and version, both buffers: every answer's bytes checked. */
    private void initialise() throws Exception {
        long id = nvsp(new NvspMessage.Init(Nvsp.VERSION_61, Nvsp.VERSION_61), true);
        assertNvsp(words(40, Nvsp.TYPE_INIT_COMPLETE, 0xFFFFFFFF, 34, Nvsp.STATUS_SUCCESS), completion(id));
        nvsp(new NvspMessage.NdisConfig(1514, Nvsp.CAP_IEEE8021Q | Nvsp.CAP_SRIOV), false);
        nvsp(new NvspMessage.NdisVersion(6, 30), false);
        ChannelBuffer recv = guestLink.buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow();
        id = nvsp(new NvspMessage.SendReceiveBuffer(recv.gpadl(), Nvsp.RECEIVE_BUFFER_ID), true);
        int slot = 256 + 1514 + 36;
        int count = (int) (RECEIVE_BYTES / slot);
        assertEquals(72, count);
        assertNvsp(words(40, Nvsp.TYPE_SEND_RECV_BUF_COMPLETE, Nvsp.STATUS_SUCCESS, 1, 0, slot, count,
                slot * count), completion(id));
        ChannelBuffer send = guestLink.buffer(ChannelBuffer.Kind.SEND).orElseThrow();
        id = nvsp(new NvspMessage.SendSendBuffer(send.gpadl(), 0), true);
        assertNvsp(words(40, Nvsp.TYPE_SEND_SEND_BUF_COMPLETE, Nvsp.STATUS_SUCCESS, 6144), completion(id));
    }

    /** RNDIS INITIALIZE (answer and link indication checked), then the packet filter. */
    private void rndisUp(int filter) throws Exception {
        long id = control(new RndisMessage.InitializeRequest(7, 1, 0, 0x4000));
        assertNvsp(words(40, Nvsp.TYPE_SEND_RNDIS_PKT_COMPLETE, Nvsp.STATUS_SUCCESS), completion(id));
        RndisMessage reply = controlReply();
        assertArrayEquals(words(52, Rndis.TYPE_INITIALIZE_COMPLETE, 52, 7, Rndis.STATUS_SUCCESS, 1, 0, 1, 0, 8,
                0xEFFFFFFF, 3, 0, 0), reply.encode());
        assertEquals(new RndisMessage.IndicateStatus(Rndis.STATUS_MEDIA_CONNECT, new byte[0]), controlReply());
        id = control(new RndisMessage.Set(8, Rndis.OID_GEN_CURRENT_PACKET_FILTER, words(4, filter)));
        completion(id);
        assertEquals(new RndisMessage.SetComplete(8, Rndis.STATUS_SUCCESS), controlReply());
    }

    private RndisMessage.QueryComplete query(int rid, int oid) throws Exception {
        completion(control(new RndisMessage.Query(rid, oid, new byte[0])));
        return assertInstanceOf(RndisMessage.QueryComplete.class, controlReply());
    }

    @Test
    void bringUpAnswersEveryStepAsNetvspDoes() throws Exception {
        open(config());
        // versions are tried newest first; one the host does not speak is answered NONE, and the guest goes on
        long id = nvsp(new NvspMessage.Init(0x70000, 0x70000), true);
        assertNvsp(words(28, Nvsp.TYPE_INIT_COMPLETE, 0xFFFFFFFF, 34, Nvsp.STATUS_NONE), completion(id));
        initialise();
        rndisUp(Rndis.FILTER_DIRECTED | Rndis.FILTER_BROADCAST | Rndis.FILTER_ALL_MULTICAST);
        assertEquals(new RndisMessage.QueryComplete(10, Rndis.STATUS_SUCCESS, words(4, 1500)),
                query(10, Rndis.OID_GEN_MAXIMUM_FRAME_SIZE));
        assertEquals(new RndisMessage.QueryComplete(11, Rndis.STATUS_SUCCESS, HostNic.parseMac("00:15:5d:56:4d:01")),
                query(11, Rndis.OID_802_3_PERMANENT_ADDRESS));
        assertEquals(new RndisMessage.QueryComplete(12, Rndis.STATUS_SUCCESS, words(4, Rndis.MEDIA_STATE_CONNECTED)),
                query(12, Rndis.OID_GEN_MEDIA_CONNECT_STATUS));
        assertEquals(new RndisMessage.QueryComplete(13, Rndis.STATUS_SUCCESS, words(4, 100_000_000)),
                query(13, Rndis.OID_GEN_LINK_SPEED));
        RndisMessage.QueryComplete rss = query(14, Rndis.OID_GEN_RECEIVE_SCALE_CAPABILITIES);
        ByteBuffer caps = ByteBuffer.wrap(rss.info()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(20, rss.info().length);
        assertEquals(0x88, caps.get(0) & 0xFF);
        assertEquals(2, caps.get(1));
        assertEquals(20, caps.getShort(2));
        assertEquals(1, caps.getInt(12), "one receive queue");
        assertEquals(128, caps.getShort(16), "a 128-entry indirection table");
        RndisMessage.QueryComplete offload = query(15, Rndis.OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES);
        assertEquals(156, offload.info().length);
        assertEquals(0xA7, offload.info()[0] & 0xFF);
        assertEquals(new RndisMessage.QueryComplete(16, Rndis.STATUS_NOT_SUPPORTED, new byte[0]),
                query(16, 0x00010202));
        completion(control(new RndisMessage.KeepAlive(17)));
        assertEquals(new RndisMessage.KeepAliveComplete(17, Rndis.STATUS_SUCCESS), controlReply());
        JsonObject state = onHost(() -> nic.state());
        assertEquals("active", state.getString("phase"));
        assertEquals("6.1", state.getString("nvspVersion"));
        assertEquals("6.30", state.getString("ndisVersion"));
        assertEquals(0, state.getJsonObject("receiveSlots").getInteger("inUse"), "every slot came back");
    }

    /** A frame written into send section {@code section} as Linux writes a chimney send. */
    private long sendFrame(int section, byte[] frame) throws Exception {
        byte[] message = new RndisMessage.Packet(frame, List.of()).encode();
        guestLink.buffer(ChannelBuffer.Kind.SEND).orElseThrow().write((long) section * 6144, message);
        long id = nextId++;
        send(guest, new NvspMessage.RndisPacket(Nvsp.CHANNEL_DATA, section, message.length).encode(), id,
                PacketType.DATA_INBAND, PacketLayout.FLAG_COMPLETION_REQUESTED, null);
        return id;
    }

    private static byte[] frame(int n) {
        byte[] f = new byte[60 + n % 1000];
        for (int i = 0; i < f.length; i++) {
            f[i] = (byte) (n + i * 13);
        }
        f[0] = 0x00;
        return f;
    }

    @Test
    void framesTheGuestSendsComeBackThroughTheLoopbackNoneLost() throws Exception {
        open(config());
        initialise();
        rndisUp(Rndis.FILTER_DIRECTED | Rndis.FILTER_BROADCAST);
        int frames = 300;
        List<byte[]> back = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            long id = sendFrame(i % 10, frame(i));
            // the completion and looped frames may interleave: take frames until the completion comes
            for (int guard = 0; guard <= frames; guard++) {
                Packet p = next();
                if (p.type() == PacketType.COMP) {
                    assertEquals(id, p.transactionId());
                    assertNvsp(words(40, Nvsp.TYPE_SEND_RNDIS_PKT_COMPLETE, Nvsp.STATUS_SUCCESS), p.payload());
                    break;
                }
                collect(p, back);
            }
        }
        for (int guard = 0; back.size() < frames && guard < frames; guard++) {
            collect(next(), back);
        }
        assertEquals(frames, back.size());
        for (int i = 0; i < frames; i++) {
            assertArrayEquals(frame(i), back.get(i), "frame " + i);
        }
        JsonObject state = onHost(() -> nic.state());
        JsonObject q0 = state.getJsonArray("queues").getJsonObject(0);
        assertEquals(frames, q0.getLong("framesFromGuest"));
        assertEquals(frames, q0.getLong("framesToGuest"));
        assertEquals(q0.getLong("bytesFromGuest"), q0.getLong("bytesToGuest"));
        assertEquals(frames, port.stats().framesOut());
        assertEquals(frames, port.stats().framesIn());
        assertEquals(0, state.getJsonObject("drops").getLong("filter"));
    }

    /** Reads the next transfer-page packet of frames into {@code back}, checking each frame's PPI. */
    private void collect(Packet packet, List<byte[]> back) throws Exception {
        for (RndisMessage m : transferPages(packet, Nvsp.CHANNEL_DATA)) {
            RndisMessage.Packet p = assertInstanceOf(RndisMessage.Packet.class, m);
            assertEquals(List.of(PerPacketInfo.u32(PerPacketInfo.TYPE_CHECKSUM, 0)), p.info());
            back.add(p.frame());
        }
    }

    @Test
    void framesAreDroppedWhileThePacketFilterIsNone() throws Exception {
        open(config());
        initialise();
        rndisUp(Rndis.FILTER_NONE);
        long id = sendFrame(0, frame(1));
        assertEquals(id, next().transactionId());
        long id2 = control(new RndisMessage.KeepAlive(30));
        completion(id2);
        assertEquals(new RndisMessage.KeepAliveComplete(30, Rndis.STATUS_SUCCESS), controlReply());
        assertEquals(1L, (long) onHost(() -> nic.state().getJsonObject("drops").getLong("filter")));
    }

    /** Runs {@code mistake} and checks the NIC's channel ended with {@code reason}, the echo channel unharmed. */
    private void endsOnlyTheNicChannel(String reason) throws Exception {
        EndReason ended = guestEnded.get(TIMEOUT_S, TimeUnit.SECONDS);
        assertEquals(EndReason.Kind.HOST_RESCINDED, ended.kind());
        String fault = onHost(() -> nic.fault());
        assertEquals("queue 0 (relid " + NIC_RELID + "): " + reason, fault);
        assertEquals(HostNic.Phase.FAULTED, onHost(() -> nic.phase()));
        send(echo, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, 99, PacketType.DATA_INBAND, 0, null);
        Packet p = echoed.poll(TIMEOUT_S, TimeUnit.SECONDS);
        assertNotNull(p, "the echo channel no longer answers");
        assertEquals(99, p.transactionId());
    }

    @Test
    void aSecondNdisConfigEndsOnlyTheNicChannel() throws Exception {
        open(config());
        initialise();
        nvsp(new NvspMessage.NdisConfig(1514, 0), false);
        endsOnlyTheNicChannel("a second NDIS_CONFIG (it is accepted once)");
    }

    @Test
    void theReceiveBufferBeforeNdisConfigEndsOnlyTheNicChannel() throws Exception {
        open(config());
        long id = nvsp(new NvspMessage.Init(Nvsp.VERSION_5, Nvsp.VERSION_5), true);
        assertNvsp(words(28, Nvsp.TYPE_INIT_COMPLETE, 0xFFFFFFFF, 34, Nvsp.STATUS_SUCCESS), completion(id));
        int gpadl = guestLink.buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow().gpadl();
        nvsp(new NvspMessage.SendReceiveBuffer(gpadl, Nvsp.RECEIVE_BUFFER_ID), true);
        endsOnlyTheNicChannel("SEND_RECV_BUF before NDIS_CONFIG: the slot size needs the MTU");
    }

    @Test
    void aSectionIndexPastTheSendBufferEndsOnlyTheNicChannel() throws Exception {
        open(config());
        initialise();
        rndisUp(Rndis.FILTER_DIRECTED);
        send(guest, new NvspMessage.RndisPacket(Nvsp.CHANNEL_DATA, 10, 64).encode(), 500, PacketType.DATA_INBAND,
                PacketLayout.FLAG_COMPLETION_REQUESTED, null);
        endsOnlyTheNicChannel("NVSP 107 names send section 10; the send buffer has 10");
    }

    @Test
    void aPacketMessageWhoseFrameRunsPastItEndsOnlyTheNicChannel() throws Exception {
        open(config());
        initialise();
        rndisUp(Rndis.FILTER_DIRECTED);
        byte[] message = new RndisMessage.Packet(frame(3), List.of()).encode();
        ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN).putInt(12, 4000); // data_len past msg_len
        guestLink.buffer(ChannelBuffer.Kind.SEND).orElseThrow().write(0, message);
        send(guest, new NvspMessage.RndisPacket(Nvsp.CHANNEL_DATA, 0, message.length).encode(), 501,
                PacketType.DATA_INBAND, PacketLayout.FLAG_COMPLETION_REQUESTED, null);
        EndReason ended = guestEnded.get(TIMEOUT_S, TimeUnit.SECONDS);
        assertEquals(EndReason.Kind.HOST_RESCINDED, ended.kind());
        String fault = onHost(() -> nic.fault());
        assertTrue(fault.startsWith("queue 0 (relid " + NIC_RELID + "): PACKET_DATA_RANGE: PACKET_MSG data_len 4000"),
                fault);
        assertTrue(onHost(() -> nic.drivers().isEmpty()), "the faulted queue is gone");
    }

    @Test
    void anRndisPacketWithoutATransactionIdEndsOnlyTheNicChannel() throws Exception {
        open(config());
        initialise();
        rndisUp(Rndis.FILTER_DIRECTED);
        byte[] message = new RndisMessage.Packet(frame(4), List.of()).encode();
        guestLink.buffer(ChannelBuffer.Kind.SEND).orElseThrow().write(0, message);
        send(guest, new NvspMessage.RndisPacket(Nvsp.CHANNEL_DATA, 0, message.length).encode(), 0,
                PacketType.DATA_INBAND, 0, null);
        endsOnlyTheNicChannel("NVSP 107 without a transaction id (completion not requested)");
    }

    /** An IPv6 UDP frame of flow {@code flow} (its source port), to the NIC's MAC. */
    private static byte[] udp6(int flow, int n) {
        byte[] f = new byte[14 + 40 + 8 + 16];
        ByteBuffer b = ByteBuffer.wrap(f);
        b.put(HostNic.parseMac("00:15:5d:56:4d:01")).put(new byte[] {2, 0, 0, 0, 0, 9});
        b.putShort((short) 0x86DD);
        b.put((byte) 0x60).put(new byte[3]).putShort((short) 24).put((byte) 17).put((byte) 64);
        b.put(new byte[] {(byte) 0xfe, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
        b.put(new byte[] {(byte) 0xfe, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
        b.putShort((short) (40000 + flow)).putShort((short) 5001).putShort((short) 24).putShort((short) 0);
        b.putInt(flow).putInt(n);
        return f;
    }

    private static byte[] rssParameters(int queues) {
        int table = 128 * 4;
        byte[] p = new byte[40 + table + 40];
        ByteBuffer b = ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) 0x89).put(1, (byte) 2).putShort(2, (short) 40);
        b.putInt(8, 0x1 | 0x400 | 0x1000);
        b.putShort(12, (short) table).putInt(16, 40);
        b.putShort(20, (short) 40).putInt(24, 40 + table);
        for (int i = 0; i < 128; i++) {
            b.putInt(40 + 4 * i, i % queues);
        }
        return p;
    }

    @Test
    void subchannelsAreGrantedOfferedAndFramesSpreadOverTheQueuesByFlow() throws Exception {
        open(config().withQueues(3));
        initialise();
        rndisUp(Rndis.FILTER_DIRECTED | Rndis.FILTER_BROADCAST);
        ByteBuffer caps = ByteBuffer.wrap(query(20, Rndis.OID_GEN_RECEIVE_SCALE_CAPABILITIES).info())
                .order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(3, caps.getInt(12));
        long id = nvsp(new NvspMessage.SubchannelRequest(Nvsp.SUBCHANNEL_ALLOCATE, 2), true);
        assertNvsp(words(40, Nvsp.TYPE_SUBCHANNEL, Nvsp.STATUS_SUCCESS, 2), completion(id));
        Packet table = next();
        assertEquals(PacketType.DATA_INBAND, table.type());
        assertEquals(new NvspMessage.IndirectionTable(List.of(0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0)),
                NvspMessage.decode(table.payload(), false));
        List<ChannelDriver> subs = new ArrayList<>();
        List<LinkedBlockingQueue<Packet>> inboxes = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Offer o = offers.poll(TIMEOUT_S, TimeUnit.SECONDS);
            assertNotNull(o, "subchannel " + (i + 1) + " was not offered");
            assertEquals(HostNic.CLASS_ID, o.classId());
            assertEquals(i + 1, o.subchannel());
            LinkedBlockingQueue<Packet> inbox = new LinkedBlockingQueue<>();
            CompletableFuture<ChannelDriver> opened = new CompletableFuture<>();
            guestContext.runOnContext(v -> bus.guest().open(o).onComplete(ar ->
                    opened.complete(ChannelDriver.guest(ar.result(), guestContext, 0, inbox::add))));
            subs.add(opened.get(TIMEOUT_S, TimeUnit.SECONDS));
            inboxes.add(inbox);
        }
        // the host opens its side of each subchannel on its own context: wait (bounded) until all three are there
        for (int guard = 0; onHost(() -> nic.drivers().size()) < 3 && guard < 3000; guard++) {
            Thread.sleep(10);
        }
        assertEquals(3, onHost(() -> nic.drivers().size()));
        completion(control(new RndisMessage.Set(21, Rndis.OID_GEN_RECEIVE_SCALE_PARAMETERS, rssParameters(3))));
        assertEquals(new RndisMessage.SetComplete(21, Rndis.STATUS_SUCCESS), controlReply());

        int flows = 24;
        int[] perQueue = new int[3];
        int got = 0;
        for (int i = 0; i < flows; i++) {
            id = sendFrame(i % 10, udp6(i, 0));
            for (int guard = 0; guard <= flows; guard++) { // frames looped to the primary come in between
                Packet p = next();
                if (p.type() == PacketType.COMP) {
                    assertEquals(id, p.transactionId());
                    break;
                }
                int n = transferPages(guest, p, Nvsp.CHANNEL_DATA).size();
                perQueue[0] += n;
                got += n;
            }
        }
        List<LinkedBlockingQueue<Packet>> all = List.of(received, inboxes.get(0), inboxes.get(1));
        List<ChannelDriver> drivers = List.of(guest, subs.get(0), subs.get(1));
        for (int guard = 0; got < flows && guard < 1000; guard++) {
            for (int q = 0; q < 3; q++) {
                Packet p = all.get(q).poll(10, TimeUnit.MILLISECONDS);
                if (p != null) {
                    int n = transferPages(drivers.get(q), p, Nvsp.CHANNEL_DATA).size();
                    perQueue[q] += n;
                    got += n;
                }
            }
        }
        assertEquals(flows, got);
        for (int q = 0; q < 3; q++) {
            assertTrue(perQueue[q] > 0, "queue " + q + " received none of " + flows + " flows: "
                    + Arrays.toString(perQueue));
        }
        JsonObject state = onHost(() -> nic.state());
        assertEquals(2, state.getInteger("subchannelsGranted"));
        assertEquals(3, state.getJsonArray("queues").size());
    }

    @Test
    void theInitKnobsBreakWhatTheGuestChecks() throws Exception {
        open(config().withFaults(VmbusConfig.NicFaults.NONE.with("failInit", true)));
        long id = nvsp(new NvspMessage.Init(Nvsp.VERSION_61, Nvsp.VERSION_61), true);
        assertNvsp(words(40, Nvsp.TYPE_INIT_COMPLETE, 0xFFFFFFFF, 34, Nvsp.STATUS_FAIL), completion(id));
        hostContext.runOnContext(v -> nic.faults(VmbusConfig.NicFaults.NONE.with("nvspGarbage", true)));
        id = nvsp(new NvspMessage.Init(Nvsp.VERSION_6, Nvsp.VERSION_6), true);
        byte[] garbage = completion(id);
        assertEquals(HostNic.GARBAGE_NVSP_TYPE, ByteBuffer.wrap(garbage).order(ByteOrder.LITTLE_ENDIAN).getInt(0));
    }

    @Test
    void theBufferKnobsBreakWhatTheGuestChecks() throws Exception {
        open(config().withFaults(VmbusConfig.NicFaults.NONE.with("twoReceiveSections", true)
                .with("zeroSectionSize", true)));
        long id = nvsp(new NvspMessage.Init(Nvsp.VERSION_61, Nvsp.VERSION_61), true);
        completion(id);
        nvsp(new NvspMessage.NdisConfig(1514, 0), false);
        nvsp(new NvspMessage.NdisVersion(6, 30), false);
        id = nvsp(new NvspMessage.SendReceiveBuffer(guestLink.buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow().gpadl(),
                Nvsp.RECEIVE_BUFFER_ID), true);
        NvspMessage.ReceiveBufferComplete r = assertInstanceOf(NvspMessage.ReceiveBufferComplete.class,
                NvspMessage.decode(completion(id), true));
        assertEquals(2, r.sections().size(), "nsect != 1");
        id = nvsp(new NvspMessage.SendSendBuffer(guestLink.buffer(ChannelBuffer.Kind.SEND).orElseThrow().gpadl(), 0),
                true);
        assertNvsp(words(40, Nvsp.TYPE_SEND_SEND_BUF_COMPLETE, Nvsp.STATUS_SUCCESS, 0), completion(id));
    }

    @Test
    void theReceiveKnobsBreakWhatTheGuestChecks() throws Exception {
        open(config());
        initialise();
        rndisUp(Rndis.FILTER_DIRECTED);
        hostContext.runOnContext(v -> nic.faults(VmbusConfig.NicFaults.NONE.with("wrongPageSetId", true)
                .with("rangePastBuffer", true).with("transactionIdPastSlots", true)
                .with("withholdCompletions", true)));
        sendFrame(0, frame(5));
        Packet p = next(); // no completion for the guest's packet: the looped frame is what comes
        assertEquals(PacketType.DATA_USING_XFER_PAGES, p.type());
        assertEquals(Nvsp.RECEIVE_BUFFER_ID ^ 0x5A5A, p.transferPages().pageSetId());
        assertEquals(RECEIVE_BYTES, Integer.toUnsignedLong(p.transferPages().byteOffset(0)));
        assertEquals(73, p.transactionId(), "past the 72 slots");
        assertNull(received.poll(200, TimeUnit.MILLISECONDS), "the guest's packet was completed after all");
    }

    @Test
    void theRndisGarbageKnobSendsAnInitializeAnswerThatRunsPastItsRange() throws Exception {
        open(config().withFaults(VmbusConfig.NicFaults.NONE.with("rndisGarbage", true)));
        initialise();
        long id = control(new RndisMessage.InitializeRequest(7, 1, 0, 0x4000));
        completion(id);
        Packet p = next();
        TransferPageRanges ranges = p.transferPages();
        byte[] bytes = guestLink.buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow()
                .read(Integer.toUnsignedLong(ranges.byteOffset(0)), ranges.byteCount(0));
        NetCodecException e = assertThrows(NetCodecException.class, () -> RndisMessage.decode(bytes));
        assertEquals(NetCodecException.Malformation.RNDIS_LENGTH, e.malformation());
    }

    @Test
    void theSmallerGrantKnobGrantsOneSubchannelFewer() throws Exception {
        open(config().withQueues(4).withFaults(VmbusConfig.NicFaults.NONE.with("smallerGrant", true)));
        initialise();
        rndisUp(Rndis.FILTER_DIRECTED);
        long id = nvsp(new NvspMessage.SubchannelRequest(Nvsp.SUBCHANNEL_ALLOCATE, 3), true);
        assertNvsp(words(40, Nvsp.TYPE_SUBCHANNEL, Nvsp.STATUS_SUCCESS, 2), completion(id));
    }

    @Test
    void withNoFreeReceiveSlotTheHostPausesItsPortAndLosesNothing() throws Exception {
        open(config());
        initialise();
        rndisUp(Rndis.FILTER_DIRECTED);
        int frames = 150; // more than the 72 slots, fewer than the loop holds
        List<Packet> held = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            long id = sendFrame(i % 10, frame(i));
            for (int guard = 0; guard <= frames; guard++) {
                Packet p = next();
                if (p.type() == PacketType.COMP) {
                    assertEquals(id, p.transactionId());
                    break;
                }
                held.add(p); // the guest keeps these slots for now
            }
        }
        // The looped frames reach the guest as the loop hands them over: wait (bounded) until every data slot is
        // used, then check that nothing more comes (the host pauses instead of overrunning its slots).
        int dataSlots = 72 - HostNic.CONTROL_SLOTS;
        int inHeld = held.stream().mapToInt(p -> p.transferPages().count()).sum();
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); inHeld < dataSlots && System.nanoTime() < end; ) {
            Packet p = received.poll(100, TimeUnit.MILLISECONDS);
            if (p != null) {
                held.add(p);
                inHeld += p.transferPages().count();
            }
        }
        for (Packet p; (p = received.poll(200, TimeUnit.MILLISECONDS)) != null; ) {
            held.add(p);
            inHeld += p.transferPages().count();
        }
        assertEquals(dataSlots, inHeld, "data fills every slot but the control reserve");
        // The loop may still be handing the last frames to the host's port: wait (bounded) until all are there.
        JsonObject state = onHost(() -> nic.state());
        for (int guard = 0; guard < 3000 && !(state.getJsonObject("port").getBoolean("paused")
                && frames - dataSlots == waiting(state)); guard++) {
            Thread.sleep(10);
            state = onHost(() -> nic.state());
        }
        assertTrue(state.getJsonObject("port").getBoolean("paused"), "the port is paused: " + state.encode());
        assertEquals(frames - inHeld, waiting(state), state.encode());
        List<byte[]> back = new ArrayList<>();
        for (Packet p : held) {
            collect(p, back);
        }
        for (int guard = 0; back.size() < frames && guard < frames; guard++) {
            collect(next(), back);
        }
        assertEquals(frames, back.size());
        for (int i = 0; i < frames; i++) {
            assertArrayEquals(frame(i), back.get(i), "frame " + i);
        }
        assertFalse(onHost(() -> nic.state().getJsonObject("port").getBoolean("paused")));
        assertEquals(0L, (long) onHost(() -> nic.state().getJsonObject("drops").getLong("backlog")));
    }

    @Test
    void aLinkDownBeforeInitializeIsIndicatedAndQueried() throws Exception {
        open(config());
        hostContext.runOnContext(v -> nic.link(false));
        initialise();
        long id = control(new RndisMessage.InitializeRequest(7, 1, 0, 0x4000));
        completion(id);
        assertInstanceOf(RndisMessage.InitializeComplete.class, controlReply());
        assertEquals(new RndisMessage.IndicateStatus(Rndis.STATUS_MEDIA_DISCONNECT, new byte[0]), controlReply());
        assertEquals(new RndisMessage.QueryComplete(40, Rndis.STATUS_SUCCESS, words(4, Rndis.MEDIA_STATE_DISCONNECTED)),
                query(40, Rndis.OID_GEN_MEDIA_CONNECT_STATUS));
        assertEquals("down", onHost(() -> nic.state().getString("link")));
    }

    /** Frames the host holds for the guest: waiting in its queue plus those its port still queues. */
    private int waiting(JsonObject state) {
        return state.getJsonArray("queues").getJsonObject(0).getInteger("framesWaiting") + port.queued();
    }
}
