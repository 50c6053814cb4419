package dev.vmbus.host.nic;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.host.GpaReader;
import dev.vmbus.host.ReceiveSlots;
import dev.vmbus.host.Subchannels;
import dev.vmbus.net.FramePort;
import dev.vmbus.net.LoopbackPort;
import dev.vmbus.net.NullPort;
import dev.vmbus.net.NetCodecException;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.PerPacketInfo;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.net.TapPort;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.GuestMemory;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.SharedGuestMemory;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.IntSupplier;
import java.util.logging.Logger;

/**
 * The simulated host's synthetic NIC: it offers a netvsc channel with a receive and a send buffer, checks and
 * answers NVSP and RNDIS as OpenVMM's {@code netvsp} does (spec netvsc-and-buffers.md §5.1), moves frames between
 * the guest and a {@link FramePort} backend, and grants subchannels.
 *
 * <ul>
 *   <li>H2: before NVSP INIT only INIT is accepted; INIT_COMPLETE says SUCCESS iff {@code min_protocol_ver} is
 *       exactly one of the six versions, else NONE (the guest tries the next).</li>
 *   <li>H3: NDIS_CONFIG and NDIS_VERSION at most once each (an empty completion only if asked), SEND_RECV_BUF
 *       after NDIS_CONFIG with slots of 256 + MTU + 36 bytes (COMP 102 {1, 1, {0, size, count, size × count}}),
 *       SEND_SEND_BUF (COMP 105 {1, 6144}); the GPADL handles must be the channel's own buffers'.</li>
 *   <li>H4: NVSP 107 needs a transaction id; its RNDIS bytes are the send section named (index below the
 *       section count, size at most a section) followed by its GPA ranges; every PACKET_MSG goes to the backend
 *       and the packet is completed with COMP 108 SUCCESS; COMP 108 from the guest frees receive slots (an id
 *       never sent faults the channel).</li>
 *   <li>H5: RNDIS INITIALIZE (once), QUERY (the OIDs of {@link #query}), SET (packet filter, RSS parameters,
 *       offload parameters and the rest accepted), KEEPALIVE, HALT; an unknown OID gets NOT_SUPPORTED.</li>
 *   <li>H6: frames from the backend become RNDIS PACKET_MSGs in free receive slots, up to 375 per transfer-page
 *       packet; dropped (and counted) while the packet filter is NONE; with no free slot the port is paused
 *       until the guest returns slots. Sixteen slots stay for control messages.</li>
 *   <li>H7: a MEDIA_CONNECT or MEDIA_DISCONNECT indication after INITIALIZE and on every change, a second change
 *       within 5 s deferred. H8: sends wait for ring space in the channel runtime, in order; while more than a
 *       few batches wait, the port is paused.</li>
 * </ul>
 *
 * <p>A guest mistake ends only that channel: the host stops serving it and rescinds it, with the reason in
 * {@link #fault()} and the log; the process and the other channels go on. Fault knobs
 * ({@link VmbusConfig.NicFaults}) make the host break the guest's checks, one at a time.
 *
 * <p>Threads: everything on the host's context; frames from the backend come through it too.
 */
public final class HostNic {
    private static final Logger LOG = Logger.getLogger(HostNic.class.getName());
    /** The synthetic NIC's class ({@code uio_hv_generic.c:12}). */
    public static final UUID CLASS_ID = UUID.fromString("f8615163-df3e-46c5-913f-f2d2f965ed0e");
    /** Ring size per direction: what {@code uio_hv_generic} gives a NIC channel. */
    public static final int RING_SIZE = 2 << 20;
    /** Send-buffer section size (OpenVMM and Linux). */
    public static final int SECTION_SIZE = 6144;
    /** Receive slot = this + NDIS MTU + {@link #RX_FOOTER_LENGTH} (OpenVMM {@code buffers.rs}). */
    public static final int RX_HEADER_LENGTH = 256;
    public static final int RX_FOOTER_LENGTH = 36;
    /** Ranges per transfer-page packet (OpenVMM {@code RX_BATCH_SIZE}). */
    public static final int MAX_RANGES = 375;
    /** Receive slots kept for control messages (OpenVMM {@code RX_RESERVED_CONTROL_BUFFERS}). */
    public static final int CONTROL_SLOTS = 16;
    public static final int MAX_MDL_CHAIN_LENGTH = 34;
    public static final int MIN_NDIS_MTU = 1514;
    public static final int MAX_NDIS_MTU = 9216;
    /** Link speed in bits per second, answered in units of 100 bps. */
    public static final long LINK_SPEED_BPS = 10_000_000_000L;
    /** Most bytes one GPA-direct packet may name. */
    public static final int MAX_GPA_BYTES = 1 << 20;
    /** Control responses queued per queue before the guest is faulted for not returning slots (OpenVMM). */
    public static final int MAX_CONTROL_BYTES = 100 * 1024;
    /** A second link change within this time is deferred (OpenVMM {@code LINK_DELAY_DURATION}). */
    public static final long LINK_DELAY_MS = 5_000;
    /** Frames waiting for receive slots per queue before frames are dropped. */
    static final int MAX_PENDING_FRAMES = 4 * MAX_RANGES;
    /** Transfer-page packets waiting for ring space before the port is paused. */
    static final int MAX_PARKED_BATCHES = 8;
    static final long GPA_PAGE = PacketLayout.HV_PAGE_SIZE;

    private static final int[] VERSIONS = {Nvsp.VERSION_1, Nvsp.VERSION_2, Nvsp.VERSION_4, Nvsp.VERSION_5,
            Nvsp.VERSION_6, Nvsp.VERSION_61};
    private static final int[] SUPPORTED_OIDS = {Rndis.OID_GEN_SUPPORTED_LIST, Rndis.OID_GEN_MAXIMUM_FRAME_SIZE,
            Rndis.OID_GEN_LINK_SPEED, Rndis.OID_GEN_CURRENT_PACKET_FILTER, Rndis.OID_GEN_MAXIMUM_TOTAL_SIZE,
            Rndis.OID_GEN_MEDIA_CONNECT_STATUS, Rndis.OID_GEN_RECEIVE_SCALE_CAPABILITIES,
            Rndis.OID_802_3_PERMANENT_ADDRESS, Rndis.OID_802_3_CURRENT_ADDRESS,
            Rndis.OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES};
    /** The checksum PPI every received frame carries: zero, "not validated" (spec §5.2). */
    private static final List<PerPacketInfo> RX_INFO = List.of(PerPacketInfo.u32(PerPacketInfo.TYPE_CHECKSUM, 0));
    private static final int RX_INFO_LENGTH = RndisMessage.Packet.ppiLength(RX_INFO);
    /** NVSP OID_QUERY_EX (v5), which OpenVMM answers NOT_SUPPORTED, and its completion. */
    static final int TYPE_OID_QUERY_EX = 131;
    static final int TYPE_OID_QUERY_EX_COMPLETE = 132;
    /** What a garbage knob puts on the wire: an NVSP type no version has. */
    static final int GARBAGE_NVSP_TYPE = 0x7A7A7A7A;

    /** Where the NIC's primary channel is. */
    public enum Phase {
        /** Offered, not open. */
        OFFERED,
        /** Open; waiting for an NVSP INIT with a version the host speaks. */
        WAIT_INIT,
        /** A version is negotiated; NDIS configuration and the buffers come next. */
        INITIALIZING,
        /** RNDIS traffic flows. */
        ACTIVE,
        /** The guest revoked a buffer: nothing flows until it opens the channel again. */
        REVOKED,
        /** The host ended the channel for a guest mistake ({@link #fault()}). */
        FAULTED
    }

    /** A guest mistake: the reason the channel ends. */
    private static final class Mistake extends Exception {
        private static final long serialVersionUID = 1L;

        Mistake(String message) {
            super(message, null, false, false);
        }
    }

    /** One open channel of the NIC: the primary (index 0) or a subchannel. */
    private final class Queue {
        final int index;
        final ChannelLink link;
        final ChannelDriver driver;
        final ArrayDeque<byte[]> data = new ArrayDeque<>();
        final ArrayDeque<byte[]> control = new ArrayDeque<>();
        int controlBytes;
        boolean flushQueued;
        long framesToGuest;
        long bytesToGuest;
        long framesFromGuest;
        long bytesFromGuest;
        long batches;

        Queue(int index, ChannelLink link) {
            this.index = index;
            this.link = link;
            this.driver = ChannelDriver.host(link, context, 0, p -> onPacket(this, p));
        }

        JsonObject state() {
            return new JsonObject().put("queue", index).put("relid", link.offer().relid())
                    .put("framesToGuest", framesToGuest).put("bytesToGuest", bytesToGuest)
                    .put("framesFromGuest", framesFromGuest).put("bytesFromGuest", bytesFromGuest)
                    .put("transferPagePackets", batches).put("framesWaiting", data.size())
                    .put("controlWaiting", control.size());
        }
    }

    private final Context context;
    private final HostTransport transport;
    private final Offer offer;
    private final VmbusConfig.Nic config;
    private final HostTransport.Buffers buffers;
    private final SharedGuestMemory memory;
    private final FramePort port;
    private final IntSupplier subchannelRelids;
    private final byte[] mac;
    private VmbusConfig.NicFaults faults;

    // the device, reset on every open of the primary
    private Phase phase = Phase.OFFERED;
    private final TreeMap<Integer, Queue> queues = new TreeMap<>();
    private final List<Integer> subchannelRelidsOffered = new ArrayList<>();
    private int version;
    private boolean ndisConfigured;
    private boolean ndisVersioned;
    private int ndisMtu = MIN_NDIS_MTU;
    private int ndisMajor;
    private int ndisMinor;
    private ReceiveSlots slots;
    private int pageSetId;
    private ChannelBuffer sendBuffer;
    private long sectionCount;
    private boolean rndisInitialized;
    private int packetFilter;
    private int[] rssTable;
    private boolean subchannelsRequested;
    private int subchannelsGranted;
    private boolean portPaused;
    private String fault;

    // link, kept across opens
    private boolean linkUp = true;
    private boolean linkIndicated;
    private long lastLinkChange = Long.MIN_VALUE / 2;
    private long linkTimer = -1;

    // figures since start
    private long dropsNotReady;
    private long dropsFilter;
    private long dropsTooLong;
    private long dropsBacklog;
    private long dropsLso;
    private long dropsBackend;
    private long faultCount;
    private long opens;

    /**
     * @param offer            the primary channel's offer (class {@link #CLASS_ID})
     * @param buffers          the receive and send buffers the channel shares ({@link HostTransport.Buffers#UIO})
     * @param memory           guest memory GPA-direct ranges are read from (null: every GPA-direct packet is a fault)
     * @param port             where frames go and come from; started by {@link #start}, closed by {@link #close}
     * @param subchannelRelids relids for the subchannels this NIC grants
     */
    public HostNic(Context context, HostTransport transport, Offer offer, VmbusConfig.Nic config,
                   HostTransport.Buffers buffers, SharedGuestMemory memory, FramePort port,
                   IntSupplier subchannelRelids) {
        if (!offer.classId().equals(CLASS_ID)) {
            throw new IllegalArgumentException("a NIC's offer has class " + CLASS_ID + ", not " + offer.classId());
        }
        if (buffers.receive() == 0 || buffers.send() == 0) {
            throw new IllegalArgumentException("a NIC shares a receive and a send buffer, got " + buffers);
        }
        this.context = context;
        this.transport = transport;
        this.offer = offer;
        this.config = config;
        this.buffers = buffers;
        this.memory = memory;
        this.port = port;
        this.subchannelRelids = subchannelRelids;
        this.mac = parseMac(config.mac());
        this.faults = config.faults();
    }

    /**
     * The backend {@code host.nic.backend} names, not yet started. A {@code tap} backend opens the TAP interface
     * {@code host.nic.tap} (creating it needs CAP_NET_ADMIN), gives it the NIC's MTU and brings it up; its own MAC
     * address is the kernel's (it is the far end of the guest's wire, not the guest's NIC).
     *
     * @throws java.io.IOException when the TAP cannot be opened or set up, with the reason
     */
    public static FramePort port(VmbusConfig.Nic config) throws java.io.IOException {
        return switch (config.backend()) {
            case "none" -> new NullPort();
            case "loopback" -> new LoopbackPort(LoopbackPort.DEFAULT_CAPACITY, config.mtu() + ETHERNET_HEADER + 4);
            case "tap" -> {
                TapPort port = TapPort.open(config.tap(), config.mtu() + ETHERNET_HEADER);
                try {
                    port.tap().mtu(config.mtu());
                    port.tap().up(true);
                } catch (java.io.IOException e) {
                    port.close();
                    throw new java.io.IOException("TAP " + config.tap() + ": " + e.getMessage(), e);
                }
                yield port;
            }
            default -> throw new IllegalArgumentException("host.nic.backend '" + config.backend()
                    + "' is not one of none, loopback, tap");
        };
    }

    /** Ethernet's header: two addresses and the type. */
    public static final int ETHERNET_HEADER = 14;

    /** {@code 00:15:5d:00:00:01} → six bytes. */
    public static byte[] parseMac(String text) {
        String[] parts = text == null ? new String[0] : text.split(":", -1);
        if (parts.length != 6) {
            throw new IllegalArgumentException("a MAC address is six hex pairs separated by ':', got '" + text + "'");
        }
        byte[] out = new byte[6];
        for (int i = 0; i < 6; i++) {
            if (!parts[i].matches("[0-9a-fA-F]{2}")) {
                throw new IllegalArgumentException("a MAC address is six hex pairs separated by ':', got '" + text
                        + "'");
            }
            out[i] = (byte) Integer.parseInt(parts[i], 16);
        }
        if ((out[0] & 1) != 0) {
            throw new IllegalArgumentException("MAC address " + text + " is a multicast address");
        }
        return out;
    }

    /** Starts the backend and offers the primary channel with its buffers. Call on the host's context. */
    public Future<Void> start() {
        try {
            port.start(task -> context.runOnContext(v -> task.run()), this::fromOutside);
        } catch (java.io.IOException | RuntimeException e) {
            return Future.failedFuture(new IllegalStateException("the NIC's " + config.backend()
                    + " backend did not start: " + e.getMessage(), e));
        }
        return transport.offer(offer, buffers, new Listener(0));
    }

    /** Closes the backend (the transport rescinds the channels when it closes). */
    public void close() {
        port.close();
    }

    public Offer offer() {
        return offer;
    }

    public String name() {
        return "nic";
    }

    public Phase phase() {
        return phase;
    }

    /** Why the host last ended a NIC channel, or null. */
    public String fault() {
        return fault;
    }

    public FramePort port() {
        return port;
    }

    /** The channel drivers of the open queues, primary first (for the host's channel list). */
    public List<ChannelDriver> drivers() {
        return queues.values().stream().map(q -> q.driver).toList();
    }

    /** The fault knobs in force. */
    public VmbusConfig.NicFaults faults() {
        return faults;
    }

    /** Replaces the fault knobs (the next message each affects sees them). */
    public void faults(VmbusConfig.NicFaults knobs) {
        this.faults = knobs;
    }

    public boolean linkUp() {
        return linkUp;
    }

    /**
     * Sets the link state the guest sees: an INDICATE_STATUS MEDIA_CONNECT or MEDIA_DISCONNECT once RNDIS is
     * initialised, a change within {@link #LINK_DELAY_MS} of the last one deferred until then.
     */
    public void link(boolean up) {
        if (up == linkUp) {
            return;
        }
        linkUp = up;
        indicateLinkSoon();
    }

    private void indicateLinkSoon() {
        if (!rndisInitialized || linkTimer != -1) {
            return;
        }
        long now = System.nanoTime() / 1_000_000;
        long wait = lastLinkChange + LINK_DELAY_MS - now;
        if (wait > 0 && linkIndicated) {
            linkTimer = context.owner().setTimer(wait, t -> {
                linkTimer = -1;
                indicateLink();
            });
        } else {
            indicateLink();
        }
    }

    private void indicateLink() {
        Queue primary = queues.get(0);
        if (primary == null || !rndisInitialized) {
            return;
        }
        linkIndicated = true;
        lastLinkChange = System.nanoTime() / 1_000_000;
        sendControl(primary, new RndisMessage.IndicateStatus(linkUp ? Rndis.STATUS_MEDIA_CONNECT
                : Rndis.STATUS_MEDIA_DISCONNECT, new byte[0]).encode());
    }

    // ---- channels -------------------------------------------------------------------------------------------

    private final class Listener implements HostTransport.ChannelListener {
        private final int index;

        Listener(int index) {
            this.index = index;
        }

        @Override
        public void opened(ChannelLink link) {
            if (index == 0) {
                reset();
                opens++;
                phase = Phase.WAIT_INIT;
            } else if (!queues.containsKey(0) || phase != Phase.ACTIVE) {
                LOG.warning("host: nic subchannel " + index + " opened while the primary is " + phase
                        + "; closing it");
                link.close();
                return;
            }
            Queue q = new Queue(index, link);
            queues.put(index, q);
            LOG.info("host: nic queue " + index + " (relid " + link.offer().relid() + ") opened by the guest");
        }

        @Override
        public void closed(int relid, EndReason reason) {
            Queue q = queues.get(index);
            if (q != null && q.link.offer().relid() == relid) {
                queues.remove(index);
            }
            LOG.info("host: nic queue " + index + " (relid " + relid + ") closed (" + reason.text() + ")");
            if (index == 0) {
                if (phase != Phase.FAULTED) {
                    phase = Phase.OFFERED;
                }
                rescindSubchannels();
                reset();
            }
        }
    }

    /** Forgets the device's negotiated state (a new open starts from INIT). */
    private void reset() {
        version = 0;
        ndisConfigured = false;
        ndisVersioned = false;
        ndisMtu = MIN_NDIS_MTU;
        slots = null;
        sendBuffer = null;
        sectionCount = 0;
        rndisInitialized = false;
        packetFilter = Rndis.FILTER_NONE;
        rssTable = null;
        subchannelsRequested = false;
        subchannelsGranted = 0;
        linkIndicated = false;
        if (linkTimer != -1) {
            context.owner().cancelTimer(linkTimer);
            linkTimer = -1;
        }
        queues.values().forEach(q -> {
            q.data.clear();
            q.control.clear();
        });
        resumePort();
    }

    private void rescindSubchannels() {
        for (int relid : subchannelRelidsOffered) {
            transport.rescind(relid).onFailure(e -> LOG.fine("host: nic subchannel relid " + relid
                    + " was already gone: " + e.getMessage()));
        }
        subchannelRelidsOffered.clear();
    }

    private void onPacket(Queue q, Packet packet) {
        if (!q.driver.open()) {
            return;
        }
        try {
            switch (packet.type()) {
                case PacketType.COMP -> guestCompletion(packet);
                case PacketType.DATA_INBAND -> inband(q, packet);
                case PacketType.DATA_USING_GPA_DIRECT -> gpaDirect(q, packet);
                default -> throw new Mistake("a " + PacketType.name(packet.type())
                        + " packet, which a guest never sends on a NIC channel");
            }
        } catch (Mistake e) {
            faulted(q, e.getMessage());
        } catch (NetCodecException e) {
            faulted(q, e.getMessage());
        }
    }

    private void faulted(Queue q, String why) {
        String reason = "queue " + q.index + " (relid " + q.link.offer().relid() + "): " + why;
        fault = reason;
        faultCount++;
        LOG.warning("host: nic " + reason + "; ending the channel");
        if (q.index == 0) {
            phase = Phase.FAULTED;
        }
        queues.remove(q.index);
        q.driver.end(EndReason.of(EndReason.Kind.HANDLER_FAILED, "host: " + why));
        q.link.close(); // the host stops serving the channel: the guest sees it rescinded
    }

    // ---- NVSP -----------------------------------------------------------------------------------------------

    private int messageSize() {
        return Nvsp.messageSize(version);
    }

    private static int nvspType(byte[] payload) {
        return payload.length < 4 ? -1 : ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
    }

    private void inband(Queue q, Packet packet) throws Mistake, NetCodecException {
        byte[] payload = packet.payload();
        if (nvspType(payload) == TYPE_OID_QUERY_EX) {
            requireId(packet, "OID_QUERY_EX");
            byte[] reply = new byte[messageSize()];
            ByteBuffer.wrap(reply).order(ByteOrder.LITTLE_ENDIAN).putInt(0, TYPE_OID_QUERY_EX_COMPLETE)
                    .putInt(4, Rndis.STATUS_NOT_SUPPORTED);
            complete(q, packet.transactionId(), reply);
            return;
        }
        NvspMessage m = NvspMessage.decode(payload, false);
        if (q.index != 0 && !(m instanceof NvspMessage.RndisPacket)) {
            throw new Mistake("NVSP " + m.type() + " on a subchannel, which carries only RNDIS packets");
        }
        switch (m) {
            case NvspMessage.Init init -> init(q, packet, init);
            case NvspMessage.NdisConfig c -> {
                initializing("NDIS_CONFIG");
                if (ndisConfigured) {
                    throw new Mistake("a second NDIS_CONFIG (it is accepted once)");
                }
                ndisConfigured = true;
                long mtu = Integer.toUnsignedLong(c.mtu());
                ndisMtu = mtu >= MIN_NDIS_MTU && mtu <= MAX_NDIS_MTU ? (int) mtu : MIN_NDIS_MTU;
                completeIfAsked(q, packet);
            }
            case NvspMessage.NdisVersion v -> {
                initializing("NDIS_VERSION");
                if (ndisVersioned) {
                    throw new Mistake("a second NDIS_VERSION (it is accepted once)");
                }
                ndisVersioned = true;
                ndisMajor = v.major();
                ndisMinor = v.minor();
                completeIfAsked(q, packet);
            }
            case NvspMessage.SendReceiveBuffer r -> receiveBuffer(q, packet, r);
            case NvspMessage.SendSendBuffer s -> sendBuffer(q, packet, s);
            case NvspMessage.RndisPacket r -> rndisPacket(q, packet, r, null);
            case NvspMessage.SubchannelRequest s -> subchannels(q, packet, s);
            case NvspMessage.RevokeReceiveBuffer r -> revoked("receive");
            case NvspMessage.RevokeSendBuffer r -> revoked("send");
            case NvspMessage.SwitchDataPath s -> {
                active("SWITCH_DATA_PATH");
                completeIfAsked(q, packet);
            }
            default -> throw new Mistake("NVSP " + m.type() + " (" + m.getClass().getSimpleName()
                    + "), which only a host sends");
        }
    }

    private void init(Queue q, Packet packet, NvspMessage.Init init) throws Mistake {
        if (phase != Phase.WAIT_INIT) {
            throw new Mistake("NVSP INIT after version " + Nvsp.versionName(version) + " was negotiated");
        }
        requireId(packet, "INIT");
        int v = init.minVersion();
        boolean supported = false;
        for (int known : VERSIONS) {
            supported |= known == v;
        }
        int status = faults.failInit() ? Nvsp.STATUS_FAIL : supported ? Nvsp.STATUS_SUCCESS : Nvsp.STATUS_NONE;
        int size = supported ? Nvsp.messageSize(v) : Nvsp.MESSAGE_SIZE_V1;
        byte[] reply = new NvspMessage.InitComplete(v == Nvsp.VERSION_1 ? 2 : 0xFFFFFFFF, MAX_MDL_CHAIN_LENGTH,
                status).encode(size);
        if (faults.nvspGarbage()) {
            reply = garbage(size);
        }
        complete(q, packet.transactionId(), reply);
        if (status == Nvsp.STATUS_SUCCESS) {
            version = v;
            phase = Phase.INITIALIZING;
        }
    }

    /** An NVSP message no version has, for the garbage knob: its type and a recognisable pattern. */
    static byte[] garbage(int size) {
        byte[] out = new byte[Math.max(size, 8)];
        java.util.Arrays.fill(out, (byte) 0xA5);
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putInt(0, GARBAGE_NVSP_TYPE);
        return out;
    }

    private void initializing(String what) throws Mistake {
        if (phase != Phase.INITIALIZING) {
            throw new Mistake(what + " while the NIC is " + phase.name().toLowerCase().replace('_', ' ')
                    + " (it belongs between INIT and the first RNDIS packet)");
        }
    }

    private void active(String what) throws Mistake {
        if (phase != Phase.ACTIVE) {
            throw new Mistake(what + " while the NIC is " + phase.name().toLowerCase().replace('_', ' '));
        }
    }

    private static void requireId(Packet packet, String what) throws Mistake {
        if (!packet.completionRequested()) {
            throw new Mistake("NVSP " + what + " without a transaction id (completion not requested)");
        }
    }

    private void receiveBuffer(Queue q, Packet packet, NvspMessage.SendReceiveBuffer r) throws Mistake {
        initializing("SEND_RECV_BUF");
        if (slots != null) {
            throw new Mistake("a second SEND_RECV_BUF (the receive buffer is given once)");
        }
        if (version != Nvsp.VERSION_1 && !ndisConfigured) {
            throw new Mistake("SEND_RECV_BUF before NDIS_CONFIG: the slot size needs the MTU");
        }
        requireId(packet, "SEND_RECV_BUF");
        ChannelBuffer recv = q.link.buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow(() ->
                new Mistake("SEND_RECV_BUF, but the channel shares no receive buffer"));
        if (r.gpadlHandle() != recv.gpadl()) {
            throw new Mistake("SEND_RECV_BUF names GPADL " + Integer.toUnsignedString(r.gpadlHandle())
                    + "; the channel's receive buffer is " + recv.name());
        }
        int slotSize = RX_HEADER_LENGTH + ndisMtu + RX_FOOTER_LENGTH;
        if (recv.size() / slotSize == 0) {
            throw new Mistake("the receive buffer of " + recv.size() + " bytes holds no " + slotSize
                    + "-byte slot");
        }
        slots = new ReceiveSlots(recv, slotSize);
        pageSetId = r.id();
        int count = slots.count();
        NvspMessage.ReceiveSection section = new NvspMessage.ReceiveSection(0, slotSize, count, slotSize * count);
        List<NvspMessage.ReceiveSection> sections = faults.twoReceiveSections() ? List.of(section, section)
                : List.of(section);
        complete(q, packet.transactionId(),
                new NvspMessage.ReceiveBufferComplete(Nvsp.STATUS_SUCCESS, sections).encode(messageSize()));
    }

    private void sendBuffer(Queue q, Packet packet, NvspMessage.SendSendBuffer s) throws Mistake {
        initializing("SEND_SEND_BUF");
        if (sendBuffer != null) {
            throw new Mistake("a second SEND_SEND_BUF (the send buffer is given once)");
        }
        requireId(packet, "SEND_SEND_BUF");
        ChannelBuffer send = q.link.buffer(ChannelBuffer.Kind.SEND).orElseThrow(() ->
                new Mistake("SEND_SEND_BUF, but the channel shares no send buffer"));
        if (s.gpadlHandle() != send.gpadl()) {
            throw new Mistake("SEND_SEND_BUF names GPADL " + Integer.toUnsignedString(s.gpadlHandle())
                    + "; the channel's send buffer is " + send.name());
        }
        sendBuffer = send;
        sectionCount = send.size() / SECTION_SIZE;
        complete(q, packet.transactionId(), new NvspMessage.SendBufferComplete(Nvsp.STATUS_SUCCESS,
                faults.zeroSectionSize() ? 0 : SECTION_SIZE).encode(messageSize()));
    }

    private void revoked(String which) throws Mistake {
        if (phase != Phase.ACTIVE && phase != Phase.INITIALIZING) {
            throw new Mistake("REVOKE of the " + which + " buffer while the NIC is " + phase);
        }
        LOG.info("host: nic: the guest revoked its " + which + " buffer; nothing flows until it opens again");
        phase = Phase.REVOKED;
        queues.values().forEach(x -> x.data.clear());
    }

    private void subchannels(Queue q, Packet packet, NvspMessage.SubchannelRequest s) throws Mistake {
        active("SUBCHANNEL");
        requireId(packet, "SUBCHANNEL");
        if (Integer.compareUnsigned(version, Nvsp.VERSION_5) < 0) {
            throw new Mistake("SUBCHANNEL at NVSP " + Nvsp.versionName(version) + " (it needs 5 or later)");
        }
        if (s.operation() != Nvsp.SUBCHANNEL_ALLOCATE) {
            throw new Mistake("SUBCHANNEL operation " + Integer.toUnsignedString(s.operation())
                    + " (only 1, allocate, exists)");
        }
        if (subchannelsRequested) {
            throw new Mistake("a second SUBCHANNEL request on one open channel");
        }
        subchannelsRequested = true;
        long asked = Integer.toUnsignedLong(s.count());
        int granted = (int) Math.min(asked, config.queues() - 1L);
        if (faults.smallerGrant() && granted > 0) {
            granted--;
        }
        subchannelsGranted = granted;
        complete(q, packet.transactionId(),
                new NvspMessage.SubchannelComplete(Nvsp.STATUS_SUCCESS, granted).encode(messageSize()));
        if (granted == 0) {
            return;
        }
        List<Integer> entries = new ArrayList<>(Nvsp.INDIRECTION_TABLE_SIZE);
        for (int i = 0; i < Nvsp.INDIRECTION_TABLE_SIZE; i++) {
            entries.add(i % (granted + 1));
        }
        q.driver.send(new NvspMessage.IndirectionTable(entries).encode(messageSize()), 0, PacketType.DATA_INBAND, 0);
        int[] relids = new int[granted];
        for (int i = 0; i < granted; i++) {
            relids[i] = subchannelRelids.getAsInt();
            subchannelRelidsOffered.add(relids[i]);
        }
        int[] next = {0};
        int total = granted;
        Subchannels.offer(transport, offer, granted, () -> relids[next[0]++], new HostTransport.ChannelListener() {
            @Override
            public void opened(ChannelLink link) {
                new Listener(link.offer().subchannel()).opened(link);
            }

            @Override
            public void closed(int relid, EndReason reason) {
                Integer index = null;
                for (Map.Entry<Integer, Queue> e : queues.entrySet()) {
                    if (e.getValue().link.offer().relid() == relid) {
                        index = e.getKey();
                    }
                }
                if (index != null && index != 0) {
                    new Listener(index).closed(relid, reason);
                }
            }
        }).onSuccess(o -> LOG.info("host: nic offered " + total + " subchannel(s)"))
                .onFailure(e -> LOG.warning("host: nic could not offer its subchannels: " + e.getMessage()));
    }

    private void completeIfAsked(Queue q, Packet packet) {
        if (packet.completionRequested()) {
            complete(q, packet.transactionId(), new byte[0]);
        }
    }

    private void complete(Queue q, long transactionId, byte[] payload) {
        q.driver.send(payload, transactionId, PacketType.COMP, 0);
    }

    private void guestCompletion(Packet packet) throws Mistake, NetCodecException {
        NvspMessage m = NvspMessage.decode(packet.payload(), true);
        if (!(m instanceof NvspMessage.RndisPacketComplete)) {
            throw new Mistake("a completion carrying NVSP " + m.type() + "; a guest completes only transfer-page"
                    + " packets, with 108");
        }
        if (slots == null || !slots.complete(packet.transactionId())) {
            throw new Mistake("the guest completed transaction id " + Long.toUnsignedString(packet.transactionId())
                    + ", which names no outstanding transfer-page packet");
        }
        flushAll();
    }

    // ---- RNDIS from the guest -------------------------------------------------------------------------------

    private void gpaDirect(Queue q, Packet packet) throws Mistake, NetCodecException {
        if (!packet.completionRequested()) {
            throw new Mistake("GPA-direct packet " + Long.toUnsignedString(packet.transactionId())
                    + " does not request a completion");
        }
        if (memory == null) {
            throw new Mistake("a GPA-direct packet, but this host shares no guest memory");
        }
        byte[] data;
        try {
            data = GpaReader.read(memory, packet.gpaRanges(), MAX_GPA_BYTES);
        } catch (GuestMemory.GuestMemoryException e) {
            throw new Mistake("GPA-direct packet " + Long.toUnsignedString(packet.transactionId()) + ": "
                    + e.getMessage());
        }
        NvspMessage m = NvspMessage.decode(packet.payload(), false);
        if (!(m instanceof NvspMessage.RndisPacket r)) {
            throw new Mistake("a GPA-direct packet carrying NVSP " + m.type() + " (only 107 carries data)");
        }
        rndisPacket(q, packet, r, data);
    }

    private void rndisPacket(Queue q, Packet packet, NvspMessage.RndisPacket r, byte[] gpaData)
            throws Mistake, NetCodecException {
        if (phase == Phase.INITIALIZING) {
            if (!(ndisConfigured || version == Nvsp.VERSION_1) || !ndisVersioned || slots == null) {
                throw new Mistake("an RNDIS packet before the NVSP initialisation finished (NDIS_CONFIG "
                        + (ndisConfigured ? "sent" : "missing") + ", NDIS_VERSION " + (ndisVersioned ? "sent" : "missing")
                        + ", receive buffer " + (slots != null ? "given" : "missing") + ")");
            }
            phase = Phase.ACTIVE;
        }
        active("an RNDIS packet");
        if (!packet.completionRequested()) {
            throw new Mistake("NVSP 107 without a transaction id (completion not requested)");
        }
        byte[] section = new byte[0];
        if (r.sectionIndex() != Nvsp.NO_SECTION) {
            long index = Integer.toUnsignedLong(r.sectionIndex());
            long size = Integer.toUnsignedLong(r.sectionSize());
            if (sendBuffer == null) {
                throw new Mistake("NVSP 107 names send section " + index + " but the guest gave no send buffer");
            }
            if (index >= sectionCount) {
                throw new Mistake("NVSP 107 names send section " + index + "; the send buffer has " + sectionCount);
            }
            if (size == 0 || size > SECTION_SIZE) {
                throw new Mistake("NVSP 107 names " + size + " bytes of send section " + index + " (1.."
                        + SECTION_SIZE + ")");
            }
            section = sendBuffer.read(index * SECTION_SIZE, (int) size);
        }
        byte[] data = section;
        if (gpaData != null && gpaData.length > 0) {
            data = java.util.Arrays.copyOf(section, section.length + gpaData.length);
            System.arraycopy(gpaData, 0, data, section.length, gpaData.length);
        }
        if (data.length == 0) {
            throw new Mistake("NVSP 107 with no RNDIS bytes (no section, no GPA range)");
        }
        List<RndisMessage> messages = rndisMessages(data);
        for (RndisMessage m : messages) {
            if (m instanceof RndisMessage.Packet p) {
                frameFromGuest(q, p);
            } else {
                control(q, m);
            }
        }
        if (!faults.withholdCompletions()) {
            complete(q, packet.transactionId(),
                    new NvspMessage.RndisPacketComplete(Nvsp.STATUS_SUCCESS).encode(messageSize()));
        }
    }

    /**
     * The RNDIS messages in a packet's bytes: PACKET_MSGs laid end to end (every byte in one), or one control
     * message (bytes after its {@code msg_len} are the rest of the guest's buffer, not read).
     */
    private static List<RndisMessage> rndisMessages(byte[] data) throws NetCodecException {
        int type = data.length < 4 ? -1 : ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        if (type == Rndis.TYPE_PACKET) {
            return RndisMessage.decodeAll(MemorySegment.ofArray(data), 0, data.length);
        }
        return List.of(RndisMessage.decode(data));
    }

    private void frameFromGuest(Queue q, RndisMessage.Packet p) {
        for (PerPacketInfo info : p.info()) {
            if (info.type() == PerPacketInfo.TYPE_LSO) {
                dropsLso++; // the NIC offers no segmentation offload: a guest asking for it gets nothing sent
                return;
            }
        }
        byte[] frame = p.frame();
        q.framesFromGuest++;
        q.bytesFromGuest += frame.length;
        if (!port.send(frame, 0, frame.length)) {
            dropsBackend++;
        }
    }

    private void control(Queue q, RndisMessage m) throws Mistake {
        switch (m) {
            case RndisMessage.InitializeRequest init -> {
                if (rndisInitialized) {
                    throw new Mistake("a second RNDIS INITIALIZE_MSG");
                }
                rndisInitialized = true;
                byte[] reply = new RndisMessage.InitializeComplete(init.requestId(), Rndis.STATUS_SUCCESS,
                        Rndis.MAJOR_VERSION, Rndis.MINOR_VERSION, Rndis.DEVICE_CONNECTIONLESS, Rndis.MEDIUM_802_3, 8,
                        0xEFFFFFFF, 3, 0, 0).encode();
                if (faults.rndisGarbage()) {
                    reply = rndisGarbage(reply.length);
                }
                sendControl(q, reply);
                indicateLinkSoon();
            }
            case RndisMessage.Query query -> {
                initialized("QUERY_MSG");
                byte[] info = query(query.oid());
                sendControl(q, new RndisMessage.QueryComplete(query.requestId(),
                        info == null ? Rndis.STATUS_NOT_SUPPORTED : Rndis.STATUS_SUCCESS,
                        info == null ? new byte[0] : info).encode());
            }
            case RndisMessage.Set set -> {
                initialized("SET_MSG");
                sendControl(q, new RndisMessage.SetComplete(set.requestId(), set(set.oid(), set.info())).encode());
            }
            case RndisMessage.KeepAlive k -> sendControl(q,
                    new RndisMessage.KeepAliveComplete(k.requestId(), Rndis.STATUS_SUCCESS).encode());
            case RndisMessage.Halt h -> LOG.info("host: nic: RNDIS HALT from the guest");
            default -> throw new Mistake("RNDIS " + Rndis.typeName(m.type()) + ", which a guest never sends");
        }
    }

    /** An RNDIS message whose {@code msg_len} claims more than the range holds, for the garbage knob. */
    static byte[] rndisGarbage(int length) {
        byte[] out = new byte[Math.max(length, 16)];
        java.util.Arrays.fill(out, (byte) 0x5A);
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putInt(0, Rndis.TYPE_INITIALIZE_COMPLETE)
                .putInt(4, out.length * 16);
        return out;
    }

    private void initialized(String what) throws Mistake {
        if (!rndisInitialized) {
            throw new Mistake("RNDIS " + what + " before INITIALIZE_MSG");
        }
    }

    /** The value of {@code oid}, or null for one this NIC does not support. */
    byte[] query(int oid) {
        return switch (oid) {
            case Rndis.OID_GEN_SUPPORTED_LIST -> {
                ByteBuffer b = ByteBuffer.allocate(4 * SUPPORTED_OIDS.length).order(ByteOrder.LITTLE_ENDIAN);
                for (int o : SUPPORTED_OIDS) {
                    b.putInt(o);
                }
                yield b.array();
            }
            case Rndis.OID_GEN_MAXIMUM_FRAME_SIZE -> u32(maxFrameSize());
            case Rndis.OID_GEN_MAXIMUM_TOTAL_SIZE -> u32(maxFrameSize() + 14);
            case Rndis.OID_GEN_LINK_SPEED -> u32((int) (LINK_SPEED_BPS / 100));
            case Rndis.OID_GEN_MEDIA_CONNECT_STATUS -> u32(linkUp ? Rndis.MEDIA_STATE_CONNECTED
                    : Rndis.MEDIA_STATE_DISCONNECTED);
            case Rndis.OID_802_3_PERMANENT_ADDRESS, Rndis.OID_802_3_CURRENT_ADDRESS -> mac.clone();
            case Rndis.OID_GEN_CURRENT_PACKET_FILTER -> u32(packetFilter);
            case Rndis.OID_GEN_RECEIVE_SCALE_CAPABILITIES -> Ndis.rssCapabilities(config.queues());
            case Rndis.OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES -> Ndis.offloadCapabilities();
            default -> null;
        };
    }

    /** The MTU the guest may use: the configured one, within what its NDIS configuration sized slots for. */
    private int maxFrameSize() {
        return Math.min(config.mtu(), ndisMtu - 14);
    }

    /** Applies a SET; returns the RNDIS status. */
    private int set(int oid, byte[] info) {
        switch (oid) {
            case Rndis.OID_GEN_CURRENT_PACKET_FILTER -> {
                if (info.length < 4) {
                    return Rndis.STATUS_INVALID_DATA;
                }
                packetFilter = ByteBuffer.wrap(info).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
                if (packetFilter != Rndis.FILTER_NONE) {
                    flushAll();
                }
                return Rndis.STATUS_SUCCESS;
            }
            case Rndis.OID_GEN_RECEIVE_SCALE_PARAMETERS -> {
                try {
                    int[] table = Ndis.rssTable(info, config.queues());
                    if (table != null || (info.length >= 6 && (ByteBuffer.wrap(info).order(ByteOrder.LITTLE_ENDIAN)
                            .getShort(4) & Ndis.RSS_FLAG_DISABLE) != 0)) {
                        rssTable = table;
                    }
                    return Rndis.STATUS_SUCCESS;
                } catch (IllegalArgumentException e) {
                    LOG.info("host: nic refused RSS parameters: " + e.getMessage());
                    return Rndis.STATUS_INVALID_DATA;
                }
            }
            case Rndis.OID_TCP_OFFLOAD_PARAMETERS, Rndis.OID_GEN_RNDIS_CONFIG_PARAMETER,
                 Rndis.OID_GEN_NETWORK_LAYER_ADDRESSES, Rndis.OID_802_3_MULTICAST_LIST, OID_OFFLOAD_ENCAPSULATION -> {
                return Rndis.STATUS_SUCCESS;
            }
            default -> {
                return Rndis.STATUS_NOT_SUPPORTED;
            }
        }
    }

    /** OID_OFFLOAD_ENCAPSULATION, which Linux sets after the offload parameters. */
    static final int OID_OFFLOAD_ENCAPSULATION = 0x0101010A;

    private static byte[] u32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, v).array();
    }

    // ---- to the guest: transfer pages -------------------------------------------------------------------------

    private void sendControl(Queue q, byte[] message) {
        if (q.controlBytes + message.length > MAX_CONTROL_BYTES) {
            faulted(q, "more than " + MAX_CONTROL_BYTES + " bytes of control responses wait for receive slots"
                    + " the guest does not return");
            return;
        }
        q.control.add(message);
        q.controlBytes += message.length;
        scheduleFlush(q); // after the completion of the request that asked for it
    }

    /** Flushes {@code q} on a later turn of the context, once for everything queued meanwhile. */
    private void scheduleFlush(Queue q) {
        if (!q.flushQueued) {
            q.flushQueued = true;
            context.runOnContext(v -> {
                q.flushQueued = false;
                flush(q);
            });
        }
    }

    /** A frame from the backend, on the host's context. */
    private void fromOutside(byte[] frame) {
        if (phase != Phase.ACTIVE || !rndisInitialized || queues.isEmpty()) {
            dropsNotReady++;
            return;
        }
        if (packetFilter == Rndis.FILTER_NONE) {
            dropsFilter++;
            return;
        }
        if (frame.length > ndisMtu || RndisMessage.Packet.ppiLength(RX_INFO) + Rndis.PACKET_HEADER_SIZE
                + frame.length > slots.slotSize()) {
            dropsTooLong++;
            return;
        }
        Queue q = pick(frame);
        if (q.data.size() >= MAX_PENDING_FRAMES) {
            dropsBacklog++;
            pausePort();
            return;
        }
        byte[] message = new byte[Rndis.PACKET_HEADER_SIZE + RX_INFO_LENGTH + frame.length];
        int at = RndisMessage.Packet.writeHeader(MemorySegment.ofArray(message), 0, frame.length, RX_INFO);
        System.arraycopy(frame, 0, message, at, frame.length);
        q.data.add(message);
        scheduleFlush(q);
    }

    /** The queue a frame goes to: its flow's hash through the guest's indirection table, else the primary. */
    private Queue pick(byte[] frame) {
        if (queues.size() == 1) {
            return queues.firstEntry().getValue();
        }
        int hash = FlowHash.of(frame);
        int index;
        if (rssTable != null) {
            index = rssTable[Math.floorMod(hash, rssTable.length)];
        } else {
            index = Math.floorMod(hash, subchannelsGranted + 1);
        }
        Queue q = queues.get(index);
        return q != null ? q : queues.firstEntry().getValue();
    }

    private void flushAll() {
        for (Queue q : List.copyOf(queues.values())) {
            flush(q);
        }
    }

    /** Sends what waits on {@code q} while receive slots and ring room last: control first, then frames. */
    private void flush(Queue q) {
        if (slots == null || !q.driver.open() || (phase != Phase.ACTIVE && phase != Phase.INITIALIZING)) {
            return;
        }
        while (!q.control.isEmpty()) {
            byte[] message = q.control.peek();
            ReceiveSlots.Batch batch = fill(List.of(message));
            if (batch == null) {
                return; // wait for the guest to return slots
            }
            q.control.poll();
            q.controlBytes -= message.length;
            sendBatch(q, batch, Nvsp.CHANNEL_CONTROL);
        }
        while (!q.data.isEmpty() && phase == Phase.ACTIVE) {
            int room = slots.free() - (slots.count() > 2 * CONTROL_SLOTS ? CONTROL_SLOTS : 0);
            int n = Math.min(Math.min(MAX_RANGES, q.data.size()), room);
            if (n <= 0 || q.driver.parkedCount() >= MAX_PARKED_BATCHES) {
                pausePort();
                return;
            }
            List<byte[]> frames = new ArrayList<>(n);
            long bytes = 0;
            for (int i = 0; i < n; i++) {
                byte[] m = q.data.poll();
                frames.add(m);
                bytes += m.length - Rndis.PACKET_HEADER_SIZE - RX_INFO_LENGTH;
            }
            ReceiveSlots.Batch batch = fill(frames);
            q.framesToGuest += n;
            q.bytesToGuest += bytes;
            sendBatch(q, batch, Nvsp.CHANNEL_DATA);
        }
        if (portPaused) {
            resumeIfRoom();
        }
    }

    private ReceiveSlots.Batch fill(List<byte[]> messages) {
        if (faults.rangePastBuffer()) {
            slots.rangePastBuffer();
        }
        int set = faults.wrongPageSetId() ? (pageSetId ^ 0x5A5A) & 0xFFFF : pageSetId;
        return slots.fill(messages, set);
    }

    private void sendBatch(Queue q, ReceiveSlots.Batch batch, int channelType) {
        long id = faults.transactionIdPastSlots() ? slots.count() + 1L : batch.transactionId();
        byte[] payload = new NvspMessage.RndisPacket(channelType, Nvsp.NO_SECTION, 0).encode(messageSize());
        q.batches++;
        Future<Void> sent = q.driver.send(payload, id, PacketType.DATA_USING_XFER_PAGES,
                PacketLayout.FLAG_COMPLETION_REQUESTED, batch.ranges(), null);
        if (!sent.isComplete()) {
            sent.onComplete(ar -> context.runOnContext(x -> flush(q)));
        }
    }

    private void pausePort() {
        if (!portPaused) {
            portPaused = true;
            port.pause();
        }
    }

    private void resumePort() {
        if (portPaused) {
            portPaused = false;
            port.resume();
        }
    }

    private void resumeIfRoom() {
        for (Queue q : queues.values()) {
            if (q.data.size() > MAX_PENDING_FRAMES / 2 || q.driver.parkedCount() >= MAX_PARKED_BATCHES) {
                return;
            }
        }
        if (slots != null && slots.free() > CONTROL_SLOTS) {
            resumePort();
        }
    }

    // ---- figures ----------------------------------------------------------------------------------------------

    /** The NIC's state for the host's dashboard and {@code SimulatedHost.state()}. */
    public JsonObject state() {
        JsonObject json = new JsonObject().put("device", name()).put("relid", offer.relid())
                .put("phase", phase.name().toLowerCase()).put("backend", config.backend())
                .put("mac", HexFormat.ofDelimiter(":").formatHex(mac)).put("mtu", config.mtu())
                .put("link", linkUp ? "up" : "down").put("queuesConfigured", config.queues())
                .put("opens", opens).put("faults", faultCount);
        if (version != 0) {
            json.put("nvspVersion", Nvsp.versionName(version));
        }
        if (ndisVersioned) {
            json.put("ndisVersion", ndisMajor + "." + ndisMinor);
        }
        if (ndisConfigured) {
            json.put("ndisMtu", ndisMtu);
        }
        json.put("packetFilter", packetFilter).put("rndisInitialized", rndisInitialized)
                .put("subchannelsGranted", subchannelsGranted);
        if (slots != null) {
            json.put("receiveSlots", new JsonObject().put("size", slots.slotSize()).put("count", slots.count())
                    .put("inUse", slots.count() - slots.free()).put("batchesOutstanding", slots.outstanding()));
        }
        if (sendBuffer != null) {
            json.put("sendSections", new JsonObject().put("size", SECTION_SIZE).put("count", sectionCount));
        }
        JsonArray qs = new JsonArray();
        queues.values().forEach(q -> qs.add(q.state()));
        json.put("queues", qs);
        json.put("drops", new JsonObject().put("notReady", dropsNotReady).put("filter", dropsFilter)
                .put("tooLong", dropsTooLong).put("backlog", dropsBacklog).put("lso", dropsLso)
                .put("backend", dropsBackend));
        FramePort.Stats s = port.stats();
        json.put("port", new JsonObject().put("framesIn", s.framesIn()).put("bytesIn", s.bytesIn())
                .put("framesOut", s.framesOut()).put("bytesOut", s.bytesOut())
                .put("dropsOutsideFull", s.dropsOutsideFull()).put("dropsTooLong", s.dropsTooLong())
                .put("paused", portPaused));
        if (fault != null) {
            json.put("failure", fault);
        }
        return json;
    }
}
