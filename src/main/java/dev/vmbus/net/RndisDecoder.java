package dev.vmbus.net;

import dev.vmbus.net.RndisMessage.*;

import java.lang.foreign.GroupLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.vmbus.net.NetCodecException.Malformation.INFO_RANGE;
import static dev.vmbus.net.NetCodecException.Malformation.PACKET_DATA_RANGE;
import static dev.vmbus.net.NetCodecException.Malformation.PACKET_OOB;
import static dev.vmbus.net.NetCodecException.Malformation.PACKET_OVERLAP;
import static dev.vmbus.net.NetCodecException.Malformation.PACKET_VC_HANDLE;
import static dev.vmbus.net.NetCodecException.Malformation.PPI_OFFSET;
import static dev.vmbus.net.NetCodecException.Malformation.PPI_RANGE;
import static dev.vmbus.net.NetCodecException.Malformation.PPI_SIZE;
import static dev.vmbus.net.NetCodecException.Malformation.RNDIS_LENGTH;
import static dev.vmbus.net.NetCodecException.Malformation.TRUNCATED;
import static dev.vmbus.net.NetCodecException.Malformation.UNKNOWN_RNDIS_TYPE;
import static dev.vmbus.net.NetLayout.at;

/**
 * The RNDIS decoder behind {@link RndisMessage#decode}, {@link RndisMessage#decodeAll} and
 * {@link RndisMessage#forEachPacket}: it works on a private copy of the peer's bytes and checks {@code msg_len},
 * every offset and every size against the message before reading what they point at, each violation a
 * {@link NetCodecException} of its own kind. Stateless.
 */
final class RndisDecoder {
    private RndisDecoder() {
    }

    /** {@code msg_len} of the message at {@code p}, checked against its header and the {@code available} bytes. */
    static int messageLength(byte[] m, int p, int available) throws NetCodecException {
        int header = Rndis.MESSAGE_HEADER_SIZE;
        if (available < header) {
            throw new NetCodecException(TRUNCATED, "an RNDIS header needs " + header + " bytes, "
                    + available + " remain at offset " + p);
        }
        long len = Wire.unsigned(Wire.le(m).getInt(p + Rndis.HEADER_MSG_LEN));
        if (len < header || len > available) {
            throw new NetCodecException(RNDIS_LENGTH, "RNDIS " + Rndis.typeName(Wire.le(m).getInt(p))
                    + " msg_len " + len + " outside [" + header + ", " + available + "]");
        }
        return (int) len;
    }

    static RndisMessage parse(byte[] all) throws NetCodecException {
        int len = messageLength(all, 0, all.length);
        byte[] m = len == all.length ? all : Arrays.copyOf(all, len);
        ByteBuffer b = Wire.le(m);
        int type = b.getInt(0);
        return switch (type) {
            case Rndis.TYPE_PACKET -> packet(m, b);
            case Rndis.TYPE_INITIALIZE -> {
                GroupLayout l = need(m, Rndis.INITIALIZE);
                yield new InitializeRequest(b.getInt(at(l, "rid")), b.getInt(at(l, "major")),
                        b.getInt(at(l, "minor")), b.getInt(at(l, "max_xfer_size")));
            }
            case Rndis.TYPE_INITIALIZE_COMPLETE -> {
                GroupLayout l = need(m, Rndis.INITIALIZE_COMPLETE);
                yield new InitializeComplete(b.getInt(at(l, "rid")), b.getInt(at(l, "status")),
                        b.getInt(at(l, "major")), b.getInt(at(l, "minor")), b.getInt(at(l, "dev_flags")),
                        b.getInt(at(l, "medium")), b.getInt(at(l, "max_pkts_per_msg")),
                        b.getInt(at(l, "max_xfer_size")), b.getInt(at(l, "pkt_align_factor")),
                        b.getInt(at(l, "af_list_offset")), b.getInt(at(l, "af_list_size")));
            }
            case Rndis.TYPE_HALT -> new Halt(b.getInt(at(need(m, Rndis.HALT), "rid")));
            case Rndis.TYPE_QUERY, Rndis.TYPE_SET -> {
                GroupLayout l = need(m, type == Rndis.TYPE_QUERY ? Rndis.QUERY : Rndis.SET);
                byte[] info = variable(m, b, l, "info_len", "info_offset");
                int rid = b.getInt(at(l, "rid"));
                int oid = b.getInt(at(l, "oid"));
                yield type == Rndis.TYPE_QUERY ? new Query(rid, oid, info) : new Set(rid, oid, info);
            }
            case Rndis.TYPE_QUERY_COMPLETE -> {
                GroupLayout l = need(m, Rndis.QUERY_COMPLETE);
                yield new QueryComplete(b.getInt(at(l, "rid")), b.getInt(at(l, "status")),
                        variable(m, b, l, "info_len", "info_offset"));
            }
            case Rndis.TYPE_SET_COMPLETE -> {
                GroupLayout l = need(m, Rndis.SET_COMPLETE);
                yield new SetComplete(b.getInt(at(l, "rid")), b.getInt(at(l, "status")));
            }
            case Rndis.TYPE_INDICATE_STATUS -> {
                GroupLayout l = need(m, Rndis.INDICATE_STATUS);
                yield new IndicateStatus(b.getInt(at(l, "status")), variable(m, b, l, "stbuf_len", "stbuf_offset"));
            }
            case Rndis.TYPE_KEEPALIVE -> new KeepAlive(b.getInt(at(need(m, Rndis.KEEPALIVE), "rid")));
            case Rndis.TYPE_KEEPALIVE_COMPLETE -> {
                GroupLayout l = need(m, Rndis.KEEPALIVE_COMPLETE);
                yield new KeepAliveComplete(b.getInt(at(l, "rid")), b.getInt(at(l, "status")));
            }
            default -> throw new NetCodecException(UNKNOWN_RNDIS_TYPE, "RNDIS message type " + Wire.hex(type)
                    + " (" + Rndis.typeName(type) + "), msg_len " + len);
        };
    }

    private static GroupLayout need(byte[] m, GroupLayout layout) throws NetCodecException {
        int size = NetLayout.size(layout);
        if (m.length < size) {
            throw new NetCodecException(TRUNCATED, "RNDIS " + layout.name().orElse("message") + " needs " + size
                    + " bytes, msg_len is " + m.length);
        }
        return layout;
    }

    /**
     * The information (or status) buffer of {@code l}: empty when its length is 0 (whatever the offset says),
     * else it must lie after the fixed fields and inside the message.
     */
    private static byte[] variable(byte[] m, ByteBuffer b, GroupLayout l, String lenField, String offsetField)
            throws NetCodecException {
        long len = Wire.unsigned(b.getInt(at(l, lenField)));
        if (len == 0) {
            return new byte[0];
        }
        long start = Rndis.OFFSET_BASE + Wire.unsigned(b.getInt(at(l, offsetField)));
        long end = start + len;
        int fixed = NetLayout.size(l);
        if (start < fixed || end > m.length) {
            throw new NetCodecException(INFO_RANGE, "RNDIS " + l.name().orElse("message") + " " + lenField + " "
                    + len + " at " + offsetField + " " + (start - Rndis.OFFSET_BASE) + " spans [" + start + ", " + end
                    + "), outside [" + fixed + ", " + m.length + ")");
        }
        return Arrays.copyOfRange(m, (int) start, (int) end);
    }

    private static Packet packet(byte[] m, ByteBuffer b) throws NetCodecException {
        long spans = packetSpans(m, b, 0, m.length);
        int dataStart = (int) (spans >>> 32);
        int dataEnd = (int) spans;
        List<PerPacketInfo> info = new ArrayList<>(1);
        ppis(m, b, 0, m.length, info);
        return new Packet(Arrays.copyOfRange(m, dataStart, dataEnd), info.isEmpty() ? List.of() : info);
    }

    /**
     * Checks the PACKET_MSG at {@code m[base, base + len)} ({@code len} its {@code msg_len}) as {@link RndisMessage#decode}
     * does: its data span (start in the high word, end in the low, indexes of {@code m}).
     */
    private static long packetSpans(byte[] m, ByteBuffer b, int base, int len) throws NetCodecException {
        int header = Rndis.PACKET_HEADER_SIZE;
        if (len < header) {
            throw new NetCodecException(TRUNCATED, "RNDIS " + Rndis.PACKET.name().orElse("message") + " needs "
                    + header + " bytes, msg_len is " + len);
        }
        int oobOffset = b.getInt(base + Rndis.PACKET_OOB_OFFSET);
        int oobLength = b.getInt(base + Rndis.PACKET_OOB_LEN);
        int oobCount = b.getInt(base + Rndis.PACKET_OOB_COUNT);
        if ((oobOffset | oobLength | oobCount) != 0) {
            throw new NetCodecException(PACKET_OOB, "PACKET_MSG oob_offset " + Integer.toUnsignedString(oobOffset)
                    + ", oob_len " + Integer.toUnsignedString(oobLength) + ", oob_count "
                    + Integer.toUnsignedString(oobCount) + " (all must be 0)");
        }
        int vc = b.getInt(base + Rndis.PACKET_VC_HANDLE);
        if (vc != 0) {
            throw new NetCodecException(PACKET_VC_HANDLE, "PACKET_MSG vc_handle " + Wire.hex(vc) + " (must be 0)");
        }
        long dataLength = Wire.unsigned(b.getInt(base + Rndis.PACKET_DATA_LEN));
        long dataStart = spanStart(PACKET_DATA_RANGE, "data", dataLength, b.getInt(base + Rndis.PACKET_DATA_OFFSET),
                header, len);
        long dataEnd = dataStart + dataLength;
        long ppiLength = Wire.unsigned(b.getInt(base + Rndis.PACKET_PPI_LEN));
        if (ppiLength != 0) {
            long ppiStart = spanStart(PPI_RANGE, "ppi", ppiLength, b.getInt(base + Rndis.PACKET_PPI_OFFSET), header, len);
            long ppiEnd = ppiStart + ppiLength;
            if (dataLength != 0 && ppiStart < dataEnd && dataStart < ppiEnd) {
                throw new NetCodecException(PACKET_OVERLAP, "PACKET_MSG data [" + dataStart + ", " + dataEnd
                        + ") and per-packet info [" + ppiStart + ", " + ppiEnd + ") overlap");
            }
        }
        return ((long) (base + (int) dataStart) << 32) | (base + (int) dataEnd);
    }

    /**
     * Where the PACKET_MSG's {@code <name>_len}/{@code <name>_offset} pair starts (an index into the message),
     * checked to end inside {@code [header, len)}.
     */
    private static long spanStart(NetCodecException.Malformation malformation, String name, long length, int offset,
                                  int header, int len) throws NetCodecException {
        long start = Rndis.OFFSET_BASE + Wire.unsigned(offset);
        long end = start + length;
        if (start < header || end > len) {
            throw new NetCodecException(malformation, "PACKET_MSG " + name + "_len " + length + " at " + name
                    + "_offset " + (start - Rndis.OFFSET_BASE) + " spans [" + start + ", " + end + "), outside ["
                    + header + ", " + len + ")");
        }
        return start;
    }

    /** {@link #ppis}'s result: a PPI of type {@code PerPacketInfo.TYPE_LSO} is there. */
    static final long LSO = 1L << 32;
    /** {@link #ppis}'s result: a VLAN PPI is there, its tag's TCI in the low 16 bits. */
    static final long VLAN = 1L << 33;

    /**
     * Checks the per-packet info of the (span-checked) PACKET_MSG at {@code m[base, base + len)}, adding each to
     * {@code out} when it is not null; {@link #LSO} if one asks for segmentation offload, {@link #VLAN} and the TCI
     * if one carries an 802.1Q tag (a VLAN PPI with less than a u32 of data is passed over, as Linux's
     * {@code rndis_get_ppi} passes over one too small for what it holds).
     */
    private static long ppis(byte[] m, ByteBuffer b, int base, int len, List<PerPacketInfo> out)
            throws NetCodecException {
        long ppiLength = Wire.unsigned(b.getInt(base + Rndis.PACKET_PPI_LEN));
        if (ppiLength == 0) {
            return 0;
        }
        int start = Rndis.OFFSET_BASE + (int) Wire.unsigned(b.getInt(base + Rndis.PACKET_PPI_OFFSET));
        int end = start + (int) ppiLength;
        long found = 0;
        int h = Rndis.PPI_HEADER_SIZE;
        for (int p = start; p < end; ) {
            int remaining = end - p;
            if (remaining < h) {
                throw new NetCodecException(PPI_SIZE, "per-packet info at " + p + " needs a " + h
                        + "-byte header, " + remaining + " bytes remain");
            }
            long size = Wire.unsigned(b.getInt(base + p + Rndis.PPI_FIELD_SIZE));
            int type = b.getInt(base + p + Rndis.PPI_FIELD_TYPE);
            long offset = Wire.unsigned(b.getInt(base + p + Rndis.PPI_FIELD_OFFSET));
            if (size < h || size % 4 != 0 || size > remaining) {
                throw new NetCodecException(PPI_SIZE, "per-packet info type " + Wire.hex(type) + " at " + p
                        + " has size " + size + " (at least " + h + ", a multiple of 4, at most " + remaining + ")");
            }
            if (offset < h || offset > size || (size - offset) % 4 != 0) {
                throw new NetCodecException(PPI_OFFSET, "per-packet info type " + Wire.hex(type) + " at " + p
                        + " has offset " + offset + " (at least " + h + ", at most its size " + size
                        + ", leaving whole words)");
            }
            if (type == PerPacketInfo.TYPE_LSO) {
                found |= LSO;
            } else if (type == PerPacketInfo.TYPE_VLAN && size - offset >= 4) {
                found = found & ~0xffffL | VLAN | Vlan.tciOf(b.getInt(base + p + (int) offset));
            }
            if (out != null) {
                out.add(new PerPacketInfo(type, Arrays.copyOfRange(m, base + p + (int) offset, base + p + (int) size)));
            }
            p += (int) size;
        }
        return found;
    }

    /** {@link RndisMessage#forEachPacket}: every message checked first, then each frame handed over in place. */
    static boolean forEachPacket(byte[] all, int length, FrameVisitor visitor) throws NetCodecException {
        if (length < 0 || length > all.length) {
            throw new IllegalArgumentException(length + " bytes of a " + all.length + "-byte array");
        }
        ByteBuffer b = Wire.le(all);
        for (int p = 0; p < length; ) {
            int len = messageLength(all, p, length - p);
            if (b.getInt(p) != Rndis.TYPE_PACKET) {
                return false;
            }
            packetSpans(all, b, p, len);
            ppis(all, b, p, len, null);
            p += len;
        }
        for (int p = 0; p < length; ) {
            int len = messageLength(all, p, length - p);
            long spans = packetSpans(all, b, p, len);
            long info = ppis(all, b, p, len, null);
            int start = (int) (spans >>> 32);
            visitor.frame(all, start, (int) spans - start, (info & LSO) != 0,
                    (info & VLAN) != 0 ? (int) (info & 0xffff) : -1);
            p += len;
        }
        return true;
    }
}
