package dev.vmbus.device.netvsc;

import dev.vmbus.channel.Packet;
import dev.vmbus.net.NetCodecException;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.PerPacketInfo;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.net.Vlan;
import dev.vmbus.ring.TransferPageRanges;
import dev.vmbus.spi.ChannelPort;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A {@link Nic}'s receive path (spec §3.5): transfer-page packets from the host, each range an RNDIS message in a
 * receive slot, bounds-checked against the receive buffer; PACKET_MSGs' frames copied straight to the backend,
 * control responses to {@link NicControl}, link indications to the NIC; each packet completed (NVSP 108) on its
 * own channel once its frames are copied out.
 *
 * <p>Threads: the NIC's (see {@link Nic}).
 */
final class NicReceive {
    private static final byte[] RECEIVE_DONE = new NvspMessage.RndisPacketComplete(Nvsp.STATUS_SUCCESS)
            .encode(Nic.MESSAGE_SIZE);

    private final Nic nic;
    private final byte[] header = new byte[Rndis.PACKET_HEADER_SIZE];
    private final ByteBuffer headerView = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
    private byte[] frame;
    volatile int slotSize;
    volatile int slotCount;
    volatile long dropsTooLong;
    volatile long dropsBackend;
    volatile long dropsEmpty;
    /** Frames whose 802.1Q tag came in a VLAN PPI, given to the backend tagged. */
    volatile long vlanTagged;
    /** NETWORK_CHANGE indications from the host. */
    volatile long networkChanges;
    /**
     * How long the link stays down after the host's NETWORK_CHANGE: Linux's {@code LINKCHANGE_INT}, 2 s ("link_watch
     * only sends one notification with current state per second").
     */
    static final long NETWORK_CHANGE_MS = 2000;
    /** The timer that ends a network change's bounce, or -1. */
    private long bounce = -1;
    volatile long statusIndications;
    /** Whether the host has said the link state in an indication (MEDIA_CONNECT or MEDIA_DISCONNECT). */
    boolean linkIndicated;
    /** A frame went to the backend since {@link Nic#batch} last looked (it then reads the backend at once). */
    boolean wroteOut;

    NicReceive(Nic nic) {
        this.nic = nic;
    }

    /** The largest frame the backend takes (once bring-up knows the MTU). */
    void frame(int maxFrame) {
        frame = new byte[maxFrame];
    }

    /** A transfer-page packet: RNDIS messages in receive slots, completed once they are copied out. */
    void transferPages(Packet packet) {
        NicQueue queue = nic.queues.computeIfAbsent(packet.relid(), relid -> {
            ChannelPort p = nic.subchannelPorts.get(relid);
            return new NicQueue(p == null ? -1 : p.channel().offer().subchannel(), relid, p);
        });
        if (nic.receiveMemory == null || slotCount == 0) {
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
        NvspMessage m = Nic.nvsp(packet.payload(), false, "a transfer-page packet's NVSP message");
        if (!(m instanceof NvspMessage.RndisPacket)) {
            throw new NetvscFault("a transfer-page packet carries NVSP type " + m.type() + ", not "
                    + Nvsp.TYPE_SEND_RNDIS_PKT);
        }
        queue.transferPackets++;
        for (int i = 0; i < xfer.count(); i++) {
            long offset = Integer.toUnsignedLong(xfer.byteOffset(i));
            long count = Integer.toUnsignedLong(xfer.byteCount(i));
            if (!nic.receiveBuffer.contains(offset, count)) {
                throw new NetvscFault("transfer-page range " + i + " of " + count + " bytes at offset " + offset
                        + " is outside the receive buffer's " + nic.receiveBuffer.size() + " bytes");
            }
            rndisMessage(queue, offset, count);
        }
        nic.portOf(packet.relid()).complete(packet, RECEIVE_DONE); // fails only once the channel ended
    }

    /** The RNDIS message in {@code [offset, offset + count)} of the receive buffer (already bounds-checked). */
    private void rndisMessage(NicQueue queue, long offset, long count) {
        MemorySegment memory = nic.receiveMemory;
        if (count < 8) {
            throw new NetvscFault("a transfer-page range of " + count + " bytes is shorter than an RNDIS header");
        }
        int type = memory.get(Nic.U32, offset);
        long length = Integer.toUnsignedLong(memory.get(Nic.U32, offset + 4));
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
            m = RndisMessage.decode(memory, offset, (int) length);
        } catch (NetCodecException e) {
            throw new NetvscFault("an RNDIS message from the host: " + e.getMessage(), e);
        }
        switch (m) {
            case RndisMessage.InitializeComplete c -> nic.control.response(c.requestId(), c);
            case RndisMessage.QueryComplete c -> nic.control.response(c.requestId(), c);
            case RndisMessage.SetComplete c -> nic.control.response(c.requestId(), c);
            case RndisMessage.KeepAliveComplete c -> nic.control.response(c.requestId(), c);
            case RndisMessage.IndicateStatus s -> indicateStatus(s);
            case RndisMessage.KeepAlive k -> nic.ignoredMessages++; // Linux answers none either
            default -> throw new NetvscFault("the host sent RNDIS " + Rndis.typeName(m.type())
                    + ", which only a guest sends");
        }
    }

    private void indicateStatus(RndisMessage.IndicateStatus s) {
        statusIndications++;
        if (s.status() == Rndis.STATUS_MEDIA_CONNECT || s.status() == Rndis.STATUS_MEDIA_DISCONNECT) {
            boolean up = s.status() == Rndis.STATUS_MEDIA_CONNECT;
            linkIndicated = true;
            if (up != nic.link) {
                nic.link = up;
                Nic.LOG.info("netvsc " + nic.name + ": link " + (up ? "up" : "down"));
                if (nic.port instanceof Nic.LinkAware aware) {
                    aware.link(up);
                }
            } else if (up) {
                connectedAgain();
            }
        } else if (s.status() == Rndis.STATUS_NETWORK_CHANGE) {
            networkChanged();
        }
        // LINK_SPEED_CHANGE, TASK_OFFLOAD_CURRENT_CONFIG: counted, nothing to change here.
    }

    /**
     * A MEDIA_CONNECT while the link is up: the host moved the VM (Hyper-V tells a guest so after a live or quick
     * migration) and wants it to announce itself, as Linux's {@code netvsc_link_change} does with {@code
     * netdev_notify_peers} when its carrier is already on ("send GARP packet to network peers after migrations");
     * the NIC announces its MAC ({@link NicSend#announce}). Not while its backend's interface is down (packet filter
     * none: Linux's interface is down and sends nothing) nor during a network change's bounce (Linux's carrier is
     * off then, and the connect only ends the bounce).
     */
    private void connectedAgain() {
        if (nic.phase != Nic.Phase.UP || nic.packetFilter == Rndis.FILTER_NONE || bounce >= 0) {
            return;
        }
        Nic.LOG.info("netvsc " + nic.name + ": the host connected the link again while it was up (it moved the VM):"
                + " the NIC announces its MAC " + nic.macText() + ", as Linux's netvsc notifies its peers");
        nic.tx.announce();
    }

    /**
     * The host's network changed (Hyper-V tells it when the adapter is moved to another switch or network, or the VM
     * to another host): as Linux's {@code netvsc_link_change} does, while the link is up the backend's link goes down
     * for {@link #NETWORK_CHANGE_MS} and up again, so what watches it (a DHCP client, IPv6 router discovery) starts
     * over on the new network. One bounce at a time; a MEDIA_DISCONNECT meanwhile keeps the link down.
     */
    private void networkChanged() {
        networkChanges++;
        if (!nic.link || bounce >= 0 || !(nic.port instanceof Nic.LinkAware aware)) {
            return;
        }
        Nic.LOG.info("netvsc " + nic.name + ": the host's network changed: the link goes down for "
                + Nic.duration(NETWORK_CHANGE_MS) + " and up again, as Linux's netvsc takes its carrier, so DHCP and"
                + " router discovery start over");
        aware.link(false);
        io.vertx.core.Context here = nic.context;
        bounce = nic.vertx.setTimer(NETWORK_CHANGE_MS, id -> here.runOnContext(v -> {
            bounce = -1;
            if (nic.phase == Nic.Phase.UP && nic.link && nic.port == aware) { // not a backend closed meanwhile
                aware.link(true);
            }
        }));
    }

    /** Cancels a network change's bounce that has not ended (the NIC failed or closed). */
    void cancelBounce() {
        if (bounce >= 0) {
            nic.vertx.cancelTimer(bounce);
            bounce = -1;
        }
    }

    /**
     * One PACKET_MSG (spec §3.5): its 44-byte header copied once and checked as the codec checks it (no
     * out-of-band data, no VC handle, the frame and the per-packet info inside the message and apart), each
     * per-packet info's header read once and checked (of their data only a VLAN PPI's is read: no offloads are
     * offered), then the frame copied straight from the receive buffer to the backend, with the 802.1Q tag a VLAN
     * PPI carried put back after its addresses, as Linux's {@code rndis_filter_receive_data} gives it to the skb (a
     * VLAN PPI with less than a u32 of data is passed over, as {@code rndis_get_ppi} passes it over).
     */
    private void packetMessage(NicQueue queue, long base, int length) {
        MemorySegment memory = nic.receiveMemory;
        int h = Rndis.PACKET_HEADER_SIZE;
        if (length < h) {
            throw new NetvscFault("RNDIS PACKET_MSG of " + length + " bytes is shorter than its " + h + "-byte header");
        }
        MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, base, header, 0, h);
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
        int tci = -1;
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
                long size = u(memory.get(Nic.U32, base + p));
                long at = u(memory.get(Nic.U32, base + p + 8));
                if (size < Rndis.PPI_HEADER_SIZE || size % 4 != 0 || size > remaining) {
                    throw new NetvscFault("a per-packet info at " + p + " has size " + size
                            + " (at least 12, a multiple of 4, at most " + remaining + ")");
                }
                if (at < Rndis.PPI_HEADER_SIZE || at > size || (size - at) % 4 != 0) {
                    throw new NetvscFault("a per-packet info at " + p + " has data offset " + at + " (at least 12,"
                            + " at most its size " + size + ", leaving whole words)");
                }
                if (memory.get(Nic.U32, base + p + 4) == PerPacketInfo.TYPE_VLAN && size - at >= 4) {
                    tci = Vlan.tciOf(memory.get(Nic.U32, base + p + at));
                }
                p += size;
            }
        }
        if (dataLength == 0) {
            dropsEmpty++;
            return;
        }
        if (nic.phase != Nic.Phase.UP) {
            nic.dropsNotUp++;
            return;
        }
        boolean tag = tci >= 0 && dataLength >= Vlan.AT;
        if (dataLength + (tag ? Vlan.TAG : 0) > frame.length) {
            dropsTooLong++;
            return;
        }
        int n = (int) dataLength;
        int out = n;
        if (tag) {
            MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, base + dataStart, frame, 0, Vlan.AT);
            Vlan.writeTag(frame, Vlan.AT, tci);
            MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, base + dataStart + Vlan.AT, frame, Vlan.AT + Vlan.TAG,
                    n - Vlan.AT);
            out += Vlan.TAG;
            vlanTagged++;
        } else {
            MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, base + dataStart, frame, 0, n);
        }
        queue.framesIn++;
        queue.bytesIn += n;
        if (nic.port.send(frame, 0, out)) {
            wroteOut = true;
        } else {
            dropsBackend++;
        }
    }

    private static long u(int v) {
        return Integer.toUnsignedLong(v);
    }
}
