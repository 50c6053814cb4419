package dev.vmbus.ic.vss;

import dev.vmbus.ic.IcLayout;
import dev.vmbus.ic.IcMessage;

import java.lang.foreign.GroupLayout;

/**
 * The VSS message body (type 5, spec ic-protocols.md section 3.5) as Linux reads it, at payload offset 28:
 *
 * <pre>
 *   28 operation u8 | 29 reserved[7] | 36 flags u32 (check-hot-backup / DM-info flags)
 * </pre>
 *
 * Linux drops anything shorter than these 12 bytes without a reply. Declared once in {@link #LAYOUT}; the offsets
 * are read from it. Stateless.
 */
public final class VssMessage {
    /** {@code hv_vss_msg} as Linux reads it: the header and the flags of its union. */
    public static final GroupLayout LAYOUT = IcLayout.message("hv_vss_msg",
            IcLayout.U8.withName("operation"),
            IcLayout.bytes(7).withName("reserved"),
            IcLayout.U32.withName("flags"));

    public static final int OPERATION = IcLayout.offset(LAYOUT, "operation");
    public static final int FLAGS = IcLayout.offset(LAYOUT, "flags");
    /** The least body Linux accepts. */
    public static final int MIN_BODY = IcLayout.bodySize(LAYOUT);
    /**
     * What the simulated host sends: room for Windows' largest fixed body (CREATE_V2: snapshot-set GUID at 36,
     * backup type at 52), padded to 8. The real host's lengths are not public.
     */
    public static final GroupLayout HOST_LAYOUT = IcLayout.message("vss_create_v2",
            IcLayout.U8.withName("operation"),
            IcLayout.bytes(7).withName("reserved"),
            IcLayout.bytes(16).withName("snapshot_set_id"),
            IcLayout.U32.withName("backup_type"),
            IcLayout.bytes(4).withName("padding"));
    /** The body of {@link #HOST_LAYOUT}. */
    public static final int HOST_BODY = IcLayout.bodySize(HOST_LAYOUT);
    /** {@code VSS_HBU_NO_AUTO_RECOVERY}: the CHECK_HOT_BACKUP answer "this guest does no auto-recovery". */
    public static final int HBU_NO_AUTO_RECOVERY = 5;

    private VssMessage() {
    }

    /** The operation byte. */
    public static int operation(IcMessage m) {
        return m.bytes()[OPERATION] & 0xFF;
    }

    /** Writes a host request body into {@code m} (which has {@link #HOST_BODY} body bytes). */
    public static void write(IcMessage m, VssOperation op, int flags) {
        m.bytes()[OPERATION] = (byte) op.code();
        m.putU32(FLAGS, flags);
    }
}
