package dev.vmbus.net;

import dev.vmbus.net.NvspMessage.*;

import java.lang.foreign.GroupLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static dev.vmbus.net.NetLayout.at;

/**
 * The NVSP decoder behind {@link NvspMessage#decode}: it works on a private copy of the peer's bytes and checks
 * every field's end (and a section count's or a table's extent) against the message's length before reading it,
 * each violation a {@link NetCodecException} of its own kind. Stateless.
 */
final class NvspDecoder {
    private NvspDecoder() {
    }

    /**
     * As {@link #parse} for an in-band message from a host that negotiated {@code nvspVersion}: NVSP 134 from a host
     * at version 6 or older is read where such hosts put its table ({@link Nvsp#SEND_TABLE_OFFSET_UP_TO_V6}) when the
     * message reaches that far, as Linux reads it; everything else as {@link #parse} reads it.
     */
    static NvspMessage parseInband(byte[] m, int nvspVersion) throws NetCodecException {
        if (m.length >= Nvsp.SEND_TABLE_OFFSET_UP_TO_V6 + 4L * Nvsp.INDIRECTION_TABLE_SIZE
                && Wire.le(m).getInt(0) == Nvsp.TYPE_SEND_INDIRECTION_TABLE
                && Integer.compareUnsigned(nvspVersion, Nvsp.VERSION_6) <= 0) {
            return indirectionTable(m, Wire.le(m), Nvsp.SEND_TABLE_OFFSET_UP_TO_V6);
        }
        return parse(m, false);
    }

    /** Decodes and checks {@code m}, a private copy of the peer's bytes. */
    static NvspMessage parse(byte[] m, boolean completion) throws NetCodecException {
        ByteBuffer b = Wire.le(m);
        need(m, "msg_type", 4);
        int type = b.getInt(0);
        return switch (type) {
            case Nvsp.TYPE_INIT -> {
                need(m, Nvsp.INIT);
                yield new Init(b.getInt(at(Nvsp.INIT, "min_protocol_ver")), b.getInt(at(Nvsp.INIT, "max_protocol_ver")));
            }
            case Nvsp.TYPE_INIT_COMPLETE -> {
                need(m, Nvsp.INIT_COMPLETE);
                yield new InitComplete(b.getInt(at(Nvsp.INIT_COMPLETE, "negotiated_protocol_ver")),
                        b.getInt(at(Nvsp.INIT_COMPLETE, "max_mdl_chain_len")),
                        b.getInt(at(Nvsp.INIT_COMPLETE, "status")));
            }
            case Nvsp.TYPE_SEND_NDIS_VERSION -> {
                need(m, Nvsp.SEND_NDIS_VERSION);
                yield new NdisVersion(b.getInt(at(Nvsp.SEND_NDIS_VERSION, "ndis_major")),
                        b.getInt(at(Nvsp.SEND_NDIS_VERSION, "ndis_minor")));
            }
            case Nvsp.TYPE_SEND_RECV_BUF -> {
                need(m, Nvsp.SEND_RECV_BUF);
                yield new SendReceiveBuffer(b.getInt(at(Nvsp.SEND_RECV_BUF, "gpadl_handle")),
                        Short.toUnsignedInt(b.getShort(at(Nvsp.SEND_RECV_BUF, "id"))));
            }
            case Nvsp.TYPE_SEND_RECV_BUF_COMPLETE -> receiveBufferComplete(m, b);
            case Nvsp.TYPE_REVOKE_RECV_BUF -> {
                need(m, Nvsp.REVOKE_RECV_BUF);
                yield new RevokeReceiveBuffer(Short.toUnsignedInt(b.getShort(at(Nvsp.REVOKE_RECV_BUF, "id"))));
            }
            case Nvsp.TYPE_SEND_SEND_BUF -> {
                need(m, Nvsp.SEND_SEND_BUF);
                yield new SendSendBuffer(b.getInt(at(Nvsp.SEND_SEND_BUF, "gpadl_handle")),
                        Short.toUnsignedInt(b.getShort(at(Nvsp.SEND_SEND_BUF, "id"))));
            }
            case Nvsp.TYPE_SEND_SEND_BUF_COMPLETE -> {
                need(m, Nvsp.SEND_SEND_BUF_COMPLETE);
                yield new SendBufferComplete(b.getInt(at(Nvsp.SEND_SEND_BUF_COMPLETE, "status")),
                        b.getInt(at(Nvsp.SEND_SEND_BUF_COMPLETE, "section_size")));
            }
            case Nvsp.TYPE_REVOKE_SEND_BUF -> {
                need(m, Nvsp.REVOKE_SEND_BUF);
                yield new RevokeSendBuffer(Short.toUnsignedInt(b.getShort(at(Nvsp.REVOKE_SEND_BUF, "id"))));
            }
            case Nvsp.TYPE_SEND_RNDIS_PKT -> {
                need(m, Nvsp.SEND_RNDIS_PKT);
                yield new RndisPacket(b.getInt(Nvsp.RNDIS_PKT_CHANNEL_TYPE),
                        b.getInt(Nvsp.RNDIS_PKT_SECTION_INDEX),
                        b.getInt(Nvsp.RNDIS_PKT_SECTION_SIZE));
            }
            case Nvsp.TYPE_SEND_RNDIS_PKT_COMPLETE -> {
                need(m, Nvsp.SEND_RNDIS_PKT_COMPLETE);
                yield new RndisPacketComplete(b.getInt(Nvsp.RNDIS_PKT_COMPLETE_STATUS));
            }
            case Nvsp.TYPE_SEND_NDIS_CONFIG -> {
                need(m, Nvsp.SEND_NDIS_CONFIG);
                yield new NdisConfig(b.getInt(at(Nvsp.SEND_NDIS_CONFIG, "mtu")),
                        b.getLong(at(Nvsp.SEND_NDIS_CONFIG, "capabilities")));
            }
            case Nvsp.TYPE_SEND_VF_ASSOCIATION -> {
                need(m, Nvsp.SEND_VF_ASSOCIATION);
                yield new VfAssociation(b.getInt(at(Nvsp.SEND_VF_ASSOCIATION, "allocated")),
                        b.getInt(at(Nvsp.SEND_VF_ASSOCIATION, "serial")));
            }
            case Nvsp.TYPE_SWITCH_DATA_PATH -> {
                need(m, Nvsp.SWITCH_DATA_PATH);
                yield new SwitchDataPath(b.getInt(at(Nvsp.SWITCH_DATA_PATH, "active_datapath")));
            }
            case Nvsp.TYPE_SUBCHANNEL -> {
                if (completion) {
                    need(m, Nvsp.SUBCHANNEL_COMPLETE);
                    yield new SubchannelComplete(b.getInt(at(Nvsp.SUBCHANNEL_COMPLETE, "status")),
                            b.getInt(at(Nvsp.SUBCHANNEL_COMPLETE, "num_subchannels")));
                }
                need(m, Nvsp.SUBCHANNEL_REQUEST);
                yield new SubchannelRequest(b.getInt(at(Nvsp.SUBCHANNEL_REQUEST, "op")),
                        b.getInt(at(Nvsp.SUBCHANNEL_REQUEST, "num_subchannels")));
            }
            case Nvsp.TYPE_SEND_INDIRECTION_TABLE -> indirectionTable(m, b, -1);
            default -> throw new NetCodecException(NetCodecException.Malformation.UNKNOWN_NVSP_TYPE,
                    "NVSP message type " + Integer.toUnsignedString(type) + " (" + m.length + " bytes)");
        };
    }

    private static ReceiveBufferComplete receiveBufferComplete(byte[] m, ByteBuffer b) throws NetCodecException {
        need(m, Nvsp.SEND_RECV_BUF_COMPLETE);
        int head = NetLayout.size(Nvsp.SEND_RECV_BUF_COMPLETE);
        int sectionSize = NetLayout.size(Nvsp.RECV_BUF_SECTION);
        long count = Wire.unsigned(b.getInt(at(Nvsp.SEND_RECV_BUF_COMPLETE, "num_sections")));
        long end = head + count * sectionSize;
        if (end > m.length) {
            throw new NetCodecException(NetCodecException.Malformation.SECTION_COUNT, "NVSP 102 num_sections "
                    + count + " needs " + end + " bytes, the message has " + m.length);
        }
        List<ReceiveSection> sections = new ArrayList<>((int) count);
        for (int i = 0, p = head; i < count; i++, p += sectionSize) {
            sections.add(new ReceiveSection(b.getInt(p + at(Nvsp.RECV_BUF_SECTION, "offset")),
                    b.getInt(p + at(Nvsp.RECV_BUF_SECTION, "sub_alloc_size")),
                    b.getInt(p + at(Nvsp.RECV_BUF_SECTION, "num_sub_allocs")),
                    b.getInt(p + at(Nvsp.RECV_BUF_SECTION, "end_offset"))));
        }
        return new ReceiveBufferComplete(b.getInt(at(Nvsp.SEND_RECV_BUF_COMPLETE, "status")), sections);
    }

    /** NVSP 134; its table read at {@code repairedOffset} when that is not -1, else where its offset field says. */
    private static IndirectionTable indirectionTable(byte[] m, ByteBuffer b, int repairedOffset)
            throws NetCodecException {
        need(m, Nvsp.SEND_INDIRECTION_TABLE);
        int count = b.getInt(at(Nvsp.SEND_INDIRECTION_TABLE, "count"));
        if (count != Nvsp.INDIRECTION_TABLE_SIZE) {
            throw new NetCodecException(NetCodecException.Malformation.INDIRECTION_COUNT, "NVSP 134 count "
                    + Integer.toUnsignedString(count) + ", expected " + Nvsp.INDIRECTION_TABLE_SIZE);
        }
        long offset = repairedOffset >= 0 ? repairedOffset
                : Wire.unsigned(b.getInt(at(Nvsp.SEND_INDIRECTION_TABLE, "offset")));
        long end = offset + 4L * count;
        int head = NetLayout.size(Nvsp.SEND_INDIRECTION_TABLE);
        if (offset < head || end > m.length) {
            throw new NetCodecException(NetCodecException.Malformation.INDIRECTION_OFFSET, "NVSP 134 table at ["
                    + offset + ", " + end + ") is outside [" + head + ", " + m.length + ")");
        }
        List<Integer> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            entries.add(b.getInt((int) offset + 4 * i));
        }
        return new IndirectionTable(entries);
    }

    private static void need(byte[] m, GroupLayout layout) throws NetCodecException {
        int bytes = NetLayout.size(layout);
        if (m.length < bytes) { // the name only for the error: this runs for every frame's message
            need(m, "NVSP " + layout.name().orElse("message"), bytes);
        }
    }

    private static void need(byte[] m, String what, int bytes) throws NetCodecException {
        if (m.length < bytes) {
            throw new NetCodecException(NetCodecException.Malformation.TRUNCATED,
                    what + " needs " + bytes + " bytes, the message has " + m.length);
        }
    }
}
