package dev.vmbus.net;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static dev.vmbus.net.NetLayout.at;

/**
 * One RNDIS message (spec §3.5), as a value. {@link #encode()} writes exactly its layout ({@link Rndis}) with
 * {@code msg_len} the whole message; {@link #decode} copies the peer's bytes and checks the length, every
 * offset and every size against the message before reading what they point at.
 */
public sealed interface RndisMessage {

    int type();

    /** The whole message: header, fixed fields and whatever variable part it has. */
    byte[] encode();

    /** INITIALIZE_MSG, guest → host. */
    record InitializeRequest(int requestId, int major, int minor, int maxTransferSize) implements RndisMessage {
        public int type() { return Rndis.TYPE_INITIALIZE; }
        public byte[] encode() {
            ByteBuffer b = start(Rndis.INITIALIZE, 0);
            b.putInt(at(Rndis.INITIALIZE, "rid"), requestId);
            b.putInt(at(Rndis.INITIALIZE, "major"), major);
            b.putInt(at(Rndis.INITIALIZE, "minor"), minor);
            b.putInt(at(Rndis.INITIALIZE, "max_xfer_size"), maxTransferSize);
            return b.array();
        }
    }

    /** INITIALIZE_CMPLT, host → guest. {@code packetAlignmentFactor} is a power of two's exponent. */
    record InitializeComplete(int requestId, int status, int major, int minor, int deviceFlags, int medium,
                              int maxPacketsPerMessage, int maxTransferSize, int packetAlignmentFactor,
                              int afListOffset, int afListSize) implements RndisMessage {
        public int type() { return Rndis.TYPE_INITIALIZE_COMPLETE; }
        public byte[] encode() {
            GroupLayout l = Rndis.INITIALIZE_COMPLETE;
            ByteBuffer b = start(l, 0);
            b.putInt(at(l, "rid"), requestId);
            b.putInt(at(l, "status"), status);
            b.putInt(at(l, "major"), major);
            b.putInt(at(l, "minor"), minor);
            b.putInt(at(l, "dev_flags"), deviceFlags);
            b.putInt(at(l, "medium"), medium);
            b.putInt(at(l, "max_pkts_per_msg"), maxPacketsPerMessage);
            b.putInt(at(l, "max_xfer_size"), maxTransferSize);
            b.putInt(at(l, "pkt_align_factor"), packetAlignmentFactor);
            b.putInt(at(l, "af_list_offset"), afListOffset);
            b.putInt(at(l, "af_list_size"), afListSize);
            return b.array();
        }
    }

    /** HALT_MSG, guest → host; no response. */
    record Halt(int requestId) implements RndisMessage {
        public int type() { return Rndis.TYPE_HALT; }
        public byte[] encode() {
            ByteBuffer b = start(Rndis.HALT, 0);
            b.putInt(at(Rndis.HALT, "rid"), requestId);
            return b.array();
        }
    }

    /** QUERY_MSG, guest → host: the value of {@code oid}; {@code info} is usually empty. */
    record Query(int requestId, int oid, byte[] info) implements RndisMessage {
        public Query {
            info = info.clone();
        }
        public int type() { return Rndis.TYPE_QUERY; }
        public byte[] encode() {
            return oidRequest(Rndis.QUERY, requestId, oid, info);
        }
        @Override public byte[] info() { return info.clone(); }
        @Override public boolean equals(Object o) {
            return o instanceof Query q && q.requestId == requestId && q.oid == oid && Arrays.equals(q.info, info);
        }
        @Override public int hashCode() { return (31 * requestId + oid) * 31 + Arrays.hashCode(info); }
        @Override public String toString() {
            return "Query[rid=" + requestId + ", oid=" + Wire.hex(oid) + ", info=" + HexFormat.of().formatHex(info) + "]";
        }
    }

    /** SET_MSG, guest → host: sets {@code oid} to {@code info}. */
    record Set(int requestId, int oid, byte[] info) implements RndisMessage {
        public Set {
            info = info.clone();
        }
        public int type() { return Rndis.TYPE_SET; }
        public byte[] encode() {
            return oidRequest(Rndis.SET, requestId, oid, info);
        }
        @Override public byte[] info() { return info.clone(); }
        @Override public boolean equals(Object o) {
            return o instanceof Set s && s.requestId == requestId && s.oid == oid && Arrays.equals(s.info, info);
        }
        @Override public int hashCode() { return (31 * requestId + oid) * 31 + Arrays.hashCode(info); }
        @Override public String toString() {
            return "Set[rid=" + requestId + ", oid=" + Wire.hex(oid) + ", info=" + HexFormat.of().formatHex(info) + "]";
        }
    }

    /** QUERY_CMPLT, host → guest: the status and, on success, the OID's value. */
    record QueryComplete(int requestId, int status, byte[] info) implements RndisMessage {
        public QueryComplete {
            info = info.clone();
        }
        public int type() { return Rndis.TYPE_QUERY_COMPLETE; }
        public byte[] encode() {
            GroupLayout l = Rndis.QUERY_COMPLETE;
            int fixed = NetLayout.size(l);
            ByteBuffer b = start(l, info.length);
            b.putInt(at(l, "rid"), requestId);
            b.putInt(at(l, "status"), status);
            b.putInt(at(l, "info_len"), info.length);
            b.putInt(at(l, "info_offset"), fixed - Rndis.OFFSET_BASE);
            b.put(fixed, info);
            return b.array();
        }
        @Override public byte[] info() { return info.clone(); }
        @Override public boolean equals(Object o) {
            return o instanceof QueryComplete q && q.requestId == requestId && q.status == status
                    && Arrays.equals(q.info, info);
        }
        @Override public int hashCode() { return (31 * requestId + status) * 31 + Arrays.hashCode(info); }
        @Override public String toString() {
            return "QueryComplete[rid=" + requestId + ", status=" + Wire.hex(status) + ", info="
                    + HexFormat.of().formatHex(info) + "]";
        }
    }

    /** SET_CMPLT, host → guest. */
    record SetComplete(int requestId, int status) implements RndisMessage {
        public int type() { return Rndis.TYPE_SET_COMPLETE; }
        public byte[] encode() {
            ByteBuffer b = start(Rndis.SET_COMPLETE, 0);
            b.putInt(at(Rndis.SET_COMPLETE, "rid"), requestId);
            b.putInt(at(Rndis.SET_COMPLETE, "status"), status);
            return b.array();
        }
    }

    /** INDICATE_STATUS_MSG, host → guest, unsolicited: link up or down, speed change, offload configuration. */
    record IndicateStatus(int status, byte[] buffer) implements RndisMessage {
        public IndicateStatus {
            buffer = buffer.clone();
        }
        public int type() { return Rndis.TYPE_INDICATE_STATUS; }
        public byte[] encode() {
            GroupLayout l = Rndis.INDICATE_STATUS;
            int fixed = NetLayout.size(l);
            ByteBuffer b = start(l, buffer.length);
            b.putInt(at(l, "status"), status);
            b.putInt(at(l, "stbuf_len"), buffer.length);
            b.putInt(at(l, "stbuf_offset"), fixed - Rndis.OFFSET_BASE);
            b.put(fixed, buffer);
            return b.array();
        }
        @Override public byte[] buffer() { return buffer.clone(); }
        @Override public boolean equals(Object o) {
            return o instanceof IndicateStatus s && s.status == status && Arrays.equals(s.buffer, buffer);
        }
        @Override public int hashCode() { return 31 * status + Arrays.hashCode(buffer); }
        @Override public String toString() {
            return "IndicateStatus[status=" + Wire.hex(status) + ", buffer=" + HexFormat.of().formatHex(buffer) + "]";
        }
    }

    /** KEEPALIVE_MSG, either way. */
    record KeepAlive(int requestId) implements RndisMessage {
        public int type() { return Rndis.TYPE_KEEPALIVE; }
        public byte[] encode() {
            ByteBuffer b = start(Rndis.KEEPALIVE, 0);
            b.putInt(at(Rndis.KEEPALIVE, "rid"), requestId);
            return b.array();
        }
    }

    /** KEEPALIVE_CMPLT. */
    record KeepAliveComplete(int requestId, int status) implements RndisMessage {
        public int type() { return Rndis.TYPE_KEEPALIVE_COMPLETE; }
        public byte[] encode() {
            ByteBuffer b = start(Rndis.KEEPALIVE_COMPLETE, 0);
            b.putInt(at(Rndis.KEEPALIVE_COMPLETE, "rid"), requestId);
            b.putInt(at(Rndis.KEEPALIVE_COMPLETE, "status"), status);
            return b.array();
        }
    }

    /**
     * PACKET_MSG, either way: one Ethernet frame and its per-packet info. Encoded as header, PPIs, frame, with no
     * out-of-band data (no current sender uses it).
     */
    record Packet(byte[] frame, List<PerPacketInfo> info) implements RndisMessage {
        public Packet {
            frame = frame.clone();
            info = List.copyOf(info);
        }
        public int type() { return Rndis.TYPE_PACKET; }
        public byte[] encode() {
            byte[] out = new byte[Rndis.PACKET_HEADER_SIZE + ppiLength(info) + frame.length];
            int n = writeHeader(MemorySegment.ofArray(out), 0, frame.length, info);
            System.arraycopy(frame, 0, out, n, frame.length);
            return out;
        }
        @Override public byte[] frame() { return frame.clone(); }
        @Override public boolean equals(Object o) {
            return o instanceof Packet p && Arrays.equals(p.frame, frame) && p.info.equals(info);
        }
        @Override public int hashCode() { return 31 * Arrays.hashCode(frame) + info.hashCode(); }
        @Override public String toString() {
            return "Packet[" + frame.length + " bytes, info=" + info + "]";
        }

        /** The frame's length ({@code data_len}) in the PACKET_MSG {@link #writeHeader} wrote at the start of {@code m}. */
        public static int dataLength(byte[] m) {
            return MemorySegment.ofArray(m).get(NetLayout.U32, Rndis.PACKET_DATA_LEN);
        }

        /** The bytes the PPIs take. */
        public static int ppiLength(List<PerPacketInfo> info) {
            int n = 0;
            for (PerPacketInfo p : info) {
                n += p.wireSize();
            }
            return n;
        }

        /**
         * Writes a PACKET_MSG's header and PPIs at {@code offset} of {@code out} for a frame of
         * {@code frameLength} bytes that the caller copies right after; returns the bytes written (where the
         * frame goes). The send path uses this to build a message in a send section without an extra copy.
         */
        public static int writeHeader(MemorySegment out, long offset, int frameLength, List<PerPacketInfo> info) {
            int ppiLength = ppiLength(info);
            int header = Rndis.PACKET_HEADER_SIZE;
            out.asSlice(offset, header).fill((byte) 0);
            out.set(NetLayout.U32, offset + Rndis.PACKET_TYPE, Rndis.TYPE_PACKET);
            out.set(NetLayout.U32, offset + Rndis.PACKET_MSG_LEN, header + ppiLength + frameLength);
            out.set(NetLayout.U32, offset + Rndis.PACKET_DATA_OFFSET, header + ppiLength - Rndis.OFFSET_BASE);
            out.set(NetLayout.U32, offset + Rndis.PACKET_DATA_LEN, frameLength);
            out.set(NetLayout.U32, offset + Rndis.PACKET_PPI_OFFSET, info.isEmpty() ? 0 : header - Rndis.OFFSET_BASE);
            out.set(NetLayout.U32, offset + Rndis.PACKET_PPI_LEN, ppiLength);
            long p = offset + header;
            for (PerPacketInfo ppi : info) {
                out.set(NetLayout.U32, p + Rndis.PPI_FIELD_SIZE, ppi.wireSize());
                out.set(NetLayout.U32, p + Rndis.PPI_FIELD_TYPE, ppi.type());
                out.set(NetLayout.U32, p + Rndis.PPI_FIELD_OFFSET, Rndis.PPI_HEADER_SIZE);
                byte[] data = ppi.data();
                MemorySegment.copy(MemorySegment.ofArray(data), 0, out, p + Rndis.PPI_HEADER_SIZE, data.length);
                p += ppi.wireSize();
            }
            return header + ppiLength;
        }

        /** The header and PPIs {@link #writeHeader} writes for {@code info}, made once for every frame. */
        public static Header header(List<PerPacketInfo> info) {
            byte[] bytes = new byte[Rndis.PACKET_HEADER_SIZE + ppiLength(info)];
            writeHeader(MemorySegment.ofArray(bytes), 0, 0, info);
            return new Header(bytes);
        }
    }

    /**
     * A PACKET_MSG's header and per-packet info as {@link Packet#writeHeader} writes them, made once
     * ({@link Packet#header}) and put in front of frame after frame by the data paths: one copy and the two lengths
     * per frame instead of the fields and a walk of the PPI list.
     */
    public static final class Header {
        private final byte[] bytes;

        private Header(byte[] bytes) {
            this.bytes = bytes;
        }

        /** Bytes before the frame: the header and the PPIs. */
        public int length() {
            return bytes.length;
        }

        /**
         * Writes this header at {@code offset} of {@code out} for a frame of {@code frameLength} bytes that the
         * caller copies right after; returns {@link #length()}, where the frame goes. The bytes are
         * {@link Packet#writeHeader}'s for the same PPIs and frame length.
         */
        public int write(MemorySegment out, long offset, int frameLength) {
            MemorySegment.copy(bytes, 0, out, ValueLayout.JAVA_BYTE, offset, bytes.length);
            out.set(NetLayout.U32, offset + Rndis.PACKET_MSG_LEN, bytes.length + frameLength);
            out.set(NetLayout.U32, offset + Rndis.PACKET_DATA_LEN, frameLength);
            return bytes.length;
        }
    }

    private static ByteBuffer start(GroupLayout layout, int variable) {
        int length = NetLayout.size(layout) + variable;
        ByteBuffer b = Wire.le(new byte[length]);
        b.putInt(at(layout, "type"), type(layout));
        b.putInt(at(layout, "msg_len"), length);
        return b;
    }

    private static int type(GroupLayout layout) {
        if (layout == Rndis.INITIALIZE) return Rndis.TYPE_INITIALIZE;
        if (layout == Rndis.INITIALIZE_COMPLETE) return Rndis.TYPE_INITIALIZE_COMPLETE;
        if (layout == Rndis.HALT) return Rndis.TYPE_HALT;
        if (layout == Rndis.QUERY) return Rndis.TYPE_QUERY;
        if (layout == Rndis.SET) return Rndis.TYPE_SET;
        if (layout == Rndis.QUERY_COMPLETE) return Rndis.TYPE_QUERY_COMPLETE;
        if (layout == Rndis.SET_COMPLETE) return Rndis.TYPE_SET_COMPLETE;
        if (layout == Rndis.INDICATE_STATUS) return Rndis.TYPE_INDICATE_STATUS;
        if (layout == Rndis.KEEPALIVE) return Rndis.TYPE_KEEPALIVE;
        if (layout == Rndis.KEEPALIVE_COMPLETE) return Rndis.TYPE_KEEPALIVE_COMPLETE;
        throw new IllegalArgumentException("no message type for " + layout);
    }

    private static byte[] oidRequest(GroupLayout l, int requestId, int oid, byte[] info) {
        int fixed = NetLayout.size(l);
        ByteBuffer b = start(l, info.length);
        b.putInt(at(l, "rid"), requestId);
        b.putInt(at(l, "oid"), oid);
        b.putInt(at(l, "info_len"), info.length);
        b.putInt(at(l, "info_offset"), fixed - Rndis.OFFSET_BASE);
        b.put(fixed, info);
        return b.array();
    }

    /** Decodes the one message at {@code offset} of shared memory, within {@code length} bytes: copied first. */
    static RndisMessage decode(MemorySegment source, long offset, int length) throws NetCodecException {
        return RndisDecoder.parse(Wire.copy(source, offset, length));
    }

    /** Decodes the one message within {@code length} bytes at {@code offset} of {@code source}. */
    static RndisMessage decode(byte[] source, int offset, int length) throws NetCodecException {
        return RndisDecoder.parse(Wire.copy(source, offset, length));
    }

    /** Decodes the one message in {@code message}; bytes past its {@code msg_len} are ignored. */
    static RndisMessage decode(byte[] message) throws NetCodecException {
        return decode(message, 0, message.length);
    }

    /**
     * Decodes messages laid end to end in {@code length} bytes at {@code offset} (a send section may carry
     * several PACKET_MSGs, each {@code msg_len} including its padding); every byte must belong to one.
     */
    static List<RndisMessage> decodeAll(MemorySegment source, long offset, int length) throws NetCodecException {
        byte[] all = Wire.copy(source, offset, length);
        List<RndisMessage> out = new ArrayList<>();
        int p = 0;
        while (p < all.length) {
            int len = RndisDecoder.messageLength(all, p, all.length - p);
            out.add(RndisDecoder.parse(Arrays.copyOfRange(all, p, p + len)));
            p += len;
        }
        return out;
    }

    /** Where {@link #forEachPacket} hands each frame, in place. */
    @FunctionalInterface
    public interface FrameVisitor {
        /**
         * A frame at {@code frame[offset, offset + length)}; {@code lso} if it asks for segmentation offload;
         * {@code vlanTci} the 802.1Q TCI its VLAN PPI carries ({@link Vlan}), or -1 without one.
         */
        void frame(byte[] frame, int offset, int length, boolean lso, int vlanTci);
    }

    /**
     * The frames of PACKET_MSGs laid end to end in {@code all[0, length)} (a private copy: a send section's
     * bytes), handed to {@code visitor} in place, with no copy and no allocation: false, visiting nothing, when a
     * message there is not a PACKET_MSG (decode those with {@link #decodeAll}). Every message is checked as
     * {@link #decodeAll} checks it before the first frame is visited, so a malformed one throws and none goes out.
     */
    public static boolean forEachPacket(byte[] all, int length, FrameVisitor visitor) throws NetCodecException {
        return RndisDecoder.forEachPacket(all, length, visitor);
    }
}
