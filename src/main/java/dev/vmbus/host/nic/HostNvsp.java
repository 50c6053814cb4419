package dev.vmbus.host.nic;

import dev.vmbus.channel.Packet;
import dev.vmbus.host.ReceiveSlots;
import dev.vmbus.net.NetCodecException;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.Rndis;
import dev.vmbus.ring.PacketType;
import dev.vmbus.transport.ChannelBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static dev.vmbus.host.nic.HostNic.GARBAGE_NVSP_TYPE;
import static dev.vmbus.host.nic.HostNic.MAX_MDL_CHAIN_LENGTH;
import static dev.vmbus.host.nic.HostNic.MAX_NDIS_MTU;
import static dev.vmbus.host.nic.HostNic.MIN_NDIS_MTU;
import static dev.vmbus.host.nic.HostNic.RX_FOOTER_LENGTH;
import static dev.vmbus.host.nic.HostNic.RX_HEADER_LENGTH;
import static dev.vmbus.host.nic.HostNic.SECTION_SIZE;
import static dev.vmbus.host.nic.HostNic.TYPE_OID_QUERY_EX;
import static dev.vmbus.host.nic.HostNic.TYPE_OID_QUERY_EX_COMPLETE;

/**
 * The host's NIC's NVSP (spec §5.1 H2–H3): INIT (SUCCESS iff {@code min_protocol_ver} is exactly one of the six
 * versions, else NONE), NDIS_CONFIG and NDIS_VERSION at most once each, the receive buffer cut into slots of
 * 256 + MTU + 36 bytes and the send buffer into sections (the GPADL handles must be the channel's own buffers'),
 * SUBCHANNEL requests, buffer revokes, and the guest's completions of transfer-page packets. RNDIS packets go to
 * {@link HostRndis}.
 *
 * <p>Threads: the host's context.
 */
final class HostNvsp {
    private static final int[] VERSIONS = {Nvsp.VERSION_1, Nvsp.VERSION_2, Nvsp.VERSION_4, Nvsp.VERSION_5,
            Nvsp.VERSION_6, Nvsp.VERSION_61};

    private final HostNic nic;
    // reset on every open of the primary
    int version;
    boolean ndisConfigured;
    boolean ndisVersioned;
    int ndisMtu = MIN_NDIS_MTU;
    /** The guest's NDIS_CONFIG has {@code CAP_IEEE8021Q}: it takes 802.1Q tags out of band, in a VLAN PPI. */
    boolean vlanOutOfBand;
    int ndisMajor;
    int ndisMinor;
    ReceiveSlots slots;
    int pageSetId;
    ChannelBuffer sendBuffer;
    long sectionCount;
    boolean subchannelsRequested;
    int subchannelsGranted;
    /** Subchannels granted but not offered yet (knob {@code lateSubchannelOffer}): offered on the next RNDIS control. */
    int offersHeld;

    HostNvsp(HostNic nic) {
        this.nic = nic;
    }

    /** Forgets the negotiated state (a new open starts from INIT). */
    void reset() {
        version = 0;
        ndisConfigured = false;
        ndisVersioned = false;
        ndisMtu = MIN_NDIS_MTU;
        vlanOutOfBand = false;
        slots = null;
        sendBuffer = null;
        sectionCount = 0;
        subchannelsRequested = false;
        subchannelsGranted = 0;
        offersHeld = 0;
    }

    int messageSize() {
        return Nvsp.messageSize(version);
    }

    private static int nvspType(byte[] payload) {
        return payload.length < 4 ? -1 : ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
    }

    void inband(HostNicQueue q, Packet packet) throws NicMistake, NetCodecException {
        byte[] payload = packet.payload();
        if (nvspType(payload) == TYPE_OID_QUERY_EX) {
            active("OID_QUERY_EX"); // an active NIC's message (§5.1 H4): before INIT only INIT is accepted (H2, H3)
            requireId(packet, "OID_QUERY_EX");
            byte[] reply = new byte[messageSize()];
            ByteBuffer.wrap(reply).order(ByteOrder.LITTLE_ENDIAN).putInt(0, TYPE_OID_QUERY_EX_COMPLETE)
                    .putInt(4, Rndis.STATUS_NOT_SUPPORTED);
            complete(q, packet.transactionId(), reply);
            return;
        }
        NvspMessage m = NvspMessage.decode(payload, false);
        if (q.index != 0 && !(m instanceof NvspMessage.RndisPacket)) {
            throw new NicMistake("NVSP " + m.type() + " on a subchannel, which carries only RNDIS packets");
        }
        switch (m) {
            case NvspMessage.Init init -> init(q, packet, init);
            case NvspMessage.NdisConfig c -> {
                initializing("NDIS_CONFIG");
                if (ndisConfigured) {
                    throw new NicMistake("a second NDIS_CONFIG (it is accepted once)");
                }
                ndisConfigured = true;
                long mtu = Integer.toUnsignedLong(c.mtu());
                ndisMtu = mtu >= MIN_NDIS_MTU && mtu <= MAX_NDIS_MTU ? (int) mtu : MIN_NDIS_MTU;
                vlanOutOfBand = (c.capabilities() & Nvsp.CAP_IEEE8021Q) != 0;
                completeIfAsked(q, packet);
            }
            case NvspMessage.NdisVersion v -> {
                initializing("NDIS_VERSION");
                if (ndisVersioned) {
                    throw new NicMistake("a second NDIS_VERSION (it is accepted once)");
                }
                ndisVersioned = true;
                ndisMajor = v.major();
                ndisMinor = v.minor();
                completeIfAsked(q, packet);
            }
            case NvspMessage.SendReceiveBuffer r -> receiveBuffer(q, packet, r);
            case NvspMessage.SendSendBuffer s -> sendBuffer(q, packet, s);
            case NvspMessage.RndisPacket r -> nic.rndis.rndisPacket(q, packet, r, null);
            case NvspMessage.SubchannelRequest s -> subchannels(q, packet, s);
            case NvspMessage.RevokeReceiveBuffer r -> revoked("receive");
            case NvspMessage.RevokeSendBuffer r -> revoked("send");
            case NvspMessage.SwitchDataPath s -> {
                active("SWITCH_DATA_PATH");
                completeIfAsked(q, packet);
            }
            default -> throw new NicMistake("NVSP " + m.type() + " (" + m.getClass().getSimpleName()
                    + "), which only a host sends");
        }
    }

    private void init(HostNicQueue q, Packet packet, NvspMessage.Init init) throws NicMistake {
        if (nic.phase != HostNic.Phase.WAIT_INIT) {
            throw new NicMistake("NVSP INIT after version " + Nvsp.versionName(version) + " was negotiated");
        }
        requireId(packet, "INIT");
        int v = init.minVersion();
        boolean supported = false;
        for (int known : VERSIONS) {
            supported |= known == v;
        }
        int status = nic.faults.failInit() ? Nvsp.STATUS_FAIL : supported ? Nvsp.STATUS_SUCCESS : Nvsp.STATUS_NONE;
        int size = supported ? Nvsp.messageSize(v) : Nvsp.MESSAGE_SIZE_V1;
        byte[] reply = new NvspMessage.InitComplete(v == Nvsp.VERSION_1 ? 2 : 0xFFFFFFFF, MAX_MDL_CHAIN_LENGTH,
                status).encode(size);
        if (nic.faults.nvspGarbage()) {
            reply = garbage(size);
        }
        complete(q, packet.transactionId(), reply);
        if (status == Nvsp.STATUS_SUCCESS) {
            version = v;
            nic.phase = HostNic.Phase.INITIALIZING;
        }
    }

    /** An NVSP message no version has, for the garbage knob: its type and a recognisable pattern. */
    static byte[] garbage(int size) {
        byte[] out = new byte[Math.max(size, 8)];
        java.util.Arrays.fill(out, (byte) 0xA5);
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putInt(0, GARBAGE_NVSP_TYPE);
        return out;
    }

    private void initializing(String what) throws NicMistake {
        if (nic.phase != HostNic.Phase.INITIALIZING) {
            throw new NicMistake(what + " while the NIC is " + nic.phase.name().toLowerCase().replace('_', ' ')
                    + " (it belongs between INIT and the first RNDIS packet)");
        }
    }

    void active(String what) throws NicMistake {
        if (nic.phase != HostNic.Phase.ACTIVE) {
            throw new NicMistake(what + " while the NIC is " + nic.phase.name().toLowerCase().replace('_', ' '));
        }
    }

    private static void requireId(Packet packet, String what) throws NicMistake {
        if (!packet.completionRequested()) {
            throw new NicMistake("NVSP " + what + " without a transaction id (completion not requested)");
        }
    }

    /** The channel's buffer of {@code kind}, which {@code what} must name by its GPADL handle. */
    private static ChannelBuffer namedBuffer(HostNicQueue q, String what, ChannelBuffer.Kind kind, int gpadlHandle)
            throws NicMistake {
        String noun = kind == ChannelBuffer.Kind.RECEIVE ? "receive" : "send";
        ChannelBuffer buffer = q.link.buffer(kind).orElseThrow(() ->
                new NicMistake(what + ", but the channel shares no " + noun + " buffer"));
        if (gpadlHandle != buffer.gpadl()) {
            throw new NicMistake(what + " names GPADL " + Integer.toUnsignedString(gpadlHandle) + "; the channel's "
                    + noun + " buffer is " + buffer.name());
        }
        return buffer;
    }

    private void receiveBuffer(HostNicQueue q, Packet packet, NvspMessage.SendReceiveBuffer r) throws NicMistake {
        initializing("SEND_RECV_BUF");
        if (slots != null) {
            throw new NicMistake("a second SEND_RECV_BUF (the receive buffer is given once)");
        }
        if (version != Nvsp.VERSION_1 && !ndisConfigured) {
            throw new NicMistake("SEND_RECV_BUF before NDIS_CONFIG: the slot size needs the MTU");
        }
        requireId(packet, "SEND_RECV_BUF");
        ChannelBuffer recv = namedBuffer(q, "SEND_RECV_BUF", ChannelBuffer.Kind.RECEIVE, r.gpadlHandle());
        int slotSize = RX_HEADER_LENGTH + ndisMtu + RX_FOOTER_LENGTH;
        if (recv.size() / slotSize == 0) {
            throw new NicMistake("the receive buffer of " + recv.size() + " bytes holds no " + slotSize
                    + "-byte slot");
        }
        slots = new ReceiveSlots(recv, slotSize);
        pageSetId = r.id();
        int count = slots.count();
        NvspMessage.ReceiveSection section = new NvspMessage.ReceiveSection(0, slotSize, count, slotSize * count);
        List<NvspMessage.ReceiveSection> sections = nic.faults.twoReceiveSections() ? List.of(section, section)
                : List.of(section);
        complete(q, packet.transactionId(),
                new NvspMessage.ReceiveBufferComplete(Nvsp.STATUS_SUCCESS, sections).encode(messageSize()));
    }

    private void sendBuffer(HostNicQueue q, Packet packet, NvspMessage.SendSendBuffer s) throws NicMistake {
        initializing("SEND_SEND_BUF");
        if (sendBuffer != null) {
            throw new NicMistake("a second SEND_SEND_BUF (the send buffer is given once)");
        }
        requireId(packet, "SEND_SEND_BUF");
        ChannelBuffer send = namedBuffer(q, "SEND_SEND_BUF", ChannelBuffer.Kind.SEND, s.gpadlHandle());
        sendBuffer = send;
        sectionCount = send.size() / SECTION_SIZE;
        complete(q, packet.transactionId(), new NvspMessage.SendBufferComplete(Nvsp.STATUS_SUCCESS,
                nic.faults.zeroSectionSize() ? 0 : SECTION_SIZE).encode(messageSize()));
    }

    /**
     * A buffer revoked: nothing flows until the channel opens again. OpenVMM's netvsp ends the channel's processing
     * at the first revoke and reads nothing after it; here the other buffer's revoke may follow, as Linux's netvsc
     * sends both before its close ({@code netvsc_device_remove}).
     */
    private void revoked(String which) throws NicMistake {
        if (nic.phase == HostNic.Phase.REVOKED) {
            HostNic.LOG.info("host: nic: the guest revoked its " + which + " buffer too");
            return;
        }
        if (nic.phase != HostNic.Phase.ACTIVE && nic.phase != HostNic.Phase.INITIALIZING) {
            throw new NicMistake("REVOKE of the " + which + " buffer while the NIC is " + nic.phase);
        }
        HostNic.LOG.info("host: nic: the guest revoked its " + which + " buffer; nothing flows until it opens again");
        nic.phase = HostNic.Phase.REVOKED;
        nic.queues.values().forEach(x -> x.data.clear());
    }

    private void subchannels(HostNicQueue q, Packet packet, NvspMessage.SubchannelRequest s) throws NicMistake {
        active("SUBCHANNEL");
        requireId(packet, "SUBCHANNEL");
        if (Integer.compareUnsigned(version, Nvsp.VERSION_5) < 0) {
            throw new NicMistake("SUBCHANNEL at NVSP " + Nvsp.versionName(version) + " (it needs 5 or later)");
        }
        if (s.operation() != Nvsp.SUBCHANNEL_ALLOCATE) {
            throw new NicMistake("SUBCHANNEL operation " + Integer.toUnsignedString(s.operation())
                    + " (only 1, allocate, exists)");
        }
        if (subchannelsRequested) {
            throw new NicMistake("a second SUBCHANNEL request on one open channel");
        }
        subchannelsRequested = true;
        long asked = Integer.toUnsignedLong(s.count());
        int granted = (int) Math.min(asked, nic.config.queues() - 1L);
        if (nic.faults.smallerGrant() && granted > 0) {
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
        if (nic.faults.lateSubchannelOffer()) {
            offersHeld = granted;
            HostNic.LOG.info("host: nic holds its " + granted + " subchannel offer(s) until the guest's next RNDIS "
                    + "control message (fault knob lateSubchannelOffer)");
            return;
        }
        nic.channels.offerSubchannels(granted);
    }

    /** The guest sent an RNDIS control message: subchannel offers held back by {@code lateSubchannelOffer} go now. */
    void releaseHeldOffers() {
        int held = offersHeld;
        if (held > 0) {
            offersHeld = 0;
            nic.channels.offerSubchannels(held);
        }
    }

    void completeIfAsked(HostNicQueue q, Packet packet) {
        if (packet.completionRequested()) {
            complete(q, packet.transactionId(), new byte[0]);
        }
    }

    void complete(HostNicQueue q, long transactionId, byte[] payload) {
        q.driver.send(payload, transactionId, PacketType.COMP, 0);
    }

    void guestCompletion(Packet packet) throws NicMistake, NetCodecException {
        NvspMessage m = NvspMessage.decode(packet.payload(), true);
        if (!(m instanceof NvspMessage.RndisPacketComplete)) {
            throw new NicMistake("a completion carrying NVSP " + m.type() + "; a guest completes only transfer-page"
                    + " packets, with 108");
        }
        if (slots == null || !slots.complete(packet.transactionId())) {
            throw new NicMistake("the guest completed transaction id " + Long.toUnsignedString(packet.transactionId())
                    + ", which names no outstanding transfer-page packet");
        }
        nic.toGuest.flushAll();
    }
}
