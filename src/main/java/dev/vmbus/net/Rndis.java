package dev.vmbus.net;

import java.lang.foreign.GroupLayout;

import static dev.vmbus.net.NetLayout.struct;
import static dev.vmbus.net.NetLayout.u32;

/**
 * Remote NDIS as the synthetic NIC carries it inside NVSP 107: message types, statuses, the OIDs a guest and a
 * host use, packet-filter bits and each message's layout (spec §3.5; DPDK {@code rndis.h}, OpenVMM
 * {@code rndisprot.rs}). Every message starts with {@code u32 type, u32 msg_len} (the whole message, header
 * included); every offset field inside a message is relative to byte 8. The messages are {@link RndisMessage}.
 */
public final class Rndis {
    public static final int TYPE_PACKET = 0x1;
    public static final int TYPE_INITIALIZE = 0x2;
    public static final int TYPE_HALT = 0x3;
    public static final int TYPE_QUERY = 0x4;
    public static final int TYPE_SET = 0x5;
    public static final int TYPE_RESET = 0x6;
    public static final int TYPE_INDICATE_STATUS = 0x7;
    public static final int TYPE_KEEPALIVE = 0x8;
    /** A completion's type is its request's with the high bit set. */
    public static final int COMPLETION = 0x80000000;
    public static final int TYPE_INITIALIZE_COMPLETE = COMPLETION | TYPE_INITIALIZE;
    public static final int TYPE_QUERY_COMPLETE = COMPLETION | TYPE_QUERY;
    public static final int TYPE_SET_COMPLETE = COMPLETION | TYPE_SET;
    public static final int TYPE_KEEPALIVE_COMPLETE = COMPLETION | TYPE_KEEPALIVE;

    /** The base every offset field is relative to: the byte after {@code type} and {@code msg_len}. */
    public static final int OFFSET_BASE = 8;

    public static final int STATUS_SUCCESS = 0;
    public static final int STATUS_FAILURE = 0xC0000001;
    public static final int STATUS_INVALID_DATA = 0xC0010015;
    public static final int STATUS_NOT_SUPPORTED = 0xC00000BB;
    public static final int STATUS_MEDIA_CONNECT = 0x4001000B;
    public static final int STATUS_MEDIA_DISCONNECT = 0x4001000C;
    public static final int STATUS_LINK_SPEED_CHANGE = 0x40010013;
    public static final int STATUS_NETWORK_CHANGE = 0x40010018;
    public static final int STATUS_TASK_OFFLOAD_CURRENT_CONFIG = 0x40020006;

    /** What a guest asks for in INITIALIZE (§3.2 step 7). */
    public static final int MAJOR_VERSION = 1;
    public static final int MINOR_VERSION = 0;
    public static final int MAX_TRANSFER_SIZE = 0x4000;
    /** INITIALIZE_CMPLT {@code dev_flags}: connectionless; {@code medium}: 802.3. */
    public static final int DEVICE_CONNECTIONLESS = 1;
    public static final int MEDIUM_802_3 = 0;

    public static final int OID_GEN_SUPPORTED_LIST = 0x00010101;
    public static final int OID_GEN_MAXIMUM_FRAME_SIZE = 0x00010106;
    public static final int OID_GEN_LINK_SPEED = 0x00010107;
    public static final int OID_GEN_CURRENT_PACKET_FILTER = 0x0001010E;
    public static final int OID_GEN_MAXIMUM_TOTAL_SIZE = 0x00010111;
    public static final int OID_GEN_MEDIA_CONNECT_STATUS = 0x00010114;
    public static final int OID_GEN_NETWORK_LAYER_ADDRESSES = 0x00010118;
    public static final int OID_GEN_RECEIVE_SCALE_CAPABILITIES = 0x00010203;
    public static final int OID_GEN_RECEIVE_SCALE_PARAMETERS = 0x00010204;
    public static final int OID_GEN_RNDIS_CONFIG_PARAMETER = 0x0001021B;
    public static final int OID_802_3_PERMANENT_ADDRESS = 0x01010101;
    public static final int OID_802_3_CURRENT_ADDRESS = 0x01010102;
    public static final int OID_802_3_MULTICAST_LIST = 0x01010103;
    public static final int OID_TCP_OFFLOAD_PARAMETERS = 0xFC01020C;
    public static final int OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES = 0xFC01020F;

    /** OID_GEN_MEDIA_CONNECT_STATUS values. */
    public static final int MEDIA_STATE_CONNECTED = 0;
    public static final int MEDIA_STATE_DISCONNECTED = 1;

    /** Packet-filter bits (OID_GEN_CURRENT_PACKET_FILTER). */
    public static final int FILTER_NONE = 0;
    public static final int FILTER_DIRECTED = 0x1;
    public static final int FILTER_MULTICAST = 0x2;
    public static final int FILTER_ALL_MULTICAST = 0x4;
    public static final int FILTER_BROADCAST = 0x8;
    public static final int FILTER_PROMISCUOUS = 0x20;

    public static final GroupLayout HEADER = struct("rndis_header", u32("type"), u32("msg_len"));
    public static final GroupLayout INITIALIZE = struct("initialize_msg", u32("type"), u32("msg_len"),
            u32("rid"), u32("major"), u32("minor"), u32("max_xfer_size"));
    public static final GroupLayout INITIALIZE_COMPLETE = struct("initialize_cmplt", u32("type"), u32("msg_len"),
            u32("rid"), u32("status"), u32("major"), u32("minor"), u32("dev_flags"), u32("medium"),
            u32("max_pkts_per_msg"), u32("max_xfer_size"), u32("pkt_align_factor"), u32("af_list_offset"),
            u32("af_list_size"));
    public static final GroupLayout HALT = struct("halt_msg", u32("type"), u32("msg_len"), u32("rid"));
    /** QUERY_MSG and SET_MSG; the information buffer follows (at {@code info_offset} + 8). */
    public static final GroupLayout QUERY = struct("query_msg", u32("type"), u32("msg_len"), u32("rid"),
            u32("oid"), u32("info_len"), u32("info_offset"), u32("device_vc_handle"));
    public static final GroupLayout SET = struct("set_msg", u32("type"), u32("msg_len"), u32("rid"),
            u32("oid"), u32("info_len"), u32("info_offset"), u32("device_vc_handle"));
    public static final GroupLayout QUERY_COMPLETE = struct("query_cmplt", u32("type"), u32("msg_len"),
            u32("rid"), u32("status"), u32("info_len"), u32("info_offset"));
    public static final GroupLayout SET_COMPLETE = struct("set_cmplt", u32("type"), u32("msg_len"), u32("rid"),
            u32("status"));
    public static final GroupLayout INDICATE_STATUS = struct("indicate_status_msg", u32("type"), u32("msg_len"),
            u32("status"), u32("stbuf_len"), u32("stbuf_offset"));
    public static final GroupLayout KEEPALIVE = struct("keepalive_msg", u32("type"), u32("msg_len"), u32("rid"));
    public static final GroupLayout KEEPALIVE_COMPLETE = struct("keepalive_cmplt", u32("type"), u32("msg_len"),
            u32("rid"), u32("status"));
    /** PACKET_MSG's 44-byte header; per-packet info and the frame follow at their offsets (+ 8). */
    public static final GroupLayout PACKET = struct("packet_msg", u32("type"), u32("msg_len"),
            u32("data_offset"), u32("data_len"), u32("oob_offset"), u32("oob_len"), u32("oob_count"),
            u32("ppi_offset"), u32("ppi_len"), u32("vc_handle"), u32("reserved"));
    /** A per-packet info's 12-byte header; its data starts {@code offset} bytes from the PPI's start. */
    public static final GroupLayout PPI = struct("per_packet_info", u32("size"), u32("type"), u32("offset"));

    public static final int PACKET_HEADER_SIZE = NetLayout.size(PACKET);
    public static final int PPI_HEADER_SIZE = NetLayout.size(PPI);

    // The data path's fields, read and written for every frame both ways (a PACKET_MSG's header and its PPIs, the
    // msg_len of every message): their offsets are found once here rather than through NetLayout.at's cache on each
    // frame (a hash, a probe and an Offset record per field, memory a ping's hop must load again after the machine
    // idled: docs/benchmarks/net.md), as Nvsp does for its RNDIS_PKT fields. Still read from the layouts above.
    static final int MESSAGE_HEADER_SIZE = NetLayout.size(HEADER);
    static final int HEADER_MSG_LEN = NetLayout.at(HEADER, "msg_len");
    static final int PACKET_TYPE = NetLayout.at(PACKET, "type");
    static final int PACKET_MSG_LEN = NetLayout.at(PACKET, "msg_len");
    static final int PACKET_DATA_OFFSET = NetLayout.at(PACKET, "data_offset");
    static final int PACKET_DATA_LEN = NetLayout.at(PACKET, "data_len");
    static final int PACKET_OOB_OFFSET = NetLayout.at(PACKET, "oob_offset");
    static final int PACKET_OOB_LEN = NetLayout.at(PACKET, "oob_len");
    static final int PACKET_OOB_COUNT = NetLayout.at(PACKET, "oob_count");
    static final int PACKET_PPI_OFFSET = NetLayout.at(PACKET, "ppi_offset");
    static final int PACKET_PPI_LEN = NetLayout.at(PACKET, "ppi_len");
    static final int PACKET_VC_HANDLE = NetLayout.at(PACKET, "vc_handle");
    static final int PPI_FIELD_SIZE = NetLayout.at(PPI, "size");
    static final int PPI_FIELD_TYPE = NetLayout.at(PPI, "type");
    static final int PPI_FIELD_OFFSET = NetLayout.at(PPI, "offset");

    private Rndis() {
    }

    /**
     * A packet filter as people read it: "none" (the host delivers nothing), else its bits lowest first, as
     * "directed, all-multicast, broadcast"; a bit with no name here as its hex value.
     */
    public static String filterWords(int filter) {
        if (filter == FILTER_NONE) {
            return "none";
        }
        StringBuilder out = new StringBuilder();
        for (int bit = 1; bit != 0; bit <<= 1) {
            if ((filter & bit) != 0) {
                String word = switch (bit) {
                    case FILTER_DIRECTED -> "directed";
                    case FILTER_MULTICAST -> "multicast";
                    case FILTER_ALL_MULTICAST -> "all-multicast";
                    case FILTER_BROADCAST -> "broadcast";
                    case FILTER_PROMISCUOUS -> "promiscuous";
                    default -> "0x" + Integer.toHexString(bit);
                };
                out.append(out.isEmpty() ? "" : ", ").append(word);
            }
        }
        return out.toString();
    }

    /** A message type as DPDK's {@code rndis.h} names it, for errors and logs. */
    public static String typeName(int type) {
        return switch (type) {
            case TYPE_PACKET -> "PACKET_MSG";
            case TYPE_INITIALIZE -> "INITIALIZE_MSG";
            case TYPE_HALT -> "HALT_MSG";
            case TYPE_QUERY -> "QUERY_MSG";
            case TYPE_SET -> "SET_MSG";
            case TYPE_RESET -> "RESET_MSG";
            case TYPE_INDICATE_STATUS -> "INDICATE_STATUS_MSG";
            case TYPE_KEEPALIVE -> "KEEPALIVE_MSG";
            case TYPE_INITIALIZE_COMPLETE -> "INITIALIZE_CMPLT";
            case TYPE_QUERY_COMPLETE -> "QUERY_CMPLT";
            case TYPE_SET_COMPLETE -> "SET_CMPLT";
            case COMPLETION | TYPE_RESET -> "RESET_CMPLT";
            case TYPE_KEEPALIVE_COMPLETE -> "KEEPALIVE_CMPLT";
            default -> Wire.hex(type);
        };
    }
}
