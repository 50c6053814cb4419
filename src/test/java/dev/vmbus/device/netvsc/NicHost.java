package dev.vmbus.device.netvsc;

import dev.vmbus.bus.Addresses;
import dev.vmbus.bus.ChannelEvent;
import dev.vmbus.bus.DeviceRegistry;
import dev.vmbus.bus.LocalCodec;
import dev.vmbus.bus.OneClassPlugin;
import dev.vmbus.bus.VmbusVerticle;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.config.TransportType;
import dev.vmbus.net.NetCodecException;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.ring.GpaRanges;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.TransferPageRanges;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.spi.Reply;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.channel.ChannelClosedException;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.SharedGuestMemory;
import dev.vmbus.transport.sim.SimBus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.awaitility.core.ConditionFactory;
import org.awaitility.core.ConditionTimeoutException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;

/**
 * A scripted NVSP/RNDIS host for the netvsc tests over {@code sim}: the agent with only the netvsc handler, one NIC
 * channel offered with receive and send buffers and guest memory, and the host's end driven from the test thread.
 * {@link #bringUp} answers the guest's bring-up as OpenVMM's netvsp does (spec §5.1), each answer replaceable by a
 * test through {@link NetvspAnswers}; everything the guest sent is kept in {@link #seen} for byte-level checks.
 */
final class NicHost implements AutoCloseable {
    static final UUID CLASS_ID = DeviceClass.byName("netvsc").orElseThrow().classId();
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static final int RELID = 21;
    /** The echo channel beside the NIC ({@link #echo}): a device of its own class answers each packet with it. */
    static final int ECHO_RELID = 40;
    static final UUID ECHO_CLASS = UUID.fromString("6c9d7e0a-3b1f-4e52-9a77-5f0e2d1c8b44");
    /** OpenVMM's receive slot at MTU 1500: 256 + 1514 + 36. */
    static final int SLOT = 1806;
    static final int SECTION = 6144;
    static final byte[] MAC = {0x00, 0x15, 0x5d, 0x01, 0x02, 0x03};
    /** Receive queues the host's RSS capabilities offer. */
    static final int HOST_QUEUES = 4;

    final Vertx vertx;
    final SimBus bus;
    final SharedGuestMemory memory;
    final List<Packet> seen = new CopyOnWriteArrayList<>();
    final List<RndisMessage> rndisSeen = new CopyOnWriteArrayList<>();
    final List<ChannelEvent> events = new CopyOnWriteArrayList<>();
    /** The guest's bus verticle (its channels close in order through {@link VmbusVerticle#closeChannels}). */
    final VmbusVerticle guest;
    private final Context hostContext;
    private final Queue<Packet> received = new ConcurrentLinkedQueue<>();
    /** The echo channel's packets from the guest, and its host end once {@link #echo} offered it. */
    private final Queue<Packet> echoed = new ConcurrentLinkedQueue<>();
    private volatile ChannelDriver echoDriver;
    /** The NIC channel's ended event. */
    private final Promise<ChannelEvent> end = Promise.promise();
    private final Promise<ChannelDriver> driver = Promise.promise();
    private final Map<Integer, Promise<ChannelDriver>> subchannels = new java.util.concurrent.ConcurrentHashMap<>();
    private UUID instance;
    private ChannelLink link;
    /** Next receive slot the host fills (a ring over the slots; tests stay far below the count). */
    private int nextSlot;
    /** Transfer-page packets sent, and the guest's completions seen. */
    private int delivered;
    private int completions;

    NicHost(JsonObject config, HostTransport.Buffers buffers) throws Exception {
        this(config, buffers, new NetvscHandler());
    }

    NicHost(JsonObject config, HostTransport.Buffers buffers, dev.vmbus.spi.DevicePlugin<?> handler) throws Exception {
        vertx = Vertx.vertx();
        try {
            LocalCodec.register(vertx);
            vertx.eventBus().<ChannelEvent>localConsumer(Addresses.CHANNELS, m -> {
                events.add(m.body());
                if (m.body().relid() == RELID && m.body().ended()) {
                    end.tryComplete(m.body());
                }
            });
            bus = new SimBus(vertx);
            hostContext = vertx.getOrCreateContext();
            onHost(() -> bus.host().start());
            memory = onHost(() -> bus.host().guestMemory(16 * 4096));
            DeviceRegistry registry = DeviceRegistry.of(List.of(handler, new OneClassPlugin("echo", ECHO_CLASS,
                            () -> packet -> Future.succeededFuture(Reply.echo()))),
                    Map.of("netvsc", config.copy().put("enabled", true)), TransportType.SIM);
            guest = new VmbusVerticle(bus.guest(), registry, 0);
            vertx.deployVerticle(guest).await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            HostTransport.ChannelListener listener = new HostTransport.ChannelListener() {
                @Override
                public void opened(ChannelLink l) {
                    link = l;
                    driver.complete(ChannelDriver.host(l, hostContext, 0, received::add));
                }

                @Override
                public void closed(int relid, EndReason reason) {
                }
            };
            instance = UUID.randomUUID();
            onHost(() -> bus.host().offer(new Offer(RELID, CLASS_ID, instance, 0, 64 * 1024), buffers,
                    listener));
            driver.future().await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception | AssertionError e) {
            vertx.close();
            throw e;
        }
    }

    static NicHost start() throws Exception {
        return new NicHost(new JsonObject(), HostTransport.Buffers.UIO);
    }

    private <T> T onHost(Supplier<Future<T>> task) throws Exception {
        return OnContext.call(hostContext, task).await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Interrupts (the guest's signals) the host's end of the primary channel has counted. */
    long hostInterrupts() throws Exception {
        return onHost(() -> Future.succeededFuture(driver.future().result().stats().interrupts()));
    }

    ChannelBuffer buffer(ChannelBuffer.Kind kind) {
        return link.buffers().stream().filter(b -> b.kind() == kind).findFirst().orElseThrow();
    }

    /**
     * Awaitility for what comes within milliseconds (a packet, the channel's end): looked for every millisecond on
     * this thread, as a blocking poll would notice it, for at most {@link #TIMEOUT}.
     */
    private static ConditionFactory promptly(String what) {
        return await(what).atMost(TIMEOUT).pollInSameThread().pollInterval(Duration.ofMillis(1));
    }

    /** The guest's next packet on the NIC channel. */
    Packet next() {
        Packet p;
        try {
            p = promptly("a packet from the guest").until(received::poll, Objects::nonNull);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("no packet from the guest within " + TIMEOUT.toSeconds() + " s; events " + events,
                    e);
        }
        seen(p);
        return p;
    }

    private void seen(Packet p) {
        seen.add(p);
        if (p.isCompletion()) {
            completions++;
        }
    }

    /** Waits until the guest has completed every transfer-page packet sent so far. */
    void settle() {
        while (completions < delivered) {
            next();
        }
    }

    /** The guest's next packet if one comes while the channel is open (null once it faulted or closed). */
    Packet nextWhileOpen() {
        Optional<Packet> next;
        try {
            next = promptly("the guest to send or end").until(() -> {
                boolean open = !end.future().isComplete();
                Packet p = received.poll();
                if (p != null) {
                    return Optional.of(p);
                }
                return open ? null : Optional.<Packet>empty(); // ended before that last look at the queue
            }, Objects::nonNull);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("the guest neither sent nor ended within " + TIMEOUT.toSeconds() + " s", e);
        }
        next.ifPresent(this::seen);
        return next.orElse(null);
    }

    /** The NIC channel's ended event, or null while it is open. */
    ChannelEvent ended() {
        return end.future().isComplete() ? end.future().result() : null;
    }

    /** Waits for the NIC channel to fault; returns the reason. */
    String awaitFault() throws Exception {
        ChannelEvent e;
        try {
            e = end.future().await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException timedOut) {
            throw new AssertionError("the NIC channel did not fault within " + TIMEOUT.toSeconds() + " s", timedOut);
        }
        if (e.state() != ChannelState.FAULTED) {
            throw new AssertionError("the channel ended " + e + ", not faulted");
        }
        return e.reason().text();
    }

    static NvspMessage nvsp(Packet p) {
        try {
            return NvspMessage.decode(p.payload(), p.isCompletion());
        } catch (NetCodecException e) {
            throw new AssertionError("the guest sent bad NVSP: " + e.getMessage(), e);
        }
    }

    /** Offers subchannels 1..n of the NIC (relids after the primary's). */
    void offerSubchannels(int n) throws Exception {
        for (int i = 1; i <= n; i++) {
            offerSubchannel(RELID + i, i);
        }
    }

    /** Offers subchannel {@code index} of the NIC on {@code relid}, whether or not the guest asked for it. */
    void offerSubchannel(int relid, int index) throws Exception {
        Promise<ChannelDriver> d = Promise.promise();
        subchannels.put(relid, d);
        HostTransport.ChannelListener listener = new HostTransport.ChannelListener() {
            @Override
            public void opened(ChannelLink l) {
                d.complete(ChannelDriver.host(l, hostContext, 0, received::add));
            }

            @Override
            public void closed(int r, EndReason reason) {
            }
        };
        onHost(() -> bus.host().offer(new Offer(relid, CLASS_ID, instance, index, 64 * 1024),
                HostTransport.Buffers.NONE, listener));
    }

    /**
     * Another device's channel beside the NIC (offered on the first call): sends {@code payload} on it and returns
     * what the guest's echo device answered, or fails if it does not answer within {@link #TIMEOUT}.
     */
    byte[] echo(byte[] payload, long tid) throws Exception {
        if (echoDriver == null) {
            Promise<ChannelDriver> d = Promise.promise();
            onHost(() -> bus.host().offer(new Offer(ECHO_RELID, ECHO_CLASS, UUID.randomUUID(), 0, 16 * 1024),
                    HostTransport.Buffers.NONE, new HostTransport.ChannelListener() {
                        @Override
                        public void opened(ChannelLink l) {
                            d.complete(ChannelDriver.host(l, hostContext, 0, echoed::add));
                        }

                        @Override
                        public void closed(int r, EndReason reason) {
                        }
                    }));
            echoDriver = d.future().await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        ChannelDriver d = echoDriver;
        onHost(() -> d.send(payload, tid, PacketType.DATA_INBAND, 0, null, null));
        Packet answer;
        try {
            answer = promptly("the echo channel's answer").until(echoed::poll, Objects::nonNull);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("the echo channel beside the NIC did not answer; events " + events, e);
        }
        if (answer.transactionId() != tid) {
            throw new AssertionError("the echo channel answered transaction " + answer.transactionId() + ", not " + tid);
        }
        return answer.payload();
    }

    /** Rescinds channel {@code relid} (a subchannel the host offered); returns once the host did. */
    void rescind(int relid) throws Exception {
        onHost(() -> bus.host().rescind(relid));
    }

    /** Puts a packet on the guest's ring; returns once it is there. */
    void send(byte[] payload, long tid, int type, int flags, TransferPageRanges xfer) throws Exception {
        send(RELID, payload, tid, type, flags, xfer);
    }

    /** Puts a packet on channel {@code relid}'s ring (the primary or a subchannel). */
    void send(int relid, byte[] payload, long tid, int type, int flags, TransferPageRanges xfer) throws Exception {
        ChannelDriver d = (relid == RELID ? driver : subchannels.get(relid)).future().await(TIMEOUT.toMillis(),
                TimeUnit.MILLISECONDS);
        onHost(() -> d.send(payload, tid, type, flags, xfer, null));
    }

    /** A completion of the guest's packet {@code tid} carrying {@code m}. */
    void complete(long tid, NvspMessage m) throws Exception {
        complete(RELID, tid, m);
    }

    /** {@link #complete(long, NvspMessage)} on channel {@code relid} (the primary or a subchannel). */
    void complete(int relid, long tid, NvspMessage m) throws Exception {
        send(relid, m.encode(), tid, PacketType.COMP, 0, null);
    }

    /** The RNDIS message a guest's NVSP 107 carries: GPA-direct from guest memory, or in a send section. */
    RndisMessage rndisOf(Packet p) {
        NvspMessage.RndisPacket m = (NvspMessage.RndisPacket) nvsp(p);
        byte[] bytes;
        if (p.type() == PacketType.DATA_USING_GPA_DIRECT) {
            GpaRanges r = p.gpaRanges();
            if (r.count() != 1 || m.sectionIndex() != Nvsp.NO_SECTION) {
                throw new AssertionError("a control message in " + r.count() + " GPA ranges and section "
                        + m.sectionIndex());
            }
            long[] pfns = new long[r.pfnCount(0)];
            for (int j = 0; j < pfns.length; j++) {
                pfns[j] = r.pfn(0, j);
            }
            bytes = memory.read(pfns, r.byteOffset(0), r.byteCount(0));
        } else {
            bytes = buffer(ChannelBuffer.Kind.SEND).read((long) m.sectionIndex() * SECTION, m.sectionSize());
        }
        try {
            RndisMessage decoded = RndisMessage.decode(bytes);
            rndisSeen.add(decoded);
            return decoded;
        } catch (NetCodecException e) {
            throw new AssertionError("the guest sent bad RNDIS: " + e.getMessage(), e);
        }
    }

    /**
     * Writes each message into its own receive slot and sends one transfer-page packet naming them (transaction id
     * = the first slot, as netvsp); returns that id.
     */
    long deliver(List<byte[]> messages, int channelType) throws Exception {
        return deliver(RELID, messages, channelType);
    }

    /** {@link #deliver(List, int)} on channel {@code relid}. */
    long deliver(int relid, List<byte[]> messages, int channelType) throws Exception {
        ChannelBuffer rx = buffer(ChannelBuffer.Kind.RECEIVE);
        TransferPageRanges ranges = new TransferPageRanges().reset(Nvsp.RECEIVE_BUFFER_ID, false);
        int first = nextSlot;
        for (byte[] m : messages) {
            int slot = nextSlot;
            nextSlot = (nextSlot + 1) % 64;
            rx.write((long) slot * SLOT, m);
            ranges.add(m.length, slot * SLOT);
        }
        send(relid, new NvspMessage.RndisPacket(channelType, Nvsp.NO_SECTION, 0).encode(), first,
                PacketType.DATA_USING_XFER_PAGES, 1, ranges);
        delivered++;
        return first;
    }

    /**
     * Answers the guest's bring-up until it sets its final packet filter (true), or until the channel ends after a
     * wrong answer (false).
     */
    boolean bringUp(NetvspAnswers a) throws Exception {
        return answerUntilFilter(a, false, true);
    }

    /**
     * {@link #bringUp} without waiting for the guest to complete the last answer's transfer page: for a test whose
     * backend holds the NIC's thread as it starts (right after that answer), which may keep the completion back until
     * the test lets it go.
     */
    boolean bringUpUnsettled(NetvspAnswers a) throws Exception {
        return answerUntilFilter(a, false, false);
    }

    /** Answers the guest until it sets a packet filter, none (0) included (true), or its channel ends (false). */
    boolean nextFilter(NetvspAnswers a) throws Exception {
        return answerUntilFilter(a, true, true);
    }

    private boolean answerUntilFilter(NetvspAnswers a, boolean none, boolean settle) throws Exception {
        while (true) {
            Packet p = nextWhileOpen();
            if (p == null) {
                return false;
            }
            if (p.type() == PacketType.DATA_USING_GPA_DIRECT || p.type() == PacketType.DATA_INBAND
                    && nvsp(p) instanceof NvspMessage.RndisPacket) {
                RndisMessage request = rndisOf(p);
                RndisMessage response = a.rndis(request);
                try {
                    complete(a.completeOn(request), p.transactionId(), a.controlCompletion());
                    if (response != null) {
                        deliver(a.respondOn(request), List.of(response.encode()), Nvsp.CHANNEL_CONTROL);
                    }
                } catch (ChannelClosedException e) {
                    return false; // the guest faulted the channel on the completion: the caller checks why
                }
                if (request instanceof RndisMessage.Set s && s.oid() == Rndis.OID_GEN_CURRENT_PACKET_FILTER
                        && (none || ByteBuffer.wrap(s.info()).order(ByteOrder.LITTLE_ENDIAN).getInt(0) != 0)) {
                    if (settle) {
                        settle();
                    }
                    return true;
                }
                continue;
            }
            NvspMessage m = nvsp(p);
            if (p.isCompletion()) {
                continue; // a receive slot returned
            }
            switch (m) {
                case NvspMessage.Init i -> complete(p.transactionId(), a.init(i));
                case NvspMessage.NdisConfig c -> { }
                case NvspMessage.NdisVersion v -> { }
                case NvspMessage.SendReceiveBuffer r ->
                        complete(p.transactionId(), a.receiveBuffer(buffer(ChannelBuffer.Kind.RECEIVE).size()));
                case NvspMessage.SendSendBuffer s -> complete(p.transactionId(), a.sendBuffer());
                case NvspMessage.SubchannelRequest r -> {
                    NvspMessage grant = a.subchannels(r);
                    complete(p.transactionId(), grant);
                    if (grant instanceof NvspMessage.SubchannelComplete g && g.status() == Nvsp.STATUS_SUCCESS) {
                        offerSubchannels(g.count());
                    }
                }
                default -> throw new AssertionError("unexpected from the guest during bring-up: " + m);
            }
        }
    }

    /** The netvsc device's state. */
    JsonObject state() throws Exception {
        return vertx.eventBus().<JsonObject>request(Addresses.deviceState("netvsc"), null).map(Message::body)
                .await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The first NIC's state. */
    JsonObject nic() throws Exception {
        return state().getJsonArray("nics").getJsonObject(0);
    }

    /** Waits until the first NIC's state satisfies {@code condition}. */
    JsonObject awaitNic(Predicate<JsonObject> condition, String what) {
        AtomicReference<JsonObject> last = new AtomicReference<>();
        try {
            return await("the NIC to get " + what).atMost(TIMEOUT).until(() -> {
                JsonArray nics = state().getJsonArray("nics");
                if (nics.isEmpty()) {
                    return null;
                }
                last.set(nics.getJsonObject(0));
                return last.get();
            }, n -> n != null && condition.test(n));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("the NIC never got " + what + "; last state " + last.get(), e);
        }
    }

    /** Everything the guest sent that decodes as the NVSP type {@code type} (in-band or completion). */
    List<NvspMessage> sent(Class<? extends NvspMessage> type) {
        List<NvspMessage> out = new ArrayList<>();
        for (Packet p : seen) {
            NvspMessage m = nvsp(p);
            if (type.isInstance(m)) {
                out.add(m);
            }
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        vertx.close().await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }
}
