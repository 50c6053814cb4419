package dev.vmbus.net;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;

import static dev.vmbus.net.NetLayout.struct;
import static dev.vmbus.net.NetLayout.u16;
import static dev.vmbus.net.NetLayout.u32;
import static dev.vmbus.net.NetLayout.u64;

/**
 * NVSP, the network VSP protocol: message types, versions, statuses and each message's layout
 * (spec netvsc-and-buffers.md §3.1; Linux {@code hyperv_net.h}, DPDK {@code hn_nvs.h}, OpenVMM
 * {@code protocol.rs}). Every message starts with {@code u32 msg_type}; the offsets in the spec's table are from
 * there. The messages themselves are {@link NvspMessage}.
 */
public final class Nvsp {
    public static final int TYPE_INIT = 1;
    public static final int TYPE_INIT_COMPLETE = 2;
    public static final int TYPE_SEND_NDIS_VERSION = 100;
    public static final int TYPE_SEND_RECV_BUF = 101;
    public static final int TYPE_SEND_RECV_BUF_COMPLETE = 102;
    public static final int TYPE_REVOKE_RECV_BUF = 103;
    public static final int TYPE_SEND_SEND_BUF = 104;
    public static final int TYPE_SEND_SEND_BUF_COMPLETE = 105;
    public static final int TYPE_REVOKE_SEND_BUF = 106;
    public static final int TYPE_SEND_RNDIS_PKT = 107;
    public static final int TYPE_SEND_RNDIS_PKT_COMPLETE = 108;
    public static final int TYPE_SEND_NDIS_CONFIG = 125;
    public static final int TYPE_SEND_VF_ASSOCIATION = 128;
    public static final int TYPE_SWITCH_DATA_PATH = 129;
    /** Request (guest → host, in-band) and completion (host → guest, COMP) share the type. */
    public static final int TYPE_SUBCHANNEL = 133;
    public static final int TYPE_SEND_INDIRECTION_TABLE = 134;

    /** NVSP versions, oldest first ({@code hn_nvs.h:24-29}; OpenVMM {@code protocol.rs:19-28}). */
    public static final int VERSION_1 = 0x2;
    public static final int VERSION_2 = 0x30002;
    public static final int VERSION_4 = 0x40000;
    public static final int VERSION_5 = 0x50000;
    public static final int VERSION_6 = 0x60000;
    public static final int VERSION_61 = 0x60001;
    /** What a guest tries, newest first, one at a time with min = max (§3.2 step 2), down to version 2. */
    public static final int[] GUEST_VERSIONS = {VERSION_61, VERSION_6, VERSION_5, VERSION_4, VERSION_2};

    public static final int STATUS_NONE = 0;
    public static final int STATUS_SUCCESS = 1;
    public static final int STATUS_FAIL = 2;
    public static final int STATUS_TOO_NEW = 3;
    public static final int STATUS_TOO_OLD = 4;
    public static final int STATUS_INVALID_RNDIS_PKT = 5;
    public static final int STATUS_BUSY = 6;
    public static final int STATUS_UNSUPPORTED = 7;

    /** Wire size of every message up to NVSP 6 (4 + the largest v1 body), and from 6.1 on. */
    public static final int MESSAGE_SIZE_V1 = 28;
    public static final int MESSAGE_SIZE_V61 = 40;

    /** NDIS versions a guest announces: 6.1 for NVSP ≤ 4, 6.30 above (§3.1). */
    public static final int NDIS_MAJOR = 6;
    public static final int NDIS_MINOR_NVSP4 = 1;
    public static final int NDIS_MINOR_NVSP5 = 30;

    /** The receive buffer's id (the transfer page set id) and the send buffer's, as Linux and DPDK send them. */
    public static final int RECEIVE_BUFFER_ID = 0xCAFE;
    public static final int SEND_BUFFER_ID = 0xFACE;
    /** {@code send_buf_section_index} when the RNDIS message is not in a send section. */
    public static final int NO_SECTION = 0xFFFFFFFF;
    /** {@code channel_type} of NVSP 107. */
    public static final int CHANNEL_DATA = 0;
    public static final int CHANNEL_CONTROL = 1;
    /** NVSP 133 {@code op}: allocate subchannels. */
    public static final int SUBCHANNEL_ALLOCATE = 1;
    /** NVSP 134: the number of TX-steering entries. */
    public static final int INDIRECTION_TABLE_SIZE = 16;

    /** NDIS_CONFIG capability bits. */
    public static final long CAP_VMQ = 1L;
    public static final long CAP_CHIMNEY = 1L << 1;
    public static final long CAP_SRIOV = 1L << 2;
    public static final long CAP_IEEE8021Q = 1L << 3;
    public static final long CAP_CORRELATION_ID = 1L << 4;
    public static final long CAP_TEAMING = 1L << 5;
    public static final long CAP_VSUBNETID = 1L << 6;
    public static final long CAP_RSC = 1L << 7;

    public static final GroupLayout INIT = struct("init",
            u32("msg_type"), u32("min_protocol_ver"), u32("max_protocol_ver"));
    public static final GroupLayout INIT_COMPLETE = struct("init_complete",
            u32("msg_type"), u32("negotiated_protocol_ver"), u32("max_mdl_chain_len"), u32("status"));
    public static final GroupLayout SEND_NDIS_VERSION = struct("send_ndis_version",
            u32("msg_type"), u32("ndis_major"), u32("ndis_minor"));
    public static final GroupLayout SEND_RECV_BUF = struct("send_recv_buf",
            u32("msg_type"), u32("gpadl_handle"), u16("id"), u16("reserved"));
    /** One receive-buffer section of NVSP 102. */
    public static final GroupLayout RECV_BUF_SECTION = struct("recv_buf_section",
            u32("offset"), u32("sub_alloc_size"), u32("num_sub_allocs"), u32("end_offset"));
    /** NVSP 102 up to its first section; {@code num_sections} sections follow. */
    public static final GroupLayout SEND_RECV_BUF_COMPLETE = struct("send_recv_buf_complete",
            u32("msg_type"), u32("status"), u32("num_sections"));
    public static final GroupLayout REVOKE_RECV_BUF = struct("revoke_recv_buf", u32("msg_type"), u16("id"));
    public static final GroupLayout SEND_SEND_BUF = struct("send_send_buf",
            u32("msg_type"), u32("gpadl_handle"), u16("id"), u16("reserved"));
    public static final GroupLayout SEND_SEND_BUF_COMPLETE = struct("send_send_buf_complete",
            u32("msg_type"), u32("status"), u32("section_size"));
    public static final GroupLayout REVOKE_SEND_BUF = struct("revoke_send_buf", u32("msg_type"), u16("id"));
    public static final GroupLayout SEND_RNDIS_PKT = struct("send_rndis_pkt",
            u32("msg_type"), u32("channel_type"), u32("send_buf_section_index"), u32("send_buf_section_size"));
    public static final GroupLayout SEND_RNDIS_PKT_COMPLETE = struct("send_rndis_pkt_complete",
            u32("msg_type"), u32("status"));
    public static final GroupLayout SEND_NDIS_CONFIG = struct("send_ndis_config",
            u32("msg_type"), u32("mtu"), u32("reserved"), u64("capabilities"));
    public static final GroupLayout SEND_VF_ASSOCIATION = struct("send_vf_association",
            u32("msg_type"), u32("allocated"), u32("serial"));
    public static final GroupLayout SWITCH_DATA_PATH = struct("switch_data_path",
            u32("msg_type"), u32("active_datapath"));
    public static final GroupLayout SUBCHANNEL_REQUEST = struct("subchannel_request",
            u32("msg_type"), u32("op"), u32("num_subchannels"));
    public static final GroupLayout SUBCHANNEL_COMPLETE = struct("subchannel_complete",
            u32("msg_type"), u32("status"), u32("num_subchannels"));
    /**
     * Where a host that negotiated NVSP 6 or older puts the table of NVSP 134, whatever its {@code offset} says:
     * after the message header and the largest NVSP 6 message body (4 + 36 bytes), in a message that long or longer.
     * Those hosts wrote too small an offset, so a guest that believed it read the padding's zeros as the table's
     * first entries and lost its last ones, sending most frames on queue 0; Linux's {@code netvsc_send_table} takes
     * the table from here instead when the message is long enough to hold it there (spec §3, NVSP 134).
     */
    public static final int SEND_TABLE_OFFSET_UP_TO_V6 = 40;
    /** NVSP 134 up to the table; the table is {@code count} u32 at {@code offset} from the message's start. */
    public static final GroupLayout SEND_INDIRECTION_TABLE = struct("send_indirection_table",
            u32("msg_type"), u32("count"), u32("offset"));

    // The data path's fields, read and written for every frame both ways: their offsets are found once here
    // rather than through NetLayout.at's cache on each message (a hash and probe per field, near the top of a
    // profile of the NIC's ping). Still read from the layouts above, so each message is declared once.
    static final int RNDIS_PKT_CHANNEL_TYPE = NetLayout.at(SEND_RNDIS_PKT, "channel_type");
    static final int RNDIS_PKT_SECTION_INDEX = NetLayout.at(SEND_RNDIS_PKT, "send_buf_section_index");
    static final int RNDIS_PKT_SECTION_SIZE = NetLayout.at(SEND_RNDIS_PKT, "send_buf_section_size");
    static final int RNDIS_PKT_COMPLETE_STATUS = NetLayout.at(SEND_RNDIS_PKT_COMPLETE, "status");

    private Nvsp() {
    }

    /** A version as the spec writes it: {@code 6.1}, {@code 2} for 0x30002 ... */
    public static String versionName(int version) {
        return switch (version) {
            case VERSION_1 -> "1";
            case VERSION_2 -> "2";
            case VERSION_4 -> "4";
            case VERSION_5 -> "5";
            case VERSION_6 -> "6";
            case VERSION_61 -> "6.1";
            default -> Wire.hex(version);
        };
    }

    /** The NDIS minor version a guest announces with an NVSP version (§3.1). */
    public static int ndisMinorFor(int nvspVersion) {
        return Integer.compareUnsigned(nvspVersion, VERSION_4) <= 0 ? NDIS_MINOR_NVSP4 : NDIS_MINOR_NVSP5;
    }

    /** The wire size of messages at an NVSP version. */
    public static int messageSize(int nvspVersion) {
        return Integer.compareUnsigned(nvspVersion, VERSION_61) >= 0 ? MESSAGE_SIZE_V61 : MESSAGE_SIZE_V1;
    }
}
