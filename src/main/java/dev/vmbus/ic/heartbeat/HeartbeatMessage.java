package dev.vmbus.ic.heartbeat;

import dev.vmbus.ic.IcLayout;
import dev.vmbus.ic.IcMessage;

import java.lang.foreign.GroupLayout;

/**
 * The heartbeat message (type 1, spec ic-protocols.md section 3.1), body at payload offset 28 as Linux declares it:
 *
 * <pre>
 *   28 seq_num u64 | 36 reserved u32[8] | 68
 * </pre>
 *
 * Windows and OpenVMM put {@code application_state} (u32) at 36 inside what Linux calls reserved; Linux never
 * writes it. Only the sequence number is required. Declared once in {@link #LAYOUT}. Stateless.
 */
public final class HeartbeatMessage {
    public static final GroupLayout LAYOUT = IcLayout.message("heartbeat_msg_data",
            IcLayout.U64.withName("seq_num"),
            IcLayout.bytes(32).withName("reserved"));

    /** The same message as Windows and OpenVMM declare it: what a host sends. */
    public static final GroupLayout HOST_LAYOUT = IcLayout.message("heartbeat_message",
            IcLayout.U64.withName("seq_num"),
            IcLayout.U32.withName("application_state"),
            IcLayout.U32.withName("reserved"));

    /** {@code seq_num}: the host's sequence number; the guest answers it plus one. */
    public static final int SEQUENCE = IcLayout.offset(LAYOUT, "seq_num");
    /** The least body Linux accepts: the sequence number alone ("the host may not fill the reserved area"). */
    public static final int MIN_BODY = IcLayout.end(LAYOUT, "seq_num") - IcMessage.HEADER_LENGTH;

    /** The body a host sends (Windows' struct). */
    public static final int HOST_BODY = IcLayout.bodySize(HOST_LAYOUT);

    private HeartbeatMessage() {
    }
}
