package dev.vmbus.host.nic;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.net.FramePort;
import dev.vmbus.net.ForwardingPort;
import dev.vmbus.net.LoopbackPort;
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
import dev.vmbus.runtime.Timers;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.GuestPages;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.OfferListener;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.SharedGuestMemory;
import dev.vmbus.transport.sim.SimBus;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.awaitility.core.ConditionTimeoutException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The guest's end of the simulated host's NIC over {@code sim}, played by a test through the net codecs: the host's
 * NIC on the loopback backend and an echo channel beside it, both opened as the guest, and the guest's bring-up
 * steps (NVSP, buffers, RNDIS) with every host answer checked byte by byte against spec §5.1. The NIC tests of this
 * package ({@link HostNicTest}, {@link HostNicGuestMistakesTest}, {@link HostNicFaultKnobsTest}) drive it.
 */
final class NicGuest implements AutoCloseable {
    static final int NIC_RELID = 20;
    static final int ECHO_RELID = 21;
    /** 32 pages: 72 slots of 1806 bytes at the NDIS MTU 1514. */
    static final long RECEIVE_BYTES = 32 * 4096;
    /** 16 pages: 10 sections of 6144 bytes. */
    static final long SEND_BYTES = 16 * 4096;
    static final long TIMEOUT_S = 10;

    Vertx vertx;
    Context hostContext;
    Context guestContext;
    SimBus bus;
    HostNic nic;
    LoopbackPort port;
    ChannelDriver guest;
    ChannelLink guestLink;
    ChannelDriver echo;
    GuestPages pages;
    final Queue<Packet> received = new ConcurrentLinkedQueue<>();
    final Queue<Packet> echoed = new ConcurrentLinkedQueue<>();
    final Promise<EndReason> guestEnded = Promise.promise();
    final Queue<Offer> offers = new ConcurrentLinkedQueue<>();
    /** The context of each time the host's NIC asked its backend to read at once ({@link FramePort#readNow}). */
    final Queue<Context> readNows = new ConcurrentLinkedQueue<>();
    private long nextId = 1;

    /** Starts the host's NIC and an echo channel on {@code sim}, and opens both as the guest. */
    static NicGuest open(VmbusConfig.Nic config) throws Exception {
        return open(config, null);
    }

    /** As {@link #open(VmbusConfig.Nic)}, the host NIC's timers on {@code timers} (null: Vert.x's). */
    static NicGuest open(VmbusConfig.Nic config, Timers timers) throws Exception {
        NicGuest g = new NicGuest();
        try {
            g.start(config, timers);
            return g;
        } catch (Exception | Error e) {
            g.close();
            throw e;
        }
    }

    private NicGuest() {
    }

    /**
     * {@code port} as it is, except that each {@link FramePort#readNow} is recorded in {@link #readNows} and
     * {@link #failBackend} fails it as a deleted TAP fails its port.
     */
    private FramePort recordingReadNow(LoopbackPort port) {
        return new ForwardingPort(port) {
            @Override
            public void readNow() {
                readNows.add(Vertx.currentContext());
                super.readNow();
            }

            @Override
            public void whenFailed(java.util.function.Consumer<String> failed) {
                backendFailed = failed;
            }
        };
    }

    private volatile java.util.function.Consumer<String> backendFailed;

    /** Fails the host NIC's backend with {@code reason}, from a thread of its own, as a TAP's reader finds it. */
    void failBackend(String reason) throws InterruptedException {
        java.util.function.Consumer<String> f = backendFailed;
        if (f == null) {
            throw new IllegalStateException("the host's NIC did not ask to hear of its backend's failure");
        }
        Thread t = Thread.ofPlatform().name("tap-reader-test").start(() -> f.accept(reason));
        t.join();
    }

    private void start(VmbusConfig.Nic config, Timers timers) throws Exception {
        vertx = Vertx.vertx();
        hostContext = vertx.getOrCreateContext();
        guestContext = vertx.getOrCreateContext();
        bus = new SimBus(vertx);
        bus.host().start().await(TIMEOUT_S, TimeUnit.SECONDS);
        SharedGuestMemory memory = bus.host().guestMemory(32 * 4096).await(TIMEOUT_S, TimeUnit.SECONDS);
        port = new LoopbackPort(1000, config.mtu() + 14);
        OnContext.call(hostContext, () -> {
            nic = new HostNic(hostContext, bus.host(), new Offer(NIC_RELID, HostNic.CLASS_ID, UUID.randomUUID(), 0,
                    64 * 1024), config, new HostTransport.Buffers(RECEIVE_BYTES, SEND_BYTES), memory,
                    recordingReadNow(port), index -> NIC_RELID + 9 + index, timers != null ? timers : Timers.on(hostContext));
            return nic.start().compose(x -> bus.host().offer(new Offer(ECHO_RELID, UUID.randomUUID(),
                    UUID.randomUUID(), 0, 16 * 1024), new HostTransport.ChannelListener() {
                @Override
                public void opened(ChannelLink link) {
                    ChannelDriver[] d = new ChannelDriver[1];
                    d[0] = ChannelDriver.host(link, hostContext, 0,
                            p -> d[0].send(p.payload(), p.transactionId(), PacketType.DATA_INBAND, 0));
                }

                @Override
                public void closed(int relid, EndReason reason) {
                }
            }));
        }).await(TIMEOUT_S, TimeUnit.SECONDS);
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
            Offer o = await("offer " + (i + 1) + " of the NIC's and the echo channel's")
                    .atMost(TIMEOUT_S, TimeUnit.SECONDS).until(offers::poll, Objects::nonNull);
            if (o.relid() == NIC_RELID) {
                nicOffer = o;
            } else {
                echoOffer = o;
            }
        }
        Offer n = nicOffer;
        Offer e = echoOffer;
        echo = OnContext.call(guestContext, () -> bus.guest().open(n).compose(link -> {
            guestLink = link;
            guest = ChannelDriver.guest(link, guestContext, 0, received::add).endHandler(guestEnded::tryComplete);
            return bus.guest().open(e);
        }).map(link -> ChannelDriver.guest(link, guestContext, 0, echoed::add))).await(TIMEOUT_S, TimeUnit.SECONDS);
        pages = bus.guest().guestMemory().allocate(2);
    }

    @Override
    public void close() throws Exception {
        if (vertx != null) {
            vertx.close().await(TIMEOUT_S, TimeUnit.SECONDS);
        }
    }

    /** The host's NIC on the loopback backend, everything else default. */
    static VmbusConfig.Nic config() {
        return VmbusConfig.Nic.DISABLED.withEnabled(true).withBackend("loopback");
    }

    <T> T onHost(Supplier<T> action) throws Exception {
        return OnContext.supply(hostContext, action).await(TIMEOUT_S, TimeUnit.SECONDS);
    }

    /** The host's NIC state once {@code condition} holds for it; fails naming {@code what} and the last state. */
    JsonObject awaitState(Predicate<JsonObject> condition, String what) {
        AtomicReference<JsonObject> last = new AtomicReference<>();
        try {
            return await(what).atMost(30, TimeUnit.SECONDS).until(() -> {
                last.set(onHost(() -> nic.state()));
                return last.get();
            }, condition);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("timed out waiting for " + what + ": " + last.get(), e);
        }
    }

    void send(ChannelDriver driver, byte[] payload, long id, int type, int flags, GpaRanges ranges)
            throws Exception {
        OnContext.call(guestContext, () -> driver.send(payload, id, type, flags, null, ranges))
                .await(TIMEOUT_S, TimeUnit.SECONDS);
    }

    /** Sends an NVSP message in band; with RC it carries a fresh transaction id, which is returned. */
    long nvsp(NvspMessage m, boolean rc) throws Exception {
        long id = rc ? nextId++ : 0;
        send(guest, m.encode(), id, PacketType.DATA_INBAND, rc ? PacketLayout.FLAG_COMPLETION_REQUESTED : 0, null);
        return id;
    }

    /** The host's next packet on the NIC's channel: looked for every millisecond, as a blocking poll notices it. */
    Packet next() {
        return await("the host's answer").atMost(TIMEOUT_S, TimeUnit.SECONDS).pollInSameThread()
                .pollInterval(1, TimeUnit.MILLISECONDS).until(received::poll, Objects::nonNull);
    }

    /** The next packet, which must be the completion of {@code id}; its payload. */
    byte[] completion(long id) throws Exception {
        Packet p = next();
        assertEquals(PacketType.COMP, p.type(), "expected a completion, got " + p);
        assertEquals(id, p.transactionId());
        assertEquals(0, p.flags());
        return p.payload();
    }

    /** {@code payload} is {@code expected} followed by nothing but the ring's zero padding to 8 bytes. */
    static void assertNvsp(byte[] expected, byte[] payload) {
        assertEquals((expected.length + 7) / 8 * 8, payload.length, "payload length");
        assertArrayEquals(expected, Arrays.copyOf(payload, expected.length));
        for (int i = expected.length; i < payload.length; i++) {
            assertEquals(0, payload[i], "padding byte " + i);
        }
    }

    static byte[] words(int size, int... values) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }

    /** An RNDIS control message GPA-direct from guest memory, as Linux and DPDK send it; returns its id. */
    long control(RndisMessage m) throws Exception {
        return control(m, 100);
    }

    /**
     * As {@link #control(RndisMessage)}, from {@code offset} of guest memory: messages sent before the host has
     * read the last need places of their own.
     */
    long control(RndisMessage m, int offset) throws Exception {
        byte[] bytes = m.encode();
        MemorySegment.copy(bytes, 0, pages.memory(), ValueLayout.JAVA_BYTE, offset, bytes.length);
        GpaRanges ranges = new GpaRanges().add(bytes.length, offset % 4096, pages.pfns(offset, bytes.length), 0);
        long id = nextId++;
        send(guest, new NvspMessage.RndisPacket(Nvsp.CHANNEL_CONTROL, Nvsp.NO_SECTION, 0).encode(), id,
                PacketType.DATA_USING_GPA_DIRECT, PacketLayout.FLAG_COMPLETION_REQUESTED, ranges);
        return id;
    }

    /** The next transfer-page packet's RNDIS messages, read from the receive buffer; it is completed. */
    List<RndisMessage> transferPages(int channelType) throws Exception {
        return transferPages(next(), channelType);
    }

    List<RndisMessage> transferPages(Packet p, int channelType) throws Exception {
        return transferPages(guest, p, channelType);
    }

    List<RndisMessage> transferPages(ChannelDriver on, Packet p, int channelType) throws Exception {
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

    RndisMessage controlReply() throws Exception {
        List<RndisMessage> m = transferPages(Nvsp.CHANNEL_CONTROL);
        assertEquals(1, m.size());
        return m.get(0);
    }

    /** INIT at 6.1, NDIS config and version, both buffers: every answer's bytes checked. */
    void initialise() throws Exception {
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
    void rndisUp(int filter) throws Exception {
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

    RndisMessage.QueryComplete query(int rid, int oid) throws Exception {
        completion(control(new RndisMessage.Query(rid, oid, new byte[0])));
        return assertInstanceOf(RndisMessage.QueryComplete.class, controlReply());
    }

    /** A frame written into send section {@code section} as Linux writes a chimney send. */
    long sendFrame(int section, byte[] frame) throws Exception {
        return sendFrame(section, frame, List.of());
    }

    /** {@link #sendFrame(int, byte[])} with per-packet info. */
    long sendFrame(int section, byte[] frame, List<dev.vmbus.net.PerPacketInfo> info) throws Exception {
        byte[] message = new RndisMessage.Packet(frame, info).encode();
        guestLink.buffer(ChannelBuffer.Kind.SEND).orElseThrow().write((long) section * 6144, message);
        long id = nextId++;
        send(guest, new NvspMessage.RndisPacket(Nvsp.CHANNEL_DATA, section, message.length).encode(), id,
                PacketType.DATA_INBAND, PacketLayout.FLAG_COMPLETION_REQUESTED, null);
        return id;
    }

    static byte[] frame(int n) {
        byte[] f = new byte[60 + n % 1000];
        for (int i = 0; i < f.length; i++) {
            f[i] = (byte) (n + i * 13);
        }
        f[0] = 0x00;
        return f;
    }

    /** Reads the next transfer-page packet of frames into {@code back}, checking each frame's PPI. */
    void collect(Packet packet, List<byte[]> back) throws Exception {
        for (RndisMessage m : transferPages(packet, Nvsp.CHANNEL_DATA)) {
            RndisMessage.Packet p = assertInstanceOf(RndisMessage.Packet.class, m);
            assertEquals(List.of(PerPacketInfo.u32(PerPacketInfo.TYPE_CHECKSUM, 0)), p.info());
            back.add(p.frame());
        }
    }

    /** Frames the host holds for the guest: waiting in its queue plus those its port still queues. */
    int waiting(JsonObject state) {
        return state.getJsonArray("queues").getJsonObject(0).getInteger("framesWaiting") + port.queued();
    }
}
