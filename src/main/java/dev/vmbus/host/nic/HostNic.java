package dev.vmbus.host.nic;

import dev.vmbus.channel.Offer;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.net.FramePort;
import dev.vmbus.net.LoopbackPort;
import dev.vmbus.net.NullPort;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.net.TapPort;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.runtime.LoopReadiness;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.runtime.Timers;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.SharedGuestMemory;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.IntUnaryOperator;
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
 *   <li>H5: RNDIS INITIALIZE (once), QUERY (the OIDs of {@link HostRndis#query}), SET (packet filter, RSS parameters,
 *       offload parameters and the rest accepted), KEEPALIVE, HALT; an unknown OID gets NOT_SUPPORTED.</li>
 *   <li>H6: frames from the backend become RNDIS PACKET_MSGs in free receive slots, up to 375 per transfer-page
 *       packet; dropped (and counted) while the packet filter is NONE; with no free slot the port is paused
 *       until the guest returns slots. Sixteen slots stay for control messages.</li>
 *   <li>H7 ({@link HostNicLink}): a MEDIA_CONNECT or MEDIA_DISCONNECT indication after INITIALIZE and on every
 *       change, a change within 5 s of the last indication told when the 5 s are up. H8: sends wait
 *       for ring space in the channel runtime, in order; while more than a few batches wait, the port is
 *       paused.</li>
 * </ul>
 *
 * <p>A guest mistake ends only that channel: the host stops serving it and rescinds it, with the reason in
 * {@link #fault()} and the log; the process and the other channels go on. Fault knobs
 * ({@link VmbusConfig.NicFaults}) make the host break the guest's checks, one at a time.
 *
 * <p>This class holds what the parts share (the offer, the backend, the queues, the phase) and the figures; the
 * parts are {@link HostNicChannels} (opens, closes, subchannel offers, a guest mistake ending its channel),
 * {@link HostNvsp} (H2, H3, subchannels), {@link HostRndis} (H4, H5), {@link HostNicLink} (H7) and
 * {@link HostToGuest} (H6, H8).
 *
 * <p>Threads: everything on the host's context; frames from the backend come through it too.
 */
public final class HostNic {
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

    static final Logger LOG = Logger.getLogger(HostNic.class.getName());

    final Context context;
    final HostTransport transport;
    final Offer offer;
    final VmbusConfig.Nic config;
    private final HostTransport.Buffers buffers;
    final SharedGuestMemory memory;
    final FramePort port;
    /** The relid of subchannel {@code i} (1..queues - 1): the same each time it is offered. */
    final IntUnaryOperator subchannelRelids;
    final byte[] mac;
    VmbusConfig.NicFaults faults;
    final HostNicChannels channels = new HostNicChannels(this);
    final HostNvsp nvsp = new HostNvsp(this);
    final HostRndis rndis = new HostRndis(this);
    final HostToGuest toGuest = new HostToGuest(this);

    // the device, reset on every open of the primary
    Phase phase = Phase.OFFERED;
    final TreeMap<Integer, HostNicQueue> queues = new TreeMap<>();
    String fault;

    /** The link, kept across opens. */
    final HostNicLink link;
    /** Why the backend stopped for good (its TAP deleted), or null. */
    String backendFailure;

    // figures since start
    long faultCount;
    long opens;

    /**
     * @param offer            the primary channel's offer (class {@link #CLASS_ID})
     * @param buffers          the receive and send buffers the channel shares ({@link HostTransport.Buffers#UIO})
     * @param memory           guest memory GPA-direct ranges are read from (null: every GPA-direct packet is a fault)
     * @param port             where frames go and come from; started by {@link #start}, closed by {@link #close}
     * @param subchannelRelids the relid of each subchannel this NIC grants, by index (1..{@code queues - 1}): the
     *                         same each time the guest opens the NIC and asks again, so that a NIC opened again
     *                         never takes the relids of the channels offered after it
     */
    public HostNic(Context context, HostTransport transport, Offer offer, VmbusConfig.Nic config,
                   HostTransport.Buffers buffers, SharedGuestMemory memory, FramePort port,
                   IntUnaryOperator subchannelRelids) {
        this(context, transport, offer, config, buffers, memory, port, subchannelRelids, Timers.on(context));
    }

    /** As above, the link's quiet windows ({@link HostNicLink}) on {@code timers}, which fire on {@code context}. */
    HostNic(Context context, HostTransport transport, Offer offer, VmbusConfig.Nic config,
            HostTransport.Buffers buffers, SharedGuestMemory memory, FramePort port,
            IntUnaryOperator subchannelRelids, Timers timers) {
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
        this.link = new HostNicLink(this, timers);
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
                TapPort port = TapPort.open(config.tap(), TapPort.largestFrame(config.mtu()));
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

    /**
     * Starts the backend and offers the primary channel with its buffers. Call on the host's context. A backend that
     * fails for good later (its TAP deleted) takes the link down: the guest is told MEDIA_DISCONNECT, as a virtual
     * switch port that went away is told, and keeps its channel.
     */
    public Future<Void> start() {
        port.whenFailed(reason -> context.runOnContext(v -> backendFailed(reason)));
        try {
            port.startBursts(task -> context.runOnContext(v -> task.run()), LoopReadiness.of(context),
                    toGuest::fromOutside);
        } catch (java.io.IOException | RuntimeException e) {
            return Future.failedFuture(new IllegalStateException("the NIC's " + config.backend()
                    + " backend did not start: " + e.getMessage(), e));
        }
        return transport.offer(offer, buffers, channels.primary());
    }

    private void backendFailed(String reason) {
        if (backendFailure != null) {
            return;
        }
        backendFailure = reason;
        LOG.warning("host nic: the " + config.backend() + " backend failed (" + reason + "); the link goes down");
        link(false);
    }

    /**
     * Takes the adapter away, as a host that removes it: the open subchannels, then the primary, are rescinded. The
     * guest ends its NIC; {@link #offerAgain} adds the adapter back. Call on the host's context.
     */
    public Future<Void> rescind() {
        // the relids first: a rescind can end the queue, which leaves the map, before it returns
        List<Integer> relids = queues.values().stream().map(q -> q.link.offer().relid())
                .filter(relid -> relid != offer.relid()).toList();
        List<Future<Void>> subchannels = new java.util.ArrayList<>();
        relids.forEach(relid -> subchannels.add(transport.rescind(relid).recover(e -> Future.succeededFuture())));
        return Future.join(subchannels).transform(x -> transport.rescind(offer.relid()));
    }

    /** The host's end of this NIC's open channel {@code relid} (the primary or a subchannel), if it has one. */
    public java.util.Optional<ChannelDriver> driver(int relid) {
        return queues.values().stream().filter(q -> q.link.offer().relid() == relid).map(q -> q.driver).findFirst();
    }

    /** Offers the primary channel again with its buffers (after {@link #rescind}); the link is kept. */
    public Future<Void> offerAgain() {
        return transport.offer(offer, buffers, channels.primary());
    }

    /** Closes the backend (the transport rescinds the channels when it closes). Call on the host's context. */
    public void close() {
        port.close();
        // One line for whoever reads the host's log (vmbus bench net): which limit paused the backend.
        LOG.info(PAUSES_LOGGED + toGuest.pausesJson().encode());
    }

    /** How {@link #close} logs the backend's pauses, the JSON of {@code state().port.pauses} following. */
    public static final String PAUSES_LOGGED = "host nic: backend pauses ";

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
        return link.up();
    }

    /**
     * Tells the guest its network changed (an RNDIS INDICATE_STATUS NETWORK_CHANGE, as Hyper-V sends when the adapter
     * moves to another switch); false, sending nothing, before RNDIS is initialised. OpenVMM's netvsp never sends
     * one; Linux's netvsc answers it by taking its carrier down for 2 s.
     */
    public boolean networkChange() {
        return indicate(Rndis.STATUS_NETWORK_CHANGE);
    }

    /**
     * Tells the guest its link is connected while it already is (an RNDIS INDICATE_STATUS MEDIA_CONNECT, as Hyper-V
     * sends after it moved the VM, a live or quick migration); null once sent, else why nothing was sent (before
     * RNDIS is initialised, or while the link is down, where a connect would only raise it). OpenVMM's netvsp never
     * sends one; Linux's netvsc answers it by notifying its peers (a gratuitous ARP), the guest's NIC by announcing
     * its MAC.
     */
    public String migrated() {
        if (!link.up()) {
            return "has its link down: a connect would raise it, not say the VM moved";
        }
        return indicate(Rndis.STATUS_MEDIA_CONNECT) ? null
                : "has no RNDIS session with the guest yet: nothing to tell";
    }

    /** An RNDIS INDICATE_STATUS of {@code status} to the guest; false, sending nothing, before RNDIS is initialised. */
    private boolean indicate(int status) {
        HostNicQueue primary = queues.get(0);
        if (primary == null || !rndis.rndisInitialized) {
            return false;
        }
        toGuest.sendControl(primary, new RndisMessage.IndicateStatus(status, new byte[0]).encode());
        return true;
    }

    /** Sets the link state the guest sees ({@link HostNicLink}: told at once, or when a quiet window closes). */
    public void link(boolean up) {
        link.set(up);
    }

    // ---- figures ----------------------------------------------------------------------------------------------

    /** The NIC's state for the host's dashboard and {@code SimulatedHost.state()} ({@link HostNicState}). */
    public JsonObject state() {
        return HostNicState.of(this);
    }
}
