package dev.vmbus.ic.shutdown;

import dev.vmbus.ic.IcLayout;
import dev.vmbus.ic.IcMessage;

import java.lang.foreign.GroupLayout;

/**
 * The shutdown request body (type 3, spec ic-protocols.md section 3.3), 2060 bytes at payload offset 28:
 *
 * <pre>
 *   28 reason_code u32 | 32 timeout_seconds u32 | 36 flags u32 | 40 display_message[2048]
 * </pre>
 *
 * Linux acts on the whole {@code flags} value, never on single bits: see {@link ShutdownAction#forFlags}. Declared
 * once in {@link #LAYOUT}; the offsets are read from it. Stateless.
 */
public final class ShutdownMessage {
    /** {@code shutdown_msg_data}. */
    public static final GroupLayout LAYOUT = IcLayout.message("shutdown_msg_data",
            IcLayout.U32.withName("reason_code"),
            IcLayout.U32.withName("timeout_seconds"),
            IcLayout.U32.withName("flags"),
            IcLayout.bytes(2048).withName("display_message"));

    public static final int REASON_CODE = IcLayout.offset(LAYOUT, "reason_code");
    public static final int TIMEOUT_SECONDS = IcLayout.offset(LAYOUT, "timeout_seconds");
    public static final int FLAGS = IcLayout.offset(LAYOUT, "flags");
    public static final int DISPLAY_MESSAGE = IcLayout.offset(LAYOUT, "display_message");
    public static final int DISPLAY_MESSAGE_LENGTH = IcLayout.end(LAYOUT, "display_message") - DISPLAY_MESSAGE;
    /** The whole body; Linux drops anything shorter without a reply. */
    public static final int BODY_LENGTH = IcLayout.bodySize(LAYOUT);

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
