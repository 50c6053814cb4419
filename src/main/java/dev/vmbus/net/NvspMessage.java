package dev.vmbus.net;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.List;

import static dev.vmbus.net.NetLayout.at;

/**
 * One NVSP message (spec §3.1), as a value. {@link #encode()} writes its layout ({@link Nvsp}) padded to the
 * 40-byte size Linux and DPDK send; {@link #decode} copies the peer's bytes and checks every field's end against
 * the message's length. Integers are carried as Java {@code int}s with the wire's 32 bits (compare unsigned
 * where the protocol does).
 */
public sealed interface NvspMessage {

    /** The {@code msg_type}. */
    int type();

    /** The message's layout: the bytes {@link #encode} writes before padding. */
    GroupLayout layout();

    /** Writes the fields after {@code msg_type} into {@code out}, which is at least the layout's size. */
    void encodeFields(ByteBuffer out);

    /** The message padded to the 40-byte wire size (or longer if its layout is). */
    default byte[] encode() {
        return encode(Nvsp.MESSAGE_SIZE_V61);
    }

    /** The message padded with zeros to {@code wireSize} bytes (or its layout's size if that is larger). */
    default byte[] encode(int wireSize) {
        byte[] out = new byte[Math.max(wireSize, NetLayout.size(layout()))];
        ByteBuffer b = Wire.le(out);
        b.putInt(0, type());
        encodeFields(b);
        return out;
    }

    /** NVSP 1, guest → host with RC: the versions the guest accepts (Linux and DPDK send min = max). */
    record Init(int minVersion, int maxVersion) implements NvspMessage {
        public int type() { return Nvsp.TYPE_INIT; }
        public GroupLayout layout() { return Nvsp.INIT; }
        public void encodeFields(ByteBuffer b) {
            b.putInt(at(Nvsp.INIT, "min_protocol_ver"), minVersion);
            b.putInt(at(Nvsp.INIT, "max_protocol_ver"), maxVersion);
        }
    }

    /** NVSP 2, host → guest in a completion: SUCCESS iff the version is supported. */
    record InitComplete(int negotiatedVersion, int maxMdlChainLength, int status) implements NvspMessage {
        public int type() { return Nvsp.TYPE_INIT_COMPLETE; }
        public GroupLayout layout() { return Nvsp.INIT_COMPLETE; }
        public void encodeFields(ByteBuffer b) {
            b.putInt(at(Nvsp.INIT_COMPLETE, "negotiated_protocol_ver"), negotiatedVersion);
            b.putInt(at(Nvsp.INIT_COMPLETE, "max_mdl_chain_len"), maxMdlChainLength);
            b.putInt(at(Nvsp.INIT_COMPLETE, "status"), status);
        }
    }

    /** NVSP 100, guest → host, no completion: the NDIS version (6.1 or 6.30). */
    record NdisVersion(int major, int minor) implements NvspMessage {
        public int type() { return Nvsp.TYPE_SEND_NDIS_VERSION; }
        public GroupLayout layout() { return Nvsp.SEND_NDIS_VERSION; }
        public void encodeFields(ByteBuffer b) {
            b.putInt(at(Nvsp.SEND_NDIS_VERSION, "ndis_major"), major);
            b.putInt(at(Nvsp.SEND_NDIS_VERSION, "ndis_minor"), minor);
        }
    }

    /** NVSP 101, guest → host with RC: the receive buffer by GPADL handle, and its transfer page set id. */
    record SendReceiveBuffer(int gpadlHandle, int id) implements NvspMessage {
        public SendReceiveBuffer {
            checkU16("id", id);
        }
        public int type() { return Nvsp.TYPE_SEND_RECV_BUF; }
        public GroupLayout layout() { return Nvsp.SEND_RECV_BUF; }
        public void encodeFields(ByteBuffer b) {
            b.putInt(at(Nvsp.SEND_RECV_BUF, "gpadl_handle"), gpadlHandle);
            b.putShort(at(Nvsp.SEND_RECV_BUF, "id"), (short) id);
        }
    }

    /** One section of the receive buffer: {@code count} slots of {@code slotSize} bytes from {@code offset}. */
    record ReceiveSection(int offset, int slotSize, int slotCount, int endOffset) {
    }

    /** NVSP 102, host → guest in a completion: how the host carved the receive buffer. */
    record ReceiveBufferComplete(int status, List<ReceiveSection> sections) implements NvspMessage {
        public ReceiveBufferComplete {
            sections = List.copyOf(sections);
        }
        public int type() { return Nvsp.TYPE_SEND_RECV_BUF_COMPLETE; }
        public GroupLayout layout() {
            // The fixed part and the sections; a one-section reply is the 28 bytes of the v1 size.
            return NetLayout.struct("send_recv_buf_complete", Nvsp.SEND_RECV_BUF_COMPLETE.withName("head"),
                    java.lang.foreign.MemoryLayout.sequenceLayout(sections.size(), Nvsp.RECV_BUF_SECTION)
                            .withName("sections"));
        }
        public void encodeFields(ByteBuffer b) {
            b.putInt(at(Nvsp.SEND_RECV_BUF_COMPLETE, "status"), status);
            b.putInt(at(Nvsp.SEND_RECV_BUF_COMPLETE, "num_sections"), sections.size());
            int p = NetLayout.size(Nvsp.SEND_RECV_BUF_COMPLETE);
            for (ReceiveSection s : sections) {
                b.putInt(p + at(Nvsp.RECV_BUF_SECTION, "offset"), s.offset());
                b.putInt(p + at(Nvsp.RECV_BUF_SECTION, "sub_alloc_size"), s.slotSize());
                b.putInt(p + at(Nvsp.RECV_BUF_SECTION, "num_sub_allocs"), s.slotCount());
                b.putInt(p + at(Nvsp.RECV_BUF_SECTION, "end_offset"), s.endOffset());
                p += NetLayout.size(Nvsp.RECV_BUF_SECTION);
            }
        }
    }

    /** NVSP 103, guest → host: the receive buffer is withdrawn. */
    record RevokeReceiveBuffer(int id) implements NvspMessage {
        public RevokeReceiveBuffer {
            checkU16("id", id);
        }
        public int type() { return Nvsp.TYPE_REVOKE_RECV_BUF; }
        public GroupLayout layout() { return Nvsp.REVOKE_RECV_BUF; }
        public void encodeFields(ByteBuffer b) {
            b.putShort(at(Nvsp.REVOKE_RECV_BUF, "id"), (short) id);
        }
    }

    /** NVSP 104, guest → host with RC: the send buffer by GPADL handle. */
    record SendSendBuffer(int gpadlHandle, int id) implements NvspMessage {
        public SendSendBuffer {
            checkU16("id", id);
        }
        public int type() { return Nvsp.TYPE_SEND_SEND_BUF; }
        public GroupLayout layout() { return Nvsp.SEND_SEND_BUF; }
        public void encodeFields(ByteBuffer b) {
            b.putInt(at(Nvsp.SEND_SEND_BUF, "gpadl_handle"), gpadlHandle);
            b.putShort(at(Nvsp.SEND_SEND_BUF, "id"), (short) id);
        }
    }

    /** NVSP 105, host → guest in a completion: the send buffer's section size (6144 on OpenVMM and Linux). */
    record SendBufferComplete(int status, int sectionSize) implements NvspMessage {
        public int type() { return Nvsp.TYPE_SEND_SEND_BUF_COMPLETE; }
        public GroupLayout layout() { return Nvsp.SEND_SEND_BUF_COMPLETE; }
        public void encodeFields(ByteBuffer b) {
            b.putInt(at(Nvsp.SEND_SEND_BUF_COMPLETE, "status"), status);
            b.putInt(at(Nvsp.SEND_SEND_BUF_COMPLETE, "section_size"), sectionSize);
        }
    }

    /** NVSP 106, guest → host: the send buffer is withdrawn. */
    record RevokeSendBuffer(int id) implements NvspMessage {
        public RevokeSendBuffer {
            checkU16("id", id);
        }
        public int type() { return Nvsp.TYPE_REVOKE_SEND_BUF; }
        public GroupLayout layout() { return Nvsp.REVOKE_SEND_BUF; }
        public void encodeFields(ByteBuffer b) {
            b.putShort(at(Nvsp.REVOKE_SEND_BUF, "id"), (short) id);
        }
    }

    /**
     * NVSP 107, both ways: an RNDIS message follows, in send section {@code sectionIndex} ({@code sectionSize}
     * bytes) or ({@link Nvsp#NO_SECTION}) in the packet's GPA ranges or transfer-page ranges.
     */
    record RndisPacket(int channelType, int sectionIndex, int sectionSize) implements NvspMessage {
        public int type() { return Nvsp.TYPE_SEND_RNDIS_PKT; }
        public GroupLayout layout() { return Nvsp.SEND_RNDIS_PKT; }
        public void encodeFields(ByteBuffer b) {
            b.putInt(Nvsp.RNDIS_PKT_CHANNEL_TYPE, channelType);
            b.putInt(Nvsp.RNDIS_PKT_SECTION_INDEX, sectionIndex);
            b.putInt(Nvsp.RNDIS_PKT_SECTION_SIZE, sectionSize);
        }
    }

    /** NVSP 108, both ways in a completion: the RNDIS packet (or the receive slots) is done with. */
    record RndisPacketComplete(int status) implements NvspMessage {
        public int type() { return Nvsp.TYPE_SEND_RNDIS_PKT_COMPLETE; }
        public GroupLayout layout() { return Nvsp.SEND_RNDIS_PKT_COMPLETE; }
        public void encodeFields(ByteBuffer b) {
            b.putInt(Nvsp.RNDIS_PKT_COMPLETE_STATUS, status);
        }
    }

    /** NVSP 125, guest → host (v2+): the MTU including the 14-byte Ethernet header, and capability bits. */
    record NdisConfig(int mtu, long capabilities) implements NvspMessage {
        public int type() { return Nvsp.TYPE_SEND_NDIS_CONFIG; }
        public GroupLayout layout() { return Nvsp.SEND_NDIS_CONFIG; }
        public void encodeFields(ByteBuffer b) {
            b.putInt(at(Nvsp.SEND_NDIS_CONFIG, "mtu"), mtu);
            b.putLong(at(Nvsp.SEND_NDIS_CONFIG, "capabilities"), capabilities);
        }
    }

    /** NVSP 128, host → guest (v4+): a virtual function is (or is no longer) associated. */
    record VfAssociation(int allocated, int serial) implements NvspMessage {
        public int type() { return Nvsp.TYPE_SEND_VF_ASSOCIATION; }
        public GroupLayout layout() { return Nvsp.SEND_VF_ASSOCIATION; }
        public void encodeFields(ByteBuffer b) {
            b.putInt(at(Nvsp.SEND_VF_ASSOCIATION, "allocated"), allocated);
            b.putInt(at(Nvsp.SEND_VF_ASSOCIATION, "serial"), serial);
        }
    }

    /** NVSP 129 (v4+): 0 synthetic, 1 virtual function. */
    record SwitchDataPath(int activeDataPath) implements NvspMessage {
        public int type() { return Nvsp.TYPE_SWITCH_DATA_PATH; }
        public GroupLayout layout() { return Nvsp.SWITCH_DATA_PATH; }
        public void encodeFields(ByteBuffer b) {
            b.putInt(at(Nvsp.SWITCH_DATA_PATH, "active_datapath"), activeDataPath);
        }
    }

    /** NVSP 133 in-band, guest → host with RC (v5+): allocate {@code count} subchannels. */
    record SubchannelRequest(int operation, int count) implements NvspMessage {
        public int type() { return Nvsp.TYPE_SUBCHANNEL; }
        public GroupLayout layout() { return Nvsp.SUBCHANNEL_REQUEST; }
        public void encodeFields(ByteBuffer b) {
            b.putInt(at(Nvsp.SUBCHANNEL_REQUEST, "op"), operation);
            b.putInt(at(Nvsp.SUBCHANNEL_REQUEST, "num_subchannels"), count);
        }
    }

    /** NVSP 133 in a completion, host → guest: how many subchannels the host grants. */
    record SubchannelComplete(int status, int count) implements NvspMessage {
        public int type() { return Nvsp.TYPE_SUBCHANNEL; }
        public GroupLayout layout() { return Nvsp.SUBCHANNEL_COMPLETE; }
        public void encodeFields(ByteBuffer b) {
            b.putInt(at(Nvsp.SUBCHANNEL_COMPLETE, "status"), status);
            b.putInt(at(Nvsp.SUBCHANNEL_COMPLETE, "num_subchannels"), count);
        }
    }

    /**
     * NVSP 134, host → guest (v5+): the 16-entry TX steering table, written right after the fixed fields
     * ({@code offset} 12). Each entry names a channel (0 the primary).
     */
    record IndirectionTable(List<Integer> entries) implements NvspMessage {
        public IndirectionTable {
            entries = List.copyOf(entries);
            if (entries.size() != Nvsp.INDIRECTION_TABLE_SIZE) {
                throw new IllegalArgumentException("the send indirection table has "
                        + Nvsp.INDIRECTION_TABLE_SIZE + " entries, not " + entries.size());
            }
        }
        public int type() { return Nvsp.TYPE_SEND_INDIRECTION_TABLE; }
        public GroupLayout layout() {
            return NetLayout.struct("send_indirection_table", Nvsp.SEND_INDIRECTION_TABLE.withName("head"),
                    java.lang.foreign.MemoryLayout.sequenceLayout(entries.size(), NetLayout.U32).withName("table"));
        }
        public void encodeFields(ByteBuffer b) {
            int table = NetLayout.size(Nvsp.SEND_INDIRECTION_TABLE);
            b.putInt(at(Nvsp.SEND_INDIRECTION_TABLE, "count"), entries.size());
            b.putInt(at(Nvsp.SEND_INDIRECTION_TABLE, "offset"), table);
            for (int i = 0; i < entries.size(); i++) {
                b.putInt(table + 4 * i, entries.get(i));
            }
        }
    }

    private static void checkU16(String name, int value) {
        if ((value & ~0xFFFF) != 0) {
            throw new IllegalArgumentException(name + " " + value + " does not fit the u16 field");
        }
    }

    /**
     * Decodes {@code length} bytes at {@code offset} of shared memory: copied first, then checked.
     *
     * @param completion whether the VMBus packet was a completion (NVSP 133 means a different body there)
     */
    static NvspMessage decode(MemorySegment source, long offset, int length, boolean completion)
            throws NetCodecException {
        return NvspDecoder.parse(Wire.copy(source, offset, length), completion);
    }

    /** Decodes {@code length} bytes at {@code offset} of {@code source} (copied first, then checked). */
    static NvspMessage decode(byte[] source, int offset, int length, boolean completion) throws NetCodecException {
        return NvspDecoder.parse(Wire.copy(source, offset, length), completion);
    }

    /** Decodes a whole array (copied first, then checked). */
    static NvspMessage decode(byte[] message, boolean completion) throws NetCodecException {
        return decode(message, 0, message.length, completion);
    }

    /**
     * Decodes an in-band message (not a completion) from a host that negotiated {@code nvspVersion}, as a guest
     * must: NVSP 134's table from a host at version 6 or older is taken from where those hosts put it ({@link
     * Nvsp#SEND_TABLE_OFFSET_UP_TO_V6}), not from their wrong offset. Copied first, then checked.
     */
    static NvspMessage decodeInband(byte[] message, int nvspVersion) throws NetCodecException {
        return NvspDecoder.parseInband(Wire.copy(message, 0, message.length), nvspVersion);
    }
}
