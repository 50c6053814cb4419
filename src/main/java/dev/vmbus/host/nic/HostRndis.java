package dev.vmbus.host.nic;

import dev.vmbus.channel.Packet;
import dev.vmbus.host.GpaReader;
import dev.vmbus.net.NetCodecException;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.PerPacketInfo;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.net.Vlan;
import dev.vmbus.transport.GuestMemory;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static dev.vmbus.host.nic.HostNic.LINK_SPEED_BPS;
import static dev.vmbus.host.nic.HostNic.MAX_GPA_BYTES;
import static dev.vmbus.host.nic.HostNic.SECTION_SIZE;

/**
 * The host's NIC's RNDIS (spec §5.1 H4–H5): NVSP 107 from the guest, its RNDIS bytes from the send section named
 * (index below the section count, size at most a section) followed by its GPA-direct ranges; every PACKET_MSG's
 * frame goes to the backend, control messages are answered (INITIALIZE once, QUERY of the OIDs of {@link #query},
 * SET of the packet filter, the RSS parameters and the rest accepted, KEEPALIVE, HALT; an unknown OID gets
 * NOT_SUPPORTED), and the packet is completed with COMP 108 SUCCESS.
 *
 * <p>Threads: the host's context.
 */
final class HostRndis {
    private static final int[] SUPPORTED_OIDS = {Rndis.OID_GEN_SUPPORTED_LIST, Rndis.OID_GEN_MAXIMUM_FRAME_SIZE,
            Rndis.OID_GEN_LINK_SPEED, Rndis.OID_GEN_CURRENT_PACKET_FILTER, Rndis.OID_GEN_MAXIMUM_TOTAL_SIZE,
            Rndis.OID_GEN_MEDIA_CONNECT_STATUS, Rndis.OID_GEN_RECEIVE_SCALE_CAPABILITIES,
            Rndis.OID_802_3_PERMANENT_ADDRESS, Rndis.OID_802_3_CURRENT_ADDRESS,
            Rndis.OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES};

    private final HostNic nic;
    /** The host's private copy of the send section a packet names (one context: reused for every packet). */
    private final byte[] sectionArray = new byte[SECTION_SIZE];
    private final MemorySegment sectionCopy = MemorySegment.ofArray(sectionArray);
    // reset on every open of the primary
    boolean rndisInitialized;
    int packetFilter;
    int[] rssTable;
    // figures since start
    long dropsLso;
    long dropsBackend;
    /** Frames the guest sent with their 802.1Q tag out of band, handed on tagged. */
    long vlanFromGuest;
    /** A read of the backend is queued behind this drain pass (frames went out in it). */
    private boolean readQueued;

    HostRndis(HostNic nic) {
        this.nic = nic;
    }

    /** Forgets the RNDIS state (a new open starts from INITIALIZE). */
    void reset() {
        rndisInitialized = false;
        packetFilter = Rndis.FILTER_NONE;
        rssTable = null;
    }

    void gpaDirect(HostNicQueue q, Packet packet) throws NicMistake, NetCodecException {
        if (!packet.completionRequested()) {
            throw new NicMistake("GPA-direct packet " + Long.toUnsignedString(packet.transactionId())
                    + " does not request a completion");
        }
        if (nic.memory == null) {
            throw new NicMistake("a GPA-direct packet, but this host shares no guest memory");
        }
        byte[] data;
        try {
            data = GpaReader.read(nic.memory, packet.gpaRanges(), MAX_GPA_BYTES);
        } catch (GuestMemory.GuestMemoryException e) {
            throw new NicMistake("GPA-direct packet " + Long.toUnsignedString(packet.transactionId()) + ": "
                    + e.getMessage());
        }
        NvspMessage m = NvspMessage.decode(packet.payload(), false);
        if (!(m instanceof NvspMessage.RndisPacket r)) {
            throw new NicMistake("a GPA-direct packet carrying NVSP " + m.type() + " (only 107 carries data)");
        }
        rndisPacket(q, packet, r, data);
    }

    void rndisPacket(HostNicQueue q, Packet packet, NvspMessage.RndisPacket r, byte[] gpaData)
            throws NicMistake, NetCodecException {
        if (nic.phase == HostNic.Phase.INITIALIZING) {
            HostNvsp nvsp = nic.nvsp;
            if (!(nvsp.ndisConfigured || nvsp.version == Nvsp.VERSION_1) || !nvsp.ndisVersioned || nvsp.slots == null) {
                throw new NicMistake("an RNDIS packet before the NVSP initialisation finished (NDIS_CONFIG "
                        + (nvsp.ndisConfigured ? "sent" : "missing") + ", NDIS_VERSION "
                        + (nvsp.ndisVersioned ? "sent" : "missing")
                        + ", receive buffer " + (nvsp.slots != null ? "given" : "missing") + ")");
            }
            nic.phase = HostNic.Phase.ACTIVE;
        }
        nic.nvsp.active("an RNDIS packet");
        if (!packet.completionRequested()) {
            throw new NicMistake("NVSP 107 without a transaction id (completion not requested)");
        }
        int sectionLength = 0;
        if (r.sectionIndex() != Nvsp.NO_SECTION) {
            long index = Integer.toUnsignedLong(r.sectionIndex());
            long size = Integer.toUnsignedLong(r.sectionSize());
            if (nic.nvsp.sendBuffer == null) {
                throw new NicMistake("NVSP 107 names send section " + index + " but the guest gave no send buffer");
            }
            if (index >= nic.nvsp.sectionCount) {
                throw new NicMistake("NVSP 107 names send section " + index + "; the send buffer has "
                        + nic.nvsp.sectionCount);
            }
            if (size == 0 || size > SECTION_SIZE) {
                throw new NicMistake("NVSP 107 names " + size + " bytes of send section " + index + " (1.."
                        + SECTION_SIZE + ")");
            }
            // the one copy out of guest memory, before anything in it is looked at (spec §5.1 H4)
            MemorySegment.copy(nic.nvsp.sendBuffer.slice(index * SECTION_SIZE, size), 0, sectionCopy, 0, size);
            sectionLength = (int) size;
        }
        boolean gpa = gpaData != null && gpaData.length > 0;
        if (sectionLength == 0 && !gpa) {
            throw new NicMistake("NVSP 107 with no RNDIS bytes (no section, no GPA range)");
        }
        // frames in a section (the data path) go to the backend from the copy, in place
        if (gpa || !RndisMessage.forEachPacket(sectionArray, sectionLength, (frame, offset, length, lso, vlan) ->
                frameFromGuest(q, frame, offset, length, lso, vlan))) {
            byte[] data = java.util.Arrays.copyOf(sectionArray, sectionLength + (gpa ? gpaData.length : 0));
            if (gpa) {
                System.arraycopy(gpaData, 0, data, sectionLength, gpaData.length);
            }
            for (RndisMessage m : rndisMessages(data)) {
                if (m instanceof RndisMessage.Packet p) {
                    boolean lso = false;
                    int vlan = -1;
                    for (PerPacketInfo info : p.info()) {
                        lso |= info.type() == PerPacketInfo.TYPE_LSO;
                        if (info.type() == PerPacketInfo.TYPE_VLAN && info.data().length >= 4) {
                            vlan = Vlan.tciOf(info.u32());
                        }
                    }
                    byte[] frame = p.frame();
                    byte[] room = new byte[Vlan.TAG + frame.length];
                    System.arraycopy(frame, 0, room, Vlan.TAG, frame.length);
                    frameFromGuest(q, room, Vlan.TAG, frame.length, lso, vlan);
                } else {
                    control(q, m);
                }
            }
        }
        if (!nic.faults.withholdCompletions()) {
            nic.nvsp.complete(q, packet.transactionId(),
                    new NvspMessage.RndisPacketComplete(Nvsp.STATUS_SUCCESS).encode(nic.nvsp.messageSize()));
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

    /**
     * A frame the guest sent, to the backend; one whose 802.1Q tag came out of band ({@code vlanTci} not -1) gets it
     * back inline, in the 4 bytes before it (its own PACKET_MSG's, checked and read already), as a switch port in
     * trunk mode hands it on.
     */
    private void frameFromGuest(HostNicQueue q, byte[] frame, int offset, int length, boolean lso, int vlanTci) {
        if (lso) {
            dropsLso++; // the NIC offers no segmentation offload: a guest asking for it gets nothing sent
            return;
        }
        q.framesFromGuest++;
        q.bytesFromGuest += length;
        if (vlanTci >= 0 && length >= Vlan.AT) {
            offset = Vlan.tagInPlace(frame, offset, length, vlanTci);
            length += Vlan.TAG;
            vlanFromGuest++;
        }
        if (!nic.port.send(frame, offset, length)) {
            dropsBackend++;
        } else if (!readQueued) {
            // what the outside answered at once (a TCP ACK, an echo reply) goes back in the burst that follows this
            // drain pass, as the guest's NIC does (Nic.batch), instead of on the loop's next readiness
            readQueued = true;
            nic.context.runOnContext(v -> {
                readQueued = false;
                nic.port.readNow();
            });
        }
    }

    private void control(HostNicQueue q, RndisMessage m) throws NicMistake {
        nic.nvsp.releaseHeldOffers();
        switch (m) {
            case RndisMessage.InitializeRequest init -> {
                if (rndisInitialized) {
                    throw new NicMistake("a second RNDIS INITIALIZE_MSG");
                }
                rndisInitialized = true;
                byte[] reply = new RndisMessage.InitializeComplete(init.requestId(), Rndis.STATUS_SUCCESS,
                        Rndis.MAJOR_VERSION, Rndis.MINOR_VERSION, Rndis.DEVICE_CONNECTIONLESS, Rndis.MEDIUM_802_3, 8,
                        0xEFFFFFFF, 3, 0, 0).encode();
                if (nic.faults.rndisGarbage()) {
                    reply = rndisGarbage(reply.length);
                }
                nic.toGuest.sendControl(q, reply);
                nic.link.tellSoon();
            }
            case RndisMessage.Query query -> {
                initialized("QUERY_MSG");
                byte[] info = query(query.oid());
                nic.toGuest.sendControl(q, new RndisMessage.QueryComplete(query.requestId(),
                        info == null ? Rndis.STATUS_NOT_SUPPORTED : Rndis.STATUS_SUCCESS,
                        info == null ? new byte[0] : info).encode());
            }
            case RndisMessage.Set set -> {
                initialized("SET_MSG");
                nic.toGuest.sendControl(q, new RndisMessage.SetComplete(set.requestId(), set(set.oid(), set.info()))
                        .encode());
            }
            case RndisMessage.KeepAlive k -> nic.toGuest.sendControl(q,
                    new RndisMessage.KeepAliveComplete(k.requestId(), Rndis.STATUS_SUCCESS).encode());
            case RndisMessage.Halt h -> HostNic.LOG.info("host: nic: RNDIS HALT from the guest");
            default -> throw new NicMistake("RNDIS " + Rndis.typeName(m.type()) + ", which a guest never sends");
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

    private void initialized(String what) throws NicMistake {
        if (!rndisInitialized) {
            throw new NicMistake("RNDIS " + what + " before INITIALIZE_MSG");
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
            case Rndis.OID_GEN_MEDIA_CONNECT_STATUS -> u32(nic.link.up() ? Rndis.MEDIA_STATE_CONNECTED
                    : Rndis.MEDIA_STATE_DISCONNECTED);
            case Rndis.OID_802_3_PERMANENT_ADDRESS, Rndis.OID_802_3_CURRENT_ADDRESS -> nic.mac.clone();
            case Rndis.OID_GEN_CURRENT_PACKET_FILTER -> u32(packetFilter);
            case Rndis.OID_GEN_RECEIVE_SCALE_CAPABILITIES -> Ndis.rssCapabilities(nic.config.queues());
            case Rndis.OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES -> Ndis.offloadCapabilities();
            default -> null;
        };
    }

    /** The MTU the guest may use: the configured one, within what its NDIS configuration sized slots for. */
    private int maxFrameSize() {
        return Math.min(nic.config.mtu(), nic.nvsp.ndisMtu - 14);
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
                    nic.toGuest.flushAll();
                }
                return Rndis.STATUS_SUCCESS;
            }
            case Rndis.OID_GEN_RECEIVE_SCALE_PARAMETERS -> {
                try {
                    int[] table = Ndis.rssTable(info, nic.config.queues());
                    if (table != null || (info.length >= 6 && (ByteBuffer.wrap(info).order(ByteOrder.LITTLE_ENDIAN)
                            .getShort(4) & Ndis.RSS_FLAG_DISABLE) != 0)) {
                        rssTable = table;
                    }
                    return Rndis.STATUS_SUCCESS;
                } catch (IllegalArgumentException e) {
                    HostNic.LOG.info("host: nic refused RSS parameters: " + e.getMessage());
                    return Rndis.STATUS_INVALID_DATA;
                }
            }
            case Rndis.OID_TCP_OFFLOAD_PARAMETERS -> {
                // As netvsp (oid_set_offload_parameters): LSOv1 asked ON is refused; every other setting is taken.
                if (info.length > OFFLOAD_LSOV1 && info[OFFLOAD_LSOV1] == LSOV1_ENABLED) {
                    HostNic.LOG.info("host: nic refused offload parameters asking for LSOv1 (not supported)");
                    return Rndis.STATUS_NOT_SUPPORTED;
                }
                return Rndis.STATUS_SUCCESS;
            }
            case Rndis.OID_GEN_RNDIS_CONFIG_PARAMETER,
                 Rndis.OID_GEN_NETWORK_LAYER_ADDRESSES, Rndis.OID_802_3_MULTICAST_LIST, OID_OFFLOAD_ENCAPSULATION -> {
                return Rndis.STATUS_SUCCESS;
            }
            default -> {
                return Rndis.STATUS_NOT_SUPPORTED;
            }
        }
    }

    /**
     * NDIS_OFFLOAD_PARAMETERS' {@code LsoV1} byte: after the 4-byte object header and the five checksum settings;
     * {@link #LSOV1_ENABLED} asks for it on (1 is off, 0 no change).
     */
    static final int OFFLOAD_LSOV1 = 9;
    static final byte LSOV1_ENABLED = 2;

    /** OID_OFFLOAD_ENCAPSULATION, which Linux sets after the offload parameters. */
    static final int OID_OFFLOAD_ENCAPSULATION = 0x0101010A;

    private static byte[] u32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, v).array();
    }
}
