package dev.vmbus.ic.vss;

import dev.vmbus.ic.IcMessage;

/**
 * The VSS message body (type 5, spec ic-protocols.md section 3.5) as Linux reads it, at payload offset 28:
 *
 * <pre>
 *   28 operation u8 | 29 reserved[7] | 36 flags u32 (check-hot-backup / DM-info flags)
 * </pre>
 *
 * Linux drops anything shorter than these 12 bytes without a reply.
 */
public final class VssMessage {
    public static final int OPERATION = IcMessage.HEADER_LENGTH;
    public static final int FLAGS = 36;
    /** The least body Linux accepts. */
    public static final int MIN_BODY = 12;
    /**
     * What the simulated host sends: room for Windows' largest fixed body (CREATE_V2: snapshot-set GUID at 36,
     * backup type at 52), rounded to 8. The real host's lengths are not public.
     */
    public static final int HOST_BODY = 32;
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
