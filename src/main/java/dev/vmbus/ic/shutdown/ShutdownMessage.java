package dev.vmbus.ic.shutdown;

import dev.vmbus.ic.IcMessage;

/**
 * The shutdown request body (type 3, spec ic-protocols.md section 3.3), 2060 bytes at payload offset 28:
 *
 * <pre>
 *   28 reason_code u32 | 32 timeout_seconds u32 | 36 flags u32 | 40 display_message[2048]
 * </pre>
 *
 * Linux acts on the whole {@code flags} value, never on single bits: see {@link ShutdownAction#forFlags}.
 */
public final class ShutdownMessage {
    public static final int REASON_CODE = IcMessage.HEADER_LENGTH;
    public static final int TIMEOUT_SECONDS = 32;
    public static final int FLAGS = 36;
    public static final int DISPLAY_MESSAGE = 40;
    public static final int DISPLAY_MESSAGE_LENGTH = 2048;
    /** The whole body; Linux drops anything shorter without a reply. */
    public static final int BODY_LENGTH = 2060;

    /** Flag bit 0: force (Linux ignores it: it always forces). */
    public static final int FLAG_FORCE = 1;
    /** Flag bit 1: restart. */
    public static final int FLAG_RESTART = 2;
    /** Flag bit 2: hibernate. */
    public static final int FLAG_HIBERNATE = 4;
    /** {@code SHTDN_REASON_FLAG_PLANNED}, what OpenVMM's host sends as the reason. */
    public static final int REASON_PLANNED = 0x80000000;

    private ShutdownMessage() {
    }

    /** Writes a host request body into {@code m} (which has {@link #BODY_LENGTH} body bytes). */
    public static void write(IcMessage m, int flags, int reasonCode, int timeoutSeconds) {
        m.putU32(REASON_CODE, reasonCode);
        m.putU32(TIMEOUT_SECONDS, timeoutSeconds);
        m.putU32(FLAGS, flags);
    }
}
