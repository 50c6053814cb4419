package dev.vmbus.device.netvsc;

import dev.vmbus.channel.Packet;
import dev.vmbus.net.FramePort;
import dev.vmbus.net.NetCodecException;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.ring.GpaRanges;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.TransferPageRanges;
import dev.vmbus.spi.ChannelPort;
import dev.vmbus.spi.DeviceChannel;
import dev.vmbus.spi.SendSections;
import dev.vmbus.spi.OutboundPacket;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.GuestMemory;
import dev.vmbus.transport.GuestPages;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * One synthetic NIC, the guest's end of NVSP + RNDIS on a primary channel and its subchannels (spec
 * netvsc-and-buffers.md §3, as Linux's {@code netvsc.c}/{@code rndis_filter.c} and DPDK's {@code hn_*.c} do it):
 * bring-up, frames from transfer pages to the backend, frames from the backend through send sections, link state.
 *
 * <p>Every answer of the host is checked as Linux checks it; anything wrong (a status other than success where one
 * is required, a malformed message, a range outside a buffer, a transaction id never issued, an RNDIS response
 * nobody asked for) throws {@link NetvscFault} while the packet that carried it is handled, which fails that
 * packet's future and so faults this NIC's channel only. A host that stops answering during bring-up is caught by
 * a timer: the NIC fails with the reason, and the channel's next packet is refused with it.
 *
 * <p>Threads: the primary channel's context (its {@link dev.vmbus.spi.BatchHandler} runs there, and so do the
 * backend's frames, the timers and the send futures); bring-up starts on the device's context before the first
 * send, and everything after happens on the channel's. A subchannel's batches are moved onto that context too.
 * {@link #state()} is read from the device's context: what it shows is volatile or a snapshot.
 */
final class Nic {
    private static final Logger LOG = Logger.getLogger(Nic.class.getName());
    /** How long the host may take to answer one bring-up request. */
    static final long ANSWER_TIMEOUT_MS = 10_000;
    /** Transaction ids of data sends carry this bit, the send section in the low 24 bits, a sequence above. */
    static final long DATA = 1L << 63;
    private static final int SECTION_BITS = 24;
    /** Linux's smallest receive slot and send section: an RNDIS message of this size must fit. */
    static final int MIN_SECTION = 68;
    /** Frames from the backend kept while no send section is free (the backend is paused meanwhile). */
    static final int WAIT_LIMIT = 256;
    /** The NVSP message size this guest sends (Linux's {@code sizeof(struct nvsp_message)}). */
    private static final int MESSAGE_SIZE = Nvsp.MESSAGE_SIZE_V61;
    private static final int ETHERNET_HEADER = 14;
    private static final int VLAN_TAG = 4;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final byte[] RECEIVE_DONE = new NvspMessage.RndisPacketComplete(Nvsp.STATUS_SUCCESS).encode(MESSAGE_SIZE);

    /** Where the NIC is in its life. */
    enum Phase { STARTING, NVSP, BUFFERS, RNDIS, SUBCHANNELS, UP, FAILED, CLOSED }

    /** What to do with the host's NVSP answer to a request; throws {@link NetvscFault} if it is wrong. */
    private interface NvspStep {
        void on(NvspMessage answer);
    }

    /** What to do with the host's RNDIS response to a control request. */
    private interface RndisStep {
        void on(RndisMessage response);
    }

    private record Pending(String what, NvspStep step) {
    }

    /** The one RNDIS control request outstanding: done once both its NVSP 108 and its response arrived. */
    private static final class Control {
        final int rid;
        final int responseType;
        final String what;
        final RndisStep step;
        boolean completed;
        RndisMessage response;

        Control(int rid, int responseType, String what, RndisStep step) {
            this.rid = rid;
            this.responseType = responseType;
            this.what = what;
            this.step = step;
        }
    }

    /** One queue: the primary (index 0) or a subchannel, with its own figures. */
    static final class Queue {
        final int index;
        final int relid;
        volatile long framesIn;
        volatile long bytesIn;
        volatile long framesOut;
        volatile long bytesOut;
        volatile long transferPackets;

        Queue(int index, int relid) {
            this.index = index;
            this.relid = relid;
        }

        JsonObject json() {
            return new JsonObject().put("index", index).put("relid", relid)
                    .put("framesFromHost", framesIn).put("bytesFromHost", bytesIn)
                    .put("framesToHost", framesOut).put("bytesToHost", bytesOut)
                    .put("transferPagePackets", transferPackets);
        }
    }

    /** Makes the backend once the NIC knows its MAC and MTU. */
    interface PortFactory {
        FramePort open(Vertx vertx, String name, byte[] mac, int mtu, int maxFrame, boolean link) throws Exception;
    }

    private final Vertx vertx;
    /** The primary channel's context, known from the first send's completion on. */
    private volatile Context context;
    private final ChannelPort port0;
    private final DeviceChannel primary;
    private final NetvscSettings settings;
    private final String name;
    private final PortFactory ports;
    private final Map<Integer, Queue> queues = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<Integer, ChannelPort> subchannelPorts = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<Long, Pending> pending = new HashMap<>();
    private final ArrayDeque<byte[]> waiting = new ArrayDeque<>();

    private volatile Phase phase = Phase.STARTING;
    private volatile String failure;
    private long timer = -1;
    /** The request the host owes an answer to (0: none), and a counter to tell requests apart. */
    private long awaiting;
    private String awaitingWhat;
    private long requests;
    private long nextTid = 1;
    private int nextRid = 1;
    private long sendSequence;
    private Control control;

    private ChannelBuffer receive;
    private ChannelBuffer send;
    private MemorySegment receiveMemory;
    private MemorySegment sendMemory;
    private GuestPages controlPage;
    private volatile int nvspVersion;
    private volatile int slotSize;
    private volatile int slotCount;
    private volatile int sectionSize;
    private volatile SendSections sections;
    private long[] sectionTid;
    private int[] sectionQueue;
    private int maxPacketsPerMessage;
    private int packetAlignment;
    private volatile int mtu;
    private volatile byte[] mac;
    private volatile boolean link;
    private volatile FramePort port;
    private boolean paused;
    private volatile int framesWaiting;

    private final byte[] header = new byte[Rndis.PACKET_HEADER_SIZE];
    private final ByteBuffer headerView = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
    private byte[] frame;

    private volatile long dropsNotUp;
    private volatile long dropsTooLongToHost;
    private volatile long dropsTooLongFromHost;
    private volatile long dropsNoSection;
    private volatile long dropsBackend;
    private volatile long dropsEmpty;
    private volatile long hostSendErrors;
    private volatile long statusIndications;
    private volatile long ignoredMessages;

    Nic(Vertx vertx, ChannelPort primary, NetvscSettings settings, String name, PortFactory ports) {
        this.vertx = vertx;
        this.port0 = primary;
        this.primary = primary.channel();
        this.settings = settings;
        this.name = name;
        this.ports = ports;
        queues.put(primary.relid(), new Queue(0, primary.relid()));
    }

    int relid() {
        return primary.relid();
    }

    java.util.UUID instance() {
        return primary.offer().instanceId();
    }

    String name() {
        return name;
    }

    Phase phase() {
        return phase;
    }

    /** Starts bring-up: the buffers and (for GPA-direct control messages) a page of guest memory, then NVSP INIT. */
    void start() {
        receive = primary.buffer(ChannelBuffer.Kind.RECEIVE).orElse(null);
        send = primary.buffer(ChannelBuffer.Kind.SEND).orElse(null);
        if (receive == null || send == null) {
            fail("the host shares no " + (receive == null ? "receive" : "send") + " buffer with channel "
                    + relid() + " (a synthetic NIC needs both, uio maps 3 and 4)");
            return;
        }
        receiveMemory = receive.slice(0, receive.size());
        sendMemory = send.slice(0, send.size());
        if (settings.controlOverSection()) {
            negotiate(0);
            return;
        }
        GuestMemory memory = primary.guestMemory();
        if (memory.unavailableReason() != null) {
            fail("RNDIS control messages go GPA-direct from guest memory, which is unavailable: "
                    + memory.unavailableReason() + " (devices.netvsc.controlOverSection sends them through a send"
                    + " section instead)");
            return;
        }
        vertx.<GuestPages>executeBlocking(() -> memory.allocate(1)).onComplete(ar -> {
            if (ar.failed()) {
                fail("no page of guest memory for RNDIS control messages: " + ar.cause().getMessage());
            } else if (phase == Phase.CLOSED) {
                ar.result().close();
            } else {
                controlPage = ar.result();
                negotiate(0);
            }
        });
    }

    /** A subchannel of this NIC opened (vRSS; on the device's context): it becomes receive queue {@code index}. */
    void subchannelOpened(int relid, int index) {
        queues.put(relid, new Queue(index, relid));
        Context c = context;
        if (c != null) {
            c.runOnContext(v -> subchannelsReady());
        }
    }

    /** A subchannel's port, before its first packet. */
    void subchannelPort(ChannelPort port) {
        subchannelPorts.put(port.relid(), port);
    }

    /** A subchannel's packets (on its own context): handled on the primary's, completed through its own port. */
    void subchannelBatch(List<Packet> batch) {
        Context c = context;
        if (c == null) {
            throw new IllegalStateException("netvsc " + name + ": a subchannel packet before the NIC's first send");
        }
        c.runOnContext(v -> {
            try {
                batch(batch);
            } catch (RuntimeException e) {
                // the subchannel's own fault cannot be raised from here: the NIC fails, and its next batch says why
                fail(e.getMessage());
            }
        });
    }

    boolean owns(int relid) {
        return queues.containsKey(relid);
    }

    /** Channel {@code relid} of this NIC ended; true if it was the primary (the NIC is then closed). */
    boolean channelEnded(int relid) {
        if (relid != relid()) {
            queues.remove(relid);
            subchannelPorts.remove(relid);
            return false;
        }
        close();
        return true;
    }

    /** Stops the backend and gives back what the NIC holds. */
    void close() {
        if (phase == Phase.CLOSED) {
            return;
        }
        phase = Phase.CLOSED;
        release();
        if (controlPage != null) {
            controlPage.close();
            controlPage = null;
        }
    }

    private void release() {
        cancelTimer();
        if (subchannelTimer >= 0) {
            vertx.cancelTimer(subchannelTimer);
            subchannelTimer = -1;
        }
        pending.clear();
        control = null;
        waiting.clear();
        if (port != null) {
            port.close();
        }
    }

    /** Bring-up failed outside a packet (no buffer, no guest memory, a host that stopped answering). */
    private void fail(String reason) {
        if (failure != null || phase == Phase.CLOSED) {
            return;
        }
        failure = reason;
        phase = Phase.FAILED;
        LOG.warning("netvsc " + name + " (channel " + relid() + ") failed: " + reason);
        release();
    }

    // ------------------------------------------------------------------------------------------ packets

    /**
     * One drain batch of this NIC's channels, on the primary's context. Throws (faulting the channel, with the
     * reason) on the first host mistake, or if the NIC already failed.
     */
    void batch(List<Packet> batch) {
        if (context == null) {
            context = Vertx.currentContext();
        }
        for (Packet packet : batch) {
            if (failure != null) {
                throw new NetvscFault(failure);
            }
            if (phase == Phase.CLOSED) {
                throw new NetvscFault("netvsc " + name + " is closed");
            }
            try {
                switch (packet.type()) {
                    case PacketType.COMP -> completion(packet);
                    case PacketType.DATA_USING_XFER_PAGES -> transferPages(packet);
                    case PacketType.DATA_INBAND -> inband(packet);
                    default -> throw new NetvscFault("the host sent a " + PacketType.name(packet.type())
                            + " packet, which no NVSP host sends");
                }
            } catch (NetvscFault e) {
                String reason = "netvsc " + name + ": " + e.getMessage();
                fail(reason);
                throw new NetvscFault(reason, e);
            }
            if (failure != null) {
                throw new NetvscFault(failure);
            }
        }
    }

    private ChannelPort portOf(int relid) {
        return relid == relid() ? port0 : subchannelPorts.get(relid);
    }

    private static NvspMessage nvsp(byte[] payload, boolean completion, String what) {
        try {
            return NvspMessage.decode(payload, completion);
        } catch (NetCodecException e) {
            throw new NetvscFault(what + ": " + e.getMessage(), e);
        }
    }

    private void completion(Packet packet) {
        long tid = packet.transactionId();
        if ((tid & DATA) != 0) {
            dataCompleted(packet, tid);
            return;
        }
        Pending p = pending.remove(tid);
        if (p != null && control == null) {
            answered(); // an RNDIS exchange is answered once its response came too (controlStep)
        }
        if (p == null) {
            throw new NetvscFault("a completion for transaction id " + Long.toUnsignedString(tid)
                    + ", which this guest never issued (or the host already completed)");
        }
        p.step().on(nvsp(packet.payload(), true, "the host's answer to " + p.what()));
    }

    private void inband(Packet packet) {
        NvspMessage m = nvsp(packet.payload(), false, "an in-band NVSP message from the host");
        if (m instanceof NvspMessage.IndirectionTable || m instanceof NvspMessage.VfAssociation
                || m instanceof NvspMessage.SwitchDataPath) {
            // The TX steering table, a VF offer, a data-path switch: Linux keeps the table and, like the other two,
            // completes none of them (OpenVMM: "the Linux netvsc driver ignores the completion requested flag").
            ignoredMessages++;
            return;
        }
        throw new NetvscFault("the host sent NVSP type " + m.type() + " in-band, which a host never sends");
    }

    // ------------------------------------------------------------------------------------------ bring-up

    private <T extends NvspMessage> T expect(NvspMessage m, Class<T> type, String what) {
        if (!type.isInstance(m)) {
            throw new NetvscFault("the host answered " + what + " with NVSP type " + m.type() + " ("
                    + m.getClass().getSimpleName() + ") instead of " + type.getSimpleName());
        }
        return type.cast(m);
    }

    /** An NVSP request with completion requested; {@code step} gets the answer. */
    private void request(NvspMessage m, String what, NvspStep step) {
        long tid = nextTid++;
        pending.put(tid, new Pending(what, step));
        sendControl(new OutboundPacket(m.encode(MESSAGE_SIZE), tid, PacketType.DATA_INBAND, 1), what);
    }

    /** An NVSP message that wants no answer. */
    private void post(NvspMessage m) {
        send(new OutboundPacket(m.encode(MESSAGE_SIZE), 0, PacketType.DATA_INBAND, 0));
    }

    private void send(OutboundPacket packet) {
        port0.send(packet).onFailure(this::sendFailed);
    }

    private void sendFailed(Throwable e) {
        if (phase != Phase.CLOSED && phase != Phase.FAILED) {
            fail("could not send on channel " + relid() + ": " + e.getMessage());
        }
    }

    /**
     * A request the host owes an answer to: once it is on the ring (here on the channel's context, which this
     * learns from the first one) a timer waits for the answer, and fails the NIC if it is still owed then.
     */
    private void sendControl(OutboundPacket packet, String what) {
        long token = ++requests;
        awaiting = token;
        awaitingWhat = what;
        port0.send(packet).onComplete(ar -> {
            if (context == null) {
                context = Vertx.currentContext();
            }
            if (ar.failed()) {
                sendFailed(ar.cause());
            } else if (awaiting == token) {
                cancelTimer();
                timer = vertx.setTimer(ANSWER_TIMEOUT_MS, id -> {
                    timer = -1;
                    if (awaiting == token) {
                        fail("the host did not answer " + what + " within " + ANSWER_TIMEOUT_MS / 1000 + " s");
                    }
                });
            }
        });
    }

    /** The host answered the request outstanding. */
    private void answered() {
        awaiting = 0;
        awaitingWhat = null;
        cancelTimer();
    }

    private void cancelTimer() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }

    /** NVSP INIT with {@link Nvsp#GUEST_VERSIONS}[i], min = max; a status other than SUCCESS tries the next. */
    private void negotiate(int i) {
        if (i >= Nvsp.GUEST_VERSIONS.length) {
            throw new NetvscFault("the host accepted none of NVSP 6.1, 6, 5, 4 and 2");
        }
        phase = Phase.NVSP;
        int v = Nvsp.GUEST_VERSIONS[i];
        String what = "NVSP INIT " + Nvsp.versionName(v);
        request(new NvspMessage.Init(v, v), what, m -> {
            NvspMessage.InitComplete c = expect(m, NvspMessage.InitComplete.class, what);
            if (c.status() != Nvsp.STATUS_SUCCESS) {
                negotiate(i + 1);
                return;
            }
            nvspVersion = v;
            buffers();
        });
    }

    /** NDIS config and version, then the receive and send buffers by GPADL handle. */
    private void buffers() {
        phase = Phase.BUFFERS;
        post(new NvspMessage.NdisConfig(settings.mtu() + ETHERNET_HEADER, Nvsp.CAP_IEEE8021Q));
        post(new NvspMessage.NdisVersion(Nvsp.NDIS_MAJOR, Nvsp.ndisMinorFor(nvspVersion)));
        String what = "NVSP SEND_RECV_BUF (GPADL " + Integer.toUnsignedString(receive.gpadl()) + ")";
        request(new NvspMessage.SendReceiveBuffer(receive.gpadl(), Nvsp.RECEIVE_BUFFER_ID), what, m -> {
            NvspMessage.ReceiveBufferComplete c = expect(m, NvspMessage.ReceiveBufferComplete.class, what);
            if (c.status() != Nvsp.STATUS_SUCCESS) {
                throw new NetvscFault("the host refused the receive buffer: NVSP status " + c.status());
            }
            if (c.sections().size() != 1) {
                throw new NetvscFault("the host cut the receive buffer into " + c.sections().size()
                        + " sections; Linux and DPDK accept exactly 1");
            }
            NvspMessage.ReceiveSection s = c.sections().getFirst();
            long size = Integer.toUnsignedLong(s.slotSize());
            long count = Integer.toUnsignedLong(s.slotCount());
            if (s.offset() != 0) {
                throw new NetvscFault("the receive buffer's section starts at offset "
                        + Integer.toUnsignedString(s.offset()) + ", not 0");
            }
            if (size < MIN_SECTION || count == 0 || size * count > receive.size()) {
                throw new NetvscFault("the receive buffer's " + count + " slots of " + size + " bytes do not fit"
                        + " its " + receive.size() + " bytes (slots of at least " + MIN_SECTION + " bytes, at least 1)");
            }
            slotSize = (int) size;
            slotCount = (int) count;
            sendBuffer();
        });
    }

    private void sendBuffer() {
        String what = "NVSP SEND_SEND_BUF (GPADL " + Integer.toUnsignedString(send.gpadl()) + ")";
        request(new NvspMessage.SendSendBuffer(send.gpadl(), Nvsp.SEND_BUFFER_ID), what, m -> {
            NvspMessage.SendBufferComplete c = expect(m, NvspMessage.SendBufferComplete.class, what);
            if (c.status() != Nvsp.STATUS_SUCCESS) {
                throw new NetvscFault("the host refused the send buffer: NVSP status " + c.status());
            }
            long size = Integer.toUnsignedLong(c.sectionSize());
            if (size < MIN_SECTION || size % 4 != 0 || size > send.size()) {
                throw new NetvscFault("send section size " + size + " (must be at least " + MIN_SECTION
                        + ", a multiple of 4, and at most the send buffer's " + send.size() + " bytes)");
            }
            sectionSize = (int) size;
            SendSections cut = port0.sendSections(sectionSize);
            sectionTid = new long[cut.count()];
            sectionQueue = new int[cut.count()];
            sections = cut;
            rndisInit();
        });
    }

    /**
     * One RNDIS control request, GPA-direct from the control page (or through a send section): done when the host
     * completed its NVSP 107 and its response arrived in the receive buffer, in either order.
     */
    private void rndis(RndisMessage request, int rid, int responseType, String what, RndisStep step) {
        if (control != null) {
            throw new IllegalStateException("RNDIS " + control.what + " is still outstanding");
        }
        Control c = new Control(rid, responseType, what, step);
        control = c;
        byte[] bytes = request.encode();
        long tid = nextTid++;
        if (settings.controlOverSection()) {
            int index = sections.take();
            if (index < 0) {
                throw new NetvscFault("no free send section for RNDIS " + what);
            }
            if (bytes.length > sectionSize) {
                throw new NetvscFault("RNDIS " + what + " (" + bytes.length + " bytes) does not fit a send section of "
                        + sectionSize);
            }
            MemorySegment.copy(bytes, 0, sendMemory, ValueLayout.JAVA_BYTE, (long) index * sectionSize, bytes.length);
            pending.put(tid, new Pending(what + " (NVSP 107 in send section " + index + ")", m -> {
                sections.give(index);
                controlSent(c, m);
            }));
            sendControl(new OutboundPacket(new NvspMessage.RndisPacket(Nvsp.CHANNEL_CONTROL, index,
                    bytes.length).encode(MESSAGE_SIZE), tid, PacketType.DATA_INBAND, 1), "RNDIS " + what);
            return;
        }
        if (bytes.length > GuestMemory.PAGE_SIZE) {
            throw new IllegalStateException("RNDIS " + what + " of " + bytes.length + " bytes does not fit one page");
        }
        MemorySegment.copy(bytes, 0, controlPage.memory(), ValueLayout.JAVA_BYTE, 0, bytes.length);
        GpaRanges ranges = new GpaRanges(1, 2).add(bytes.length, 0, controlPage.pfns(0, bytes.length), 0);
        pending.put(tid, new Pending(what + " (NVSP 107, GPA-direct)", m -> controlSent(c, m)));
        sendControl(OutboundPacket.gpaDirect(ranges, new NvspMessage.RndisPacket(Nvsp.CHANNEL_CONTROL,
                Nvsp.NO_SECTION, 0).encode(MESSAGE_SIZE), tid), "RNDIS " + what);
    }

    private void controlSent(Control c, NvspMessage m) {
        NvspMessage.RndisPacketComplete done = expect(m, NvspMessage.RndisPacketComplete.class, "RNDIS " + c.what);
        if (done.status() != Nvsp.STATUS_SUCCESS) {
            throw new NetvscFault("the host refused RNDIS " + c.what + ": NVSP status " + done.status());
        }
        c.completed = true;
        controlStep(c);
    }

    private void controlResponse(int rid, RndisMessage response) {
        Control c = control;
        if (c == null || c.rid != rid || c.response != null) {
            throw new NetvscFault("RNDIS " + Rndis.typeName(response.type()) + " with request id "
                    + Integer.toUnsignedString(rid) + " answers no outstanding request"
                    + (c == null ? "" : " (RNDIS " + c.what + " has id " + c.rid + ")"));
        }
        if (response.type() != c.responseType) {
            throw new NetvscFault("the host answered RNDIS " + c.what + " with " + Rndis.typeName(response.type())
                    + " instead of " + Rndis.typeName(c.responseType));
        }
        c.response = response;
        controlStep(c);
    }

    private void controlStep(Control c) {
        if (c.completed && c.response != null && control == c) {
            control = null;
            answered();
            c.step.on(c.response);
        }
    }

    private void query(int oid, String what, java.util.function.Consumer<byte[]> onValue) {
        query(oid, what, false, onValue);
    }

    /** A query; with {@code optional} a status other than success hands {@code onValue} null instead of faulting. */
    private void query(int oid, String what, boolean optional, java.util.function.Consumer<byte[]> onValue) {
        int rid = nextRid++;
        rndis(new RndisMessage.Query(rid, oid, new byte[0]), rid, Rndis.TYPE_QUERY_COMPLETE, "QUERY " + what, r -> {
            RndisMessage.QueryComplete q = (RndisMessage.QueryComplete) r;
            if (q.status() != Rndis.STATUS_SUCCESS && optional) {
                onValue.accept(null);
                return;
            }
            if (q.status() != Rndis.STATUS_SUCCESS) {
                throw new NetvscFault("the host refused RNDIS QUERY " + what + ": status 0x"
                        + Integer.toHexString(q.status()));
            }
            onValue.accept(q.info());
        });
    }

    private void set(int oid, byte[] value, String what, Runnable next) {
        int rid = nextRid++;
        rndis(new RndisMessage.Set(rid, oid, value), rid, Rndis.TYPE_SET_COMPLETE, "SET " + what, r -> {
            RndisMessage.SetComplete s = (RndisMessage.SetComplete) r;
            if (s.status() != Rndis.STATUS_SUCCESS) {
                throw new NetvscFault("the host refused RNDIS SET " + what + ": status 0x"
                        + Integer.toHexString(s.status()));
            }
            next.run();
        });
    }

    private static byte[] u32(int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value).array();
    }

    private static int u32(byte[] info, int min, String what) {
        if (info.length < min) {
            throw new NetvscFault("the host's value of " + what + " has " + info.length + " bytes, not " + min);
        }
        return ByteBuffer.wrap(info).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
    }

    /** RNDIS INITIALIZE, then the packet filter to NONE, the MTU, the MAC and the link. */
    private void rndisInit() {
        phase = Phase.RNDIS;
        int rid = nextRid++;
        rndis(new RndisMessage.InitializeRequest(rid, Rndis.MAJOR_VERSION, Rndis.MINOR_VERSION,
                Rndis.MAX_TRANSFER_SIZE), rid, Rndis.TYPE_INITIALIZE_COMPLETE, "INITIALIZE", r -> {
            RndisMessage.InitializeComplete c = (RndisMessage.InitializeComplete) r;
            if (c.status() != Rndis.STATUS_SUCCESS) {
                throw new NetvscFault("the host refused RNDIS INITIALIZE: status 0x" + Integer.toHexString(c.status()));
            }
            maxPacketsPerMessage = c.maxPacketsPerMessage();
            packetAlignment = c.packetAlignmentFactor() >= 0 && c.packetAlignmentFactor() < 31
                    ? Math.max(4, 1 << c.packetAlignmentFactor()) : 4;
            set(Rndis.OID_GEN_CURRENT_PACKET_FILTER, u32(Rndis.FILTER_NONE), "packet filter NONE", () ->
                    query(Rndis.OID_GEN_MAXIMUM_FRAME_SIZE, "MAXIMUM_FRAME_SIZE", v -> {
                        long hostMtu = Integer.toUnsignedLong(u32(v, 4, "MAXIMUM_FRAME_SIZE"));
                        if (hostMtu < 68 || hostMtu > NetvscSettings.MAX_MTU) {
                            throw new NetvscFault("the host's MTU " + hostMtu + " is outside 68.."
                                    + NetvscSettings.MAX_MTU);
                        }
                        mtu = (int) Math.min(settings.mtu(), hostMtu);
                        queryMac();
                    }));
        });
    }

    private void queryMac() {
        query(Rndis.OID_802_3_PERMANENT_ADDRESS, "PERMANENT_ADDRESS", v -> {
            if (v.length < 6) {
                throw new NetvscFault("the host's MAC address has " + v.length + " bytes, not 6");
            }
            mac = java.util.Arrays.copyOf(v, 6);
            query(Rndis.OID_GEN_MEDIA_CONNECT_STATUS, "MEDIA_CONNECT_STATUS", s -> {
                link = u32(s, 4, "MEDIA_CONNECT_STATUS") == Rndis.MEDIA_STATE_CONNECTED;
                vrss();
            });
        });
    }

    private void finalFilter() {
        set(Rndis.OID_GEN_CURRENT_PACKET_FILTER,
                u32(Rndis.FILTER_DIRECTED | Rndis.FILTER_BROADCAST | Rndis.FILTER_ALL_MULTICAST),
                "packet filter DIRECTED|BROADCAST|ALL_MULTICAST", this::up);
    }

    // ------------------------------------------------------------------------------------------ vRSS

    /** NDIS object type of RSS parameters, and their revision-2 size (up to the CPU-mask fields). */
    private static final int RSS_PARAMS_TYPE = 0x89;
    private static final int RSS_PARAMS_SIZE = 40;
    /** Toeplitz over IPv4, TCP/IPv4, IPv6, TCP/IPv6 ({@code NDIS_HASH_*}). */
    private static final int RSS_HASH = 0x1 | 0x100 | 0x200 | 0x400 | 0x1000;
    static final int RSS_TABLE_ENTRIES = 128;
    /** The Toeplitz key of Microsoft's RSS verification suite, which Linux's netvsc uses by default. */
    private static final byte[] RSS_KEY = {
            0x6d, 0x5a, 0x56, (byte) 0xda, 0x25, 0x5b, 0x0e, (byte) 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, (byte) 0xa3,
            (byte) 0x8f, (byte) 0xb0, (byte) 0xd0, (byte) 0xca, 0x2b, (byte) 0xcb, (byte) 0xae, 0x7b, 0x30, (byte) 0xb4,
            0x77, (byte) 0xcb, 0x2d, (byte) 0xa3, (byte) 0x80, 0x30, (byte) 0xf2, 0x0c, 0x6a, 0x42, (byte) 0xb7, 0x3b,
            (byte) 0xbe, (byte) 0xac, 0x01, (byte) 0xfa};

    private int subchannelsGranted;
    private long subchannelTimer = -1;

    /**
     * vRSS (spec §3.8): with NVSP 5 or later and more than one queue wanted, the host's RSS capabilities, NVSP 133
     * for {@code min(wanted, host's) - 1} subchannels, then (once they are open) the RSS parameters with a
     * 128-entry indirection table over the queues. A host without RSS leaves the NIC on one queue.
     */
    private void vrss() {
        if (Integer.compareUnsigned(nvspVersion, Nvsp.VERSION_5) < 0 || settings.queues() < 2) {
            finalFilter();
            return;
        }
        query(Rndis.OID_GEN_RECEIVE_SCALE_CAPABILITIES, "RECEIVE_SCALE_CAPABILITIES", true, caps -> {
            if (caps == null) {
                finalFilter();
                return;
            }
            if (caps.length < 16) {
                throw new NetvscFault("the host's RSS capabilities have " + caps.length + " bytes, fewer than 16");
            }
            long hostQueues = Integer.toUnsignedLong(ByteBuffer.wrap(caps).order(ByteOrder.LITTLE_ENDIAN).getInt(12));
            int wanted = (int) Math.min(settings.queues(), hostQueues);
            if (wanted < 2) {
                finalFilter();
                return;
            }
            phase = Phase.SUBCHANNELS;
            String what = "NVSP SUBCHANNEL (" + (wanted - 1) + ")";
            request(new NvspMessage.SubchannelRequest(Nvsp.SUBCHANNEL_ALLOCATE, wanted - 1), what, m -> {
                NvspMessage.SubchannelComplete c = expect(m, NvspMessage.SubchannelComplete.class, what);
                if (c.status() != Nvsp.STATUS_SUCCESS || c.count() == 0) {
                    LOG.info("netvsc " + name + ": the host granted no subchannel (status " + c.status() + ")");
                    finalFilter();
                    return;
                }
                if (Integer.compareUnsigned(c.count(), wanted - 1) > 0) {
                    throw new NetvscFault("the host granted " + Integer.toUnsignedString(c.count())
                            + " subchannels, more than the " + (wanted - 1) + " asked for");
                }
                subchannelsGranted = c.count();
                Context here = context;
                subchannelTimer = vertx.setTimer(ANSWER_TIMEOUT_MS, id -> here.runOnContext(v -> {
                    subchannelTimer = -1;
                    if (phase == Phase.SUBCHANNELS) {
                        LOG.warning("netvsc " + name + ": " + (queues.size() - 1) + " of " + subchannelsGranted
                                + " subchannels opened within " + ANSWER_TIMEOUT_MS / 1000 + " s; going on with those");
                        rssParameters();
                    }
                }));
                subchannelsReady();
            });
        });
    }

    /** Once every granted subchannel is open: the RSS parameters. */
    private void subchannelsReady() {
        if (phase == Phase.SUBCHANNELS && subchannelsGranted > 0 && queues.size() - 1 >= subchannelsGranted) {
            if (subchannelTimer >= 0) {
                vertx.cancelTimer(subchannelTimer);
                subchannelTimer = -1;
            }
            rssParameters();
        }
    }

    private void rssParameters() {
        phase = Phase.RNDIS;
        int[] indexes = queues.values().stream().mapToInt(q -> q.index).sorted().toArray();
        if (indexes.length < 2) {
            finalFilter();
            return;
        }
        set(Rndis.OID_GEN_RECEIVE_SCALE_PARAMETERS, rssParameters(indexes), "RECEIVE_SCALE_PARAMETERS ("
                + indexes.length + " queues)", this::finalFilter);
    }

    /** NDIS_RECEIVE_SCALE_PARAMETERS revision 2: the key after the fixed part, then the table over {@code queues}. */
    static byte[] rssParameters(int[] queueIndexes) {
        int keyOffset = RSS_PARAMS_SIZE;
        int tableOffset = keyOffset + RSS_KEY.length;
        byte[] out = new byte[tableOffset + 4 * RSS_TABLE_ENTRIES];
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) RSS_PARAMS_TYPE).put(1, (byte) 2).putShort(2, (short) RSS_PARAMS_SIZE);
        b.putShort(4, (short) 0); // flags
        b.putShort(6, (short) 0); // base CPU
        b.putInt(8, RSS_HASH);
        b.putShort(12, (short) (4 * RSS_TABLE_ENTRIES));
        b.putInt(16, tableOffset);
        b.putShort(20, (short) RSS_KEY.length);
        b.putInt(24, keyOffset);
        b.put(keyOffset, RSS_KEY);
        for (int i = 0; i < RSS_TABLE_ENTRIES; i++) {
            b.putInt(tableOffset + 4 * i, queueIndexes[i % queueIndexes.length]);
        }
        return out;
    }

    /** Bring-up is done: the backend opens (on a worker: a TAP's open and ioctls block) and starts. */
    private void up() {
        int maxFrame = mtu + ETHERNET_HEADER + VLAN_TAG;
        frame = new byte[maxFrame];
        byte[] address = mac.clone();
        Context here = context;
        boolean linkNow = link;
        int mtuNow = mtu;
        vertx.<FramePort>executeBlocking(() -> ports.open(vertx, name, address, mtuNow, maxFrame, linkNow))
                .onComplete(ar -> here.runOnContext(v -> started(ar.succeeded() ? ar.result() : null, ar.cause())));
    }

    private void started(FramePort opened, Throwable error) {
        if (phase == Phase.CLOSED || phase == Phase.FAILED) {
            if (opened != null) {
                opened.close();
            }
            return;
        }
        try {
            if (opened == null) {
                throw error instanceof Exception e ? e : new IllegalStateException(error);
            }
            Context here = context;
            opened.start(r -> here.runOnContext(v -> r.run()), this::fromBackend);
            port = opened;
        } catch (Exception e) {
            if (opened != null) {
                opened.close();
            }
            fail("the " + settings.backend().key() + " backend did not start: " + e.getMessage());
            return;
        }
        phase = Phase.UP;
        LOG.info("netvsc " + name + " up on channel " + relid() + ": MAC " + macText() + ", MTU " + mtu + ", NVSP "
                + Nvsp.versionName(nvspVersion) + ", link " + (link ? "up" : "down") + ", " + slotCount
                + " receive slots of " + slotSize + " B, " + sections.count() + " send sections of " + sectionSize
                + " B, backend " + settings.backend().key());
    }

    private String macText() {
        return mac == null ? null : HexFormat.ofDelimiter(":").formatHex(mac);
    }

    // ------------------------------------------------------------------------------------------ receive

    private void transferPages(Packet packet) {
        Queue queue = queues.computeIfAbsent(packet.relid(), relid -> {
            ChannelPort p = subchannelPorts.get(relid);
            return new Queue(p == null ? -1 : p.channel().offer().subchannel(), relid);
        });
        if (receiveMemory == null || slotCount == 0) {
            throw new NetvscFault("a transfer-page packet before the receive buffer was set up");
        }
        TransferPageRanges xfer = packet.transferPages();
        if (xfer.pageSetId() != Nvsp.RECEIVE_BUFFER_ID) {
            throw new NetvscFault("a transfer-page packet names page set 0x" + Integer.toHexString(xfer.pageSetId())
                    + ", not the receive buffer's 0x" + Integer.toHexString(Nvsp.RECEIVE_BUFFER_ID));
        }
        long tid = packet.transactionId();
        if (Long.compareUnsigned(tid, slotCount) >= 0) {
            throw new NetvscFault("a transfer-page packet's transaction id " + Long.toUnsignedString(tid)
                    + " is past the receive buffer's " + slotCount + " slots");
        }
        NvspMessage m = nvsp(packet.payload(), false, "a transfer-page packet's NVSP message");
        if (!(m instanceof NvspMessage.RndisPacket)) {
            throw new NetvscFault("a transfer-page packet carries NVSP type " + m.type() + ", not "
                    + Nvsp.TYPE_SEND_RNDIS_PKT);
        }
        queue.transferPackets++;
        for (int i = 0; i < xfer.count(); i++) {
            long offset = Integer.toUnsignedLong(xfer.byteOffset(i));
            long count = Integer.toUnsignedLong(xfer.byteCount(i));
            if (!receive.contains(offset, count)) {
                throw new NetvscFault("transfer-page range " + i + " of " + count + " bytes at offset " + offset
                        + " is outside the receive buffer's " + receive.size() + " bytes");
            }
            rndisMessage(queue, offset, count);
        }
        portOf(packet.relid()).complete(packet, RECEIVE_DONE); // fails only once the channel ended
    }

    /** The RNDIS message in {@code [offset, offset + count)} of the receive buffer (already bounds-checked). */
    private void rndisMessage(Queue queue, long offset, long count) {
        if (count < 8) {
            throw new NetvscFault("a transfer-page range of " + count + " bytes is shorter than an RNDIS header");
        }
        int type = receiveMemory.get(U32, offset);
        long length = Integer.toUnsignedLong(receiveMemory.get(U32, offset + 4));
        if (length < 8 || length > count) {
            throw new NetvscFault("RNDIS " + Rndis.typeName(type) + " msg_len " + length + " is outside [8, " + count
                    + "], the range's length");
        }
        if (type == Rndis.TYPE_PACKET) {
            packetMessage(queue, offset, (int) length);
            return;
        }
        RndisMessage m;
        try {
            m = RndisMessage.decode(receiveMemory, offset, (int) length);
        } catch (NetCodecException e) {
            throw new NetvscFault("an RNDIS message from the host: " + e.getMessage(), e);
        }
        switch (m) {
            case RndisMessage.InitializeComplete c -> controlResponse(c.requestId(), c);
            case RndisMessage.QueryComplete c -> controlResponse(c.requestId(), c);
            case RndisMessage.SetComplete c -> controlResponse(c.requestId(), c);
            case RndisMessage.KeepAliveComplete c -> controlResponse(c.requestId(), c);
            case RndisMessage.IndicateStatus s -> indicateStatus(s);
            case RndisMessage.KeepAlive k -> ignoredMessages++; // Linux answers none either
            default -> throw new NetvscFault("the host sent RNDIS " + Rndis.typeName(m.type())
                    + ", which only a guest sends");
        }
    }

    private void indicateStatus(RndisMessage.IndicateStatus s) {
        statusIndications++;
        if (s.status() == Rndis.STATUS_MEDIA_CONNECT || s.status() == Rndis.STATUS_MEDIA_DISCONNECT) {
            boolean up = s.status() == Rndis.STATUS_MEDIA_CONNECT;
            if (up != link) {
                link = up;
                LOG.info("netvsc " + name + ": link " + (up ? "up" : "down"));
                if (port instanceof LinkAware aware) {
                    aware.link(up);
                }
            }
        }
        // LINK_SPEED_CHANGE, NETWORK_CHANGE, TASK_OFFLOAD_CURRENT_CONFIG: counted, nothing to change here.
    }

    /**
     * One PACKET_MSG (spec §3.5): its 44-byte header copied once and checked as the codec checks it (no
     * out-of-band data, no VC handle, the frame and the per-packet info inside the message and apart), each
     * per-packet info's header read once and checked (its data is not needed: no offloads are offered), then the
     * frame copied straight from the receive buffer to the backend.
     */
    private void packetMessage(Queue queue, long base, int length) {
        int h = Rndis.PACKET_HEADER_SIZE;
        if (length < h) {
            throw new NetvscFault("RNDIS PACKET_MSG of " + length + " bytes is shorter than its " + h + "-byte header");
        }
        MemorySegment.copy(receiveMemory, ValueLayout.JAVA_BYTE, base, header, 0, h);
        ByteBuffer b = headerView;
        if ((b.getInt(16) | b.getInt(20) | b.getInt(24)) != 0) {
            throw new NetvscFault("RNDIS PACKET_MSG carries out-of-band data (oob_offset " + u(b.getInt(16))
                    + ", oob_len " + u(b.getInt(20)) + ", oob_count " + u(b.getInt(24)) + ")");
        }
        if (b.getInt(36) != 0) {
            throw new NetvscFault("RNDIS PACKET_MSG names VC handle 0x" + Integer.toHexString(b.getInt(36)));
        }
        long dataLength = u(b.getInt(12));
        long dataStart = Rndis.OFFSET_BASE + u(b.getInt(8));
        long dataEnd = dataStart + dataLength;
        if (dataStart < h || dataEnd > length) {
            throw new NetvscFault("RNDIS PACKET_MSG data of " + dataLength + " bytes at [" + dataStart + ", "
                    + dataEnd + ") is outside [" + h + ", " + length + ")");
        }
        long ppiLength = u(b.getInt(32));
        if (ppiLength != 0) {
            long ppiStart = Rndis.OFFSET_BASE + u(b.getInt(28));
            long ppiEnd = ppiStart + ppiLength;
            if (ppiStart < h || ppiEnd > length) {
                throw new NetvscFault("RNDIS PACKET_MSG per-packet info of " + ppiLength + " bytes at [" + ppiStart
                        + ", " + ppiEnd + ") is outside [" + h + ", " + length + ")");
            }
            if (dataLength != 0 && ppiStart < dataEnd && dataStart < ppiEnd) {
                throw new NetvscFault("RNDIS PACKET_MSG data [" + dataStart + ", " + dataEnd + ") and per-packet info ["
                        + ppiStart + ", " + ppiEnd + ") overlap");
            }
            for (long p = ppiStart; p < ppiEnd; ) {
                long remaining = ppiEnd - p;
                if (remaining < Rndis.PPI_HEADER_SIZE) {
                    throw new NetvscFault("a per-packet info at " + p + " needs a 12-byte header, " + remaining
                            + " bytes remain");
                }
                long size = u(receiveMemory.get(U32, base + p));
                long at = u(receiveMemory.get(U32, base + p + 8));
                if (size < Rndis.PPI_HEADER_SIZE || size % 4 != 0 || size > remaining) {
                    throw new NetvscFault("a per-packet info at " + p + " has size " + size
                            + " (at least 12, a multiple of 4, at most " + remaining + ")");
                }
                if (at < Rndis.PPI_HEADER_SIZE || at > size || (size - at) % 4 != 0) {
                    throw new NetvscFault("a per-packet info at " + p + " has data offset " + at + " (at least 12,"
                            + " at most its size " + size + ", leaving whole words)");
                }
                p += size;
            }
        }
        if (dataLength == 0) {
            dropsEmpty++;
            return;
        }
        if (phase != Phase.UP) {
            dropsNotUp++;
            return;
        }
        if (dataLength > frame.length) {
            dropsTooLongFromHost++;
            return;
        }
        int n = (int) dataLength;
        MemorySegment.copy(receiveMemory, ValueLayout.JAVA_BYTE, base + dataStart, frame, 0, n);
        queue.framesIn++;
        queue.bytesIn += n;
        if (!port.send(frame, 0, n)) {
            dropsBackend++;
        }
    }

    private static long u(int v) {
        return Integer.toUnsignedLong(v);
    }

    // ------------------------------------------------------------------------------------------ send

    /** One frame from the backend (on the NIC's context). */
    private void fromBackend(byte[] f) {
        if (phase != Phase.UP) {
            dropsNotUp++;
            return;
        }
        if (f.length + Rndis.PACKET_HEADER_SIZE > sectionSize) {
            dropsTooLongToHost++;
            return;
        }
        if (!waiting.isEmpty() || !transmit(f)) {
            if (waiting.size() >= WAIT_LIMIT) {
                dropsNoSection++;
            } else {
                waiting.add(f);
                framesWaiting = waiting.size();
            }
            if (!paused) {
                paused = true;
                port.pause();
            }
        }
    }

    /** Writes {@code f} as a PACKET_MSG into a free section and sends NVSP 107 naming it; false if none is free. */
    private boolean transmit(byte[] f) {
        int index = sections.take();
        if (index < 0) {
            return false;
        }
        long base = (long) index * sectionSize;
        int head = RndisMessage.Packet.writeHeader(sendMemory, base, f.length, List.of());
        MemorySegment.copy(f, 0, sendMemory, ValueLayout.JAVA_BYTE, base + head, f.length);
        long tid = DATA | (++sendSequence & ((1L << (63 - SECTION_BITS)) - 1)) << SECTION_BITS | index;
        sectionTid[index] = tid;
        Queue q = queues.get(relid());
        sectionQueue[index] = q.index;
        q.framesOut++;
        q.bytesOut += f.length;
        send(new OutboundPacket(new NvspMessage.RndisPacket(Nvsp.CHANNEL_DATA, index, head + f.length)
                .encode(MESSAGE_SIZE), tid, PacketType.DATA_INBAND, 1));
        return true;
    }

    private void dataCompleted(Packet packet, long tid) {
        int index = (int) (tid & ((1L << SECTION_BITS) - 1));
        if (sectionTid == null || index >= sectionTid.length || sectionTid[index] != tid) {
            throw new NetvscFault("a completion for transaction id 0x" + Long.toHexString(tid)
                    + ", a data send this guest never issued (or the host already completed)");
        }
        NvspMessage m = nvsp(packet.payload(), true, "the completion of a frame in send section " + index);
        NvspMessage.RndisPacketComplete done = expect(m, NvspMessage.RndisPacketComplete.class,
                "a frame in send section " + index);
        if (done.status() != Nvsp.STATUS_SUCCESS) {
            hostSendErrors++; // Linux counts it and frees the section
        }
        sectionTid[index] = 0;
        sections.give(index);
        pump();
    }

    /** A section freed: frames that waited go, and the backend resumes once none wait. */
    private void pump() {
        while (!waiting.isEmpty() && transmit(waiting.peek())) {
            waiting.poll();
        }
        framesWaiting = waiting.size();
        if (waiting.isEmpty() && paused && port != null) {
            paused = false;
            port.resume();
        }
    }

    // ------------------------------------------------------------------------------------------ state

    JsonObject state() {
        JsonObject s = new JsonObject().put("name", name).put("relid", relid())
                .put("instance", primary.offer().instanceId().toString())
                .put("phase", phase.name().toLowerCase(java.util.Locale.ROOT))
                .put("backend", settings.backend().key())
                .put("link", link ? "up" : "down")
                .put("mac", macText())
                .put("mtu", mtu)
                .put("nvspVersion", nvspVersion == 0 ? null : Nvsp.versionName(nvspVersion))
                .put("ndisVersion", nvspVersion == 0 ? null
                        : Nvsp.NDIS_MAJOR + "." + Nvsp.ndisMinorFor(nvspVersion))
                .put("controlPath", settings.controlOverSection() ? "send section" : "GPA-direct");
        if (failure != null) {
            s.put("failure", failure);
        }
        List<Queue> qs = new ArrayList<>(queues.values());
        qs.sort(java.util.Comparator.comparingInt(q -> q.index));
        JsonArray queueJson = new JsonArray();
        qs.forEach(q -> queueJson.add(q.json()));
        s.put("queues", queueJson);
        s.put("receiveSlots", new JsonObject().put("size", slotSize).put("count", slotCount));
        SendSections cut = sections;
        SendSections.Use use = cut == null ? null : cut.use();
        s.put("sendSections", new JsonObject().put("size", sectionSize)
                .put("count", use == null ? 0 : use.count())
                .put("inUse", use == null ? 0 : use.inUse())
                .put("framesWaiting", framesWaiting));
        s.put("drops", new JsonObject()
                .put("notUp", dropsNotUp)
                .put("tooLongToHost", dropsTooLongToHost)
                .put("tooLongFromHost", dropsTooLongFromHost)
                .put("noSendSection", dropsNoSection)
                .put("backend", dropsBackend)
                .put("empty", dropsEmpty)
                .put("hostSendErrors", hostSendErrors));
        s.put("statusIndications", statusIndications).put("ignoredMessages", ignoredMessages);
        s.put("rndis", new JsonObject().put("maxPacketsPerMessage", maxPacketsPerMessage)
                .put("packetAlignment", packetAlignment));
        FramePort backend = port;
        if (backend != null) {
            FramePort.Stats p = backend.stats();
            s.put("port", new JsonObject().put("framesIn", p.framesIn()).put("bytesIn", p.bytesIn())
                    .put("framesOut", p.framesOut()).put("bytesOut", p.bytesOut())
                    .put("dropsOutsideFull", p.dropsOutsideFull()).put("dropsTooLong", p.dropsTooLong()));
        }
        return s;
    }

    /** A backend that mirrors the NIC's link state (a TAP's carrier). */
    interface LinkAware {
        void link(boolean up);
    }
}
