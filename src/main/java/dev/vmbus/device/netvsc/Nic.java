package dev.vmbus.device.netvsc;

import dev.vmbus.channel.Packet;
import dev.vmbus.net.FramePort;
import dev.vmbus.net.NetCodecException;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.Readiness;
import dev.vmbus.ring.PacketType;
import dev.vmbus.spi.ChannelPort;
import dev.vmbus.spi.DeviceChannel;
import dev.vmbus.spi.OutboundPacket;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;
import java.util.logging.Logger;

/**
 * One synthetic NIC, the guest's end of NVSP + RNDIS on a primary channel and its subchannels (spec
 * netvsc-and-buffers.md §3, as Linux's {@code netvsc.c}/{@code rndis_filter.c} and DPDK's {@code hn_*.c} do it).
 * This class holds what the parts share (the channels, the queues, the phase, the link) and routes packets; the
 * parts are {@link NicBringUp} (NVSP and RNDIS bring-up, over {@link NicControl}'s requests and answers),
 * {@link NicVrss} (subchannels and the indirection table), {@link NicReceive} (frames from transfer pages to the
 * backend) and {@link NicSend} (frames from the backend through send sections).
 *
 * <p>Every answer of the host is checked as Linux checks it; anything wrong (a status other than success where one
 * is required, a malformed message, a range outside a buffer, a transaction id never issued, an RNDIS response
 * nobody asked for, a completion on a channel its request did not go out on) throws {@link NetvscFault} while the
 * packet that carried it is handled, which fails the NIC: that packet's batch faults its channel, and the NIC's
 * other channels end with the same reason (its subchannels share its buffers and state, as Linux's are part of one
 * {@code net_device}); no other device's channel is touched. What goes wrong outside a packet (a host that stops
 * answering during bring-up, caught by a timer; no buffer or guest memory; a backend that does not start) ends
 * the NIC's channels at once with the reason ({@link ChannelPort#end}).
 *
 * <p>Threads: the primary channel's context, {@link ChannelPort#context()} (its {@link dev.vmbus.spi.BatchHandler}
 * runs there, and so do bring-up, the backend's frames, the timers and the send futures). A subchannel's batches
 * are moved onto that context too, and so is {@link #close()}, called from the device's context. {@link NicState#of}
 * is read from the device's context: what it shows is volatile or a snapshot. The context is the port's, never
 * learnt from a callback: a send future that is already complete runs a callback on the thread that adds it, which
 * may be the device's.
 */
final class Nic {
    static final Logger LOG = Logger.getLogger(Nic.class.getName());
    /** Transaction ids of data sends carry this bit, the send section in the low 24 bits, a sequence above. */
    static final long DATA = 1L << 63;
    /** Linux's smallest receive slot and send section: an RNDIS message of this size must fit. */
    static final int MIN_SECTION = 68;
    /** Frames from the backend kept while no send section is free (the backend is paused meanwhile). */
    static final int WAIT_LIMIT = 256;
    /** The NVSP message size this guest sends (Linux's {@code sizeof(struct nvsp_message)}). */
    static final int MESSAGE_SIZE = Nvsp.MESSAGE_SIZE_V61;
    static final int ETHERNET_HEADER = 14;
    static final int VLAN_TAG = 4;
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Where the NIC is in its life. */
    enum Phase { STARTING, NVSP, BUFFERS, RNDIS, SUBCHANNELS, UP, HALTED, FAILED, CLOSED }

    /** Makes the backend once the NIC knows its MAC and MTU. */
    interface PortFactory {
        FramePort open(Vertx vertx, String name, byte[] mac, int mtu, int maxFrame, boolean link) throws Exception;
    }

    /** A backend that mirrors the NIC's link state (a TAP's carrier). */
    interface LinkAware {
        void link(boolean up);
    }

    /**
     * A backend whose outside has a receive mode of its own (a TAP up or down, promiscuous or not) for the packet
     * filter to follow.
     */
    interface FilterAware {
        /**
         * Calls {@code changed} on {@code loop} with the packet filter Linux's netvsc would set for the outside's
         * mode: soon with the mode now, then on each change the kernel announces (nothing runs in between).
         */
        void watchFilter(Readiness loop, IntConsumer changed) throws IOException;
    }

    final Vertx vertx;
    /** The primary channel's context: everything of this NIC but {@link NicState#of} runs there. */
    final Context context;
    final ChannelPort port0;
    final DeviceChannel primary;
    final NetvscSettings settings;
    final String name;
    final PortFactory ports;
    /** The open queues by relid: the primary (index 0) and the subchannels. */
    final Map<Integer, NicQueue> queues = new ConcurrentHashMap<>();
    final Map<Integer, ChannelPort> subchannelPorts = new ConcurrentHashMap<>();

    volatile Phase phase = Phase.STARTING;
    volatile String failure;
    ChannelBuffer receiveBuffer;
    ChannelBuffer sendBuffer;
    MemorySegment receiveMemory;
    MemorySegment sendMemory;
    volatile int nvspVersion;
    volatile int mtu;
    volatile byte[] mac;
    volatile boolean link;
    /** The RNDIS packet filter the host last took (OID_GEN_CURRENT_PACKET_FILTER). */
    volatile int packetFilter;
    /** The backend, once bring-up is done. */
    volatile FramePort port;
    /** Frames dropped because the NIC was not up (either direction). */
    volatile long dropsNotUp;
    volatile long ignoredMessages;

    final NicControl control;
    final NicBringUp bringUp;
    final NicVrss vrss;
    final NicReceive rx;
    final NicSend tx;

    Nic(Vertx vertx, ChannelPort primary, NetvscSettings settings, String name, PortFactory ports) {
        this.vertx = vertx;
        this.port0 = primary;
        this.primary = primary.channel();
        this.settings = settings;
        this.name = name;
        this.ports = ports;
        this.context = primary.context();
        queues.put(primary.relid(), new NicQueue(0, primary.relid(), primary));
        this.control = new NicControl(this);
        this.bringUp = new NicBringUp(this);
        this.vrss = new NicVrss(this);
        this.rx = new NicReceive(this);
        this.tx = new NicSend(this);
        tx.queuesChanged();
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

    /** Starts bring-up ({@link NicBringUp#start}) on the primary's context (from the device's). */
    void start() {
        context.runOnContext(v -> {
            if (phase == Phase.STARTING) {
                bringUp.start();
            }
        });
    }

    /**
     * A subchannel of this NIC opened (vRSS; called on the device's context): on the NIC's, it becomes receive queue
     * {@code index}, or is refused if it is none of the NIC's queues ({@link #refuseSubchannel}).
     */
    void subchannelOpened(int relid, int index) {
        context.runOnContext(v -> {
            if (phase == Phase.CLOSED || failure != null) {
                return;
            }
            String refused = vrss.refusal(relid, index);
            if (refused != null) {
                refuseSubchannel(relid, index, refused);
                return;
            }
            queues.computeIfAbsent(relid, r -> new NicQueue(index, relid, subchannelPorts.get(relid)));
            tx.queuesChanged();
            vrss.subchannelsReady();
        });
    }

    /**
     * A subchannel the host offered that is none of the NIC's queues ({@link NicVrss#refusal}): its channel ends with
     * the reason and the NIC goes on without it, as Linux's netvsc leaves such a subchannel unopened
     * ({@code netvsc_sc_open}: {@code chn_index >= num_chn}). On the NIC's context.
     */
    void refuseSubchannel(int relid, int index, String why) {
        String reason = "netvsc " + name + ": subchannel " + index + " (relid " + relid + ") " + why
                + "; it is not one of the NIC's queues";
        LOG.warning(reason);
        queues.remove(relid);
        tx.queuesChanged();
        ChannelPort p = subchannelPorts.remove(relid);
        if (p != null) {
            p.end(reason);
        }
    }

    /** A subchannel's port, before its first packet. */
    void subchannelPort(ChannelPort port) {
        subchannelPorts.put(port.relid(), port);
    }

    /** A subchannel's packets (on its own context): handled on the primary's, completed through its own port. */
    void subchannelBatch(List<Packet> batch) {
        context.runOnContext(v -> {
            if (!batch.isEmpty() && !subchannelPorts.containsKey(batch.getFirst().relid())) {
                return; // its channel ended, or was refused, while the batch waited: nothing to answer it on
            }
            try {
                batch(batch);
            } catch (RuntimeException e) {
                // the subchannel's batch returned long ago: the NIC fails and ends its channels with the reason
                fail(e instanceof NetvscFault ? e.getMessage() : "netvsc " + name + ": " + e);
                endChannels();
            }
        });
    }

    boolean owns(int relid) {
        return queues.containsKey(relid);
    }

    /** Channel {@code relid} of this NIC ended; true if it was the primary (the NIC is then closed). */
    boolean channelEnded(int relid) {
        if (relid != relid()) {
            NicQueue gone = queues.remove(relid);
            subchannelPorts.remove(relid);
            tx.queuesChanged();
            if (gone != null) {
                context.runOnContext(v -> tx.queueEnded(gone.index));
            }
            return false;
        }
        // as Linux's vmbus_close: the subchannels go with their primary, closed by the guest, not left open until
        // the host takes them away (a fault of the primary's ring is not the NIC's failure, so fail() never ran)
        String why = "netvsc " + name + ": its primary channel " + relid + " ended";
        subchannelPorts.values().forEach(p -> p.close(why));
        close();
        return true;
    }

    /**
     * Stops the backend and gives back what the NIC holds, on the NIC's context (from the device's): there the
     * backend's frames take send sections, RNDIS requests are written into the control page and bring-up installs
     * the backend, so none of them runs beside the close. Closed from the device's thread instead, a backend whose
     * start was finishing on the NIC's context was installed after the close looked for it and stayed open (a TAP
     * left behind), and the sections and the page were given back under a frame being written.
     */
    Future<Void> close() {
        return OnContext.run(context, () -> {
            if (phase == Phase.CLOSED) {
                return;
            }
            phase = Phase.CLOSED;
            release();
            control.closePage();
        });
    }

    /**
     * What Linux's netvsc tells the host before it closes its channel when its device goes ({@code
     * rndis_filter_device_remove}, then {@code netvsc_device_remove}): RNDIS HALT ({@code rndis_filter_halt_device}),
     * then NVSP REVOKE_RECV_BUF and REVOKE_SEND_BUF ({@code netvsc_revoke_recv_buf}, {@code netvsc_revoke_send_buf},
     * ids 0xCAFE and 0xFACE, no completion asked), so the host lets go of the buffers before the channel closes;
     * DPDK's {@code hn_detach} and FreeBSD's {@code hn_synth_detach} revoke them too. Under uio the buffers'
     * GPADLs outlive the channel (the kernel made them and keeps them), and a close alone never told the host the
     * guest is done with them. Only for a NIC that is up (its buffers connected, its RNDIS initialised); the HALT is
     * left out while a control request waits (it would overwrite the control page under it). The NIC is then
     * {@link Phase#HALTED}: no frame goes to the host or the backend any more, and the close follows. On the NIC's
     * context; completes once they are on the ring.
     */
    Future<Void> goodbye() {
        return OnContext.call(context, () -> {
            if (phase != Phase.UP) {
                return Future.succeededFuture();
            }
            phase = Phase.HALTED;
            List<Future<Void>> said = new ArrayList<>();
            if (control.busy()) {
                LOG.info("netvsc " + name + ": a control request still waits for the host: no RNDIS HALT");
            } else {
                said.add(control.halt());
            }
            said.add(port0.send(new OutboundPacket(new NvspMessage.RevokeReceiveBuffer(Nvsp.RECEIVE_BUFFER_ID)
                    .encode(MESSAGE_SIZE), 0, PacketType.DATA_INBAND, 0)));
            said.add(port0.send(new OutboundPacket(new NvspMessage.RevokeSendBuffer(Nvsp.SEND_BUFFER_ID)
                    .encode(MESSAGE_SIZE), 0, PacketType.DATA_INBAND, 0)));
            LOG.info("netvsc " + name + " (channel " + relid() + "): RNDIS halted and both buffers revoked before"
                    + " the close, as Linux's netvsc does");
            return Future.all(said).mapEmpty();
        });
    }

    private void release() {
        control.clear();
        vrss.cancelTimer();
        rx.cancelBounce();
        tx.clear();
        if (port != null) {
            port.close();
        }
    }

    /**
     * The NIC failed outside packet handling (no buffer, no guest memory, a host that stopped answering, a backend
     * that did not start, a send that failed): it fails, and its channels end at once with the reason, which names
     * the NIC as a fault in a packet's does.
     */
    void failAndEnd(String reason) {
        fail("netvsc " + name + ": " + reason);
        endChannels();
    }

    /** Ends the primary and the subchannels with the NIC's failure (nothing if it has not failed). */
    private void endChannels() {
        String reason = failure;
        if (reason == null) {
            return;
        }
        port0.end(reason);
        subchannelPorts.values().forEach(p -> p.end(reason));
    }

    /** The NIC failed: it gives back what it holds, and its channels' next packet is refused with the reason. */
    void fail(String reason) {
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
     *
     * <p>If the batch wrote frames to the backend, the backend is read at once ({@link FramePort#readNow}): what
     * the outside answered while the write ran (an echo reply, a TCP ACK) goes to the host in this drain pass,
     * staged with the pass's receive completions and published with them under one signal, instead of the
     * completions' signal waking the host once and the answer waking it again a moment later.
     */
    void batch(List<Packet> batch) {
        handle(batch);
        if (rx.wroteOut) {
            rx.wroteOut = false;
            FramePort p = port;
            if (p != null && phase == Phase.UP) {
                p.readNow();
            }
        }
    }

    private void handle(List<Packet> batch) {
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
                    case PacketType.DATA_USING_XFER_PAGES -> rx.transferPages(packet);
                    case PacketType.DATA_INBAND -> inband(packet);
                    default -> throw new NetvscFault("the host sent a " + PacketType.name(packet.type())
                            + " packet, which no NVSP host sends");
                }
            } catch (RuntimeException e) {
                // a host mistake, or a slip of the NIC's own: a JDK exception, named with its class as the runtime
                // names it on a channel (so it reads as one), ends all the NIC's channels as a mistake does
                String reason = "netvsc " + name + ": " + (e instanceof NetvscFault ? e.getMessage() : e.toString());
                fail(reason);
                // the throw faults the channel this batch came from; the NIC's other channels end with it now
                subchannelPorts.values().forEach(p -> p.end(reason));
                throw new NetvscFault(reason, e);
            }
            if (failure != null) {
                throw new NetvscFault(failure);
            }
        }
    }

    ChannelPort portOf(int relid) {
        return relid == relid() ? port0 : subchannelPorts.get(relid);
    }

    static NvspMessage nvsp(byte[] payload, boolean completion, String what) {
        try {
            return NvspMessage.decode(payload, completion);
        } catch (NetCodecException e) {
            throw new NetvscFault(what + ": " + e.getMessage(), e);
        }
    }

    static <T extends NvspMessage> T expect(NvspMessage m, Class<T> type, String what) {
        if (!type.isInstance(m)) {
            throw new NetvscFault("the host answered " + what + " with NVSP type " + m.type() + " ("
                    + m.getClass().getSimpleName() + ") instead of " + type.getSimpleName());
        }
        return type.cast(m);
    }

    /**
     * A completion, matched against the requests of the channel it came on (as Linux looks its transaction id up in
     * that channel's own requestor): NVSP and RNDIS requests go on the primary only, a frame on its queue's channel.
     */
    private void completion(Packet packet) {
        long tid = packet.transactionId();
        if ((tid & DATA) != 0) {
            tx.completed(packet, tid);
        } else if (packet.relid() != relid()) {
            throw new NetvscFault("a completion on channel " + packet.relid() + " for transaction id "
                    + Long.toUnsignedString(tid) + ", which this guest never issued on that channel (its NVSP and"
                    + " RNDIS requests go on channel " + relid() + ")");
        } else {
            control.completed(packet, tid);
        }
    }

    private void inband(Packet packet) {
        NvspMessage m;
        try {
            m = NvspMessage.decodeInband(packet.payload(), nvspVersion);
        } catch (NetCodecException e) {
            throw new NetvscFault("an in-band NVSP message from the host: " + e.getMessage(), e);
        }
        if (m instanceof NvspMessage.IndirectionTable table) {
            // The host's send steering table, kept as Linux keeps it; like Linux, completed never (OpenVMM: "the
            // Linux netvsc driver ignores the completion requested flag").
            tx.sendTable(table.entries());
            return;
        }
        if (m instanceof NvspMessage.VfAssociation || m instanceof NvspMessage.SwitchDataPath) {
            // A VF offer, a data-path switch: nothing to do without a VF, and nothing to complete.
            ignoredMessages++;
            return;
        }
        throw new NetvscFault("the host sent NVSP type " + m.type() + " in-band, which a host never sends");
    }

    /** Sends on the primary channel; a send that fails fails the NIC. */
    void send(OutboundPacket packet) {
        port0.send(packet).onFailure(this::sendFailed);
    }

    void sendFailed(Throwable e) {
        if (phase != Phase.CLOSED && phase != Phase.FAILED) {
            failAndEnd("could not send on channel " + relid() + ": " + e.getMessage());
        }
    }

    /** {@code ms} as people read it: whole seconds in s, else ms. */
    static String duration(long ms) {
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }

    String macText() {
        return mac == null ? null : HexFormat.ofDelimiter(":").formatHex(mac);
    }
}
