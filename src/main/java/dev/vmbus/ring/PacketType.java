package dev.vmbus.ring;

/** {@code enum vmbus_packet_type} from {@code include/linux/hyperv.h}. */
public final class PacketType {
    public static final int INVALID = 0x0;
    public static final int SYNCH = 0x1;
    public static final int ADD_XFER_PAGESET = 0x2;
    public static final int RM_XFER_PAGESET = 0x3;
    public static final int ESTABLISH_GPADL = 0x4;
    public static final int TEARDOWN_GPADL = 0x5;
    /** {@code VM_PKT_DATA_INBAND}: what every integration service sends. */
    public static final int DATA_INBAND = 0x6;
    public static final int DATA_USING_XFER_PAGES = 0x7;
    public static final int DATA_USING_GPADL = 0x8;
    public static final int DATA_USING_GPA_DIRECT = 0x9;
    public static final int CANCEL_REQUEST = 0xA;
    /** {@code VM_PKT_COMP}: a completion, carrying the trans_id of the request it completes. */
    public static final int COMP = 0xB;
    public static final int DATA_USING_ADDITIONAL_PKT = 0xC;
    public static final int ADDITIONAL_DATA = 0xD;

    private static final String[] NAMES = {
        "INVALID", "SYNCH", "ADD_XFER_PAGESET", "RM_XFER_PAGESET", "ESTABLISH_GPADL", "TEARDOWN_GPADL",
        "DATA_INBAND", "DATA_USING_XFER_PAGES", "DATA_USING_GPADL", "DATA_USING_GPA_DIRECT", "CANCEL_REQUEST",
        "COMP", "DATA_USING_ADDITIONAL_PKT", "ADDITIONAL_DATA"};

    private PacketType() {
    }

    public static String name(int type) {
        return type >= 0 && type < NAMES.length ? NAMES[type] : "0x" + Integer.toHexString(type);
    }
}
