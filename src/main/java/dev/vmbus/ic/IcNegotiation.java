package dev.vmbus.ic;

import java.lang.foreign.GroupLayout;
import java.util.List;
import java.util.Optional;

/**
 * IC version negotiation (message type 0), spec ic-protocols.md section 2. Body at payload offset 28:
 *
 * <pre>
 *   28 icframe_vercnt u16 (N) | 30 icmsg_vercnt u16 (M) | 32 reserved u32 | 36 icversion_data[N + M]
 *   each version: +0 major u16 | +2 minor u16
 * </pre>
 *
 * The fixed part is declared once in {@link #LAYOUT}, a version in {@link #VERSION_LAYOUT}; the offsets are read
 * from them. Stateless.
 */
public final class IcNegotiation {
    /** {@code {u16 major, u16 minor}}, as {@code icversion_data[i]}. */
    public static final GroupLayout VERSION_LAYOUT = IcLayout.struct(
            IcLayout.U16.withName("major"), IcLayout.U16.withName("minor")).withName("ic_version");
    /** {@code icmsg_negotiate} up to its version list (whose length the counts give). */
    public static final GroupLayout LAYOUT = IcLayout.message("icmsg_negotiate",
            IcLayout.U16.withName("icframe_vercnt"),
            IcLayout.U16.withName("icmsg_vercnt"),
            IcLayout.U32.withName("reserved"));

    public static final int FRAMEWORK_COUNT = IcLayout.offset(LAYOUT, "icframe_vercnt");
    public static final int MESSAGE_COUNT = IcLayout.offset(LAYOUT, "icmsg_vercnt");
    public static final int VERSIONS = IcLayout.size(LAYOUT);
    /** End of the two counts: Linux touches nothing in a message shorter than this. */
    static final int COUNTS_END = IcLayout.end(LAYOUT, "icmsg_vercnt");
    /** Bytes per entry of the version list. */
    static final int VERSION_SIZE = IcLayout.size(VERSION_LAYOUT);
    private static final int MINOR = IcLayout.offset(VERSION_LAYOUT, "minor");
    /** The {@code icmsgsize} Linux writes into every negotiation reply. */
    public static final int REPLY_MSGSIZE = 16;

    /** The versions both sides settled on. */
    public record Negotiated(IcVersion framework, IcVersion message) {
    }

    private IcNegotiation() {
    }

    /**
     * What Linux's {@code vmbus_prep_negotiate_resp} does to a negotiation request, in place, before the
     * caller sets flags 0x05 and echoes the buffer: {@code icmsgsize = 16}; pick the first of the guest's
     * versions (preference order) that the host lists; write counts 1/1 and the two versions on success, or
     * counts 0/0 with Linux's stale placeholders on failure; leave {@code status} and every other byte alone.
     * Counts over 100, or lists longer than the message, are no match.
     *
     * @param guestFramework the guest's framework versions, most preferred first
     * @param guestMessage   the guest's service versions, most preferred first
     * @return the chosen pair, or empty on no match
     */
    public static Optional<Negotiated> answer(IcMessage m, List<IcVersion> guestFramework,
                                              List<IcVersion> guestMessage) {
        if (m.length() < COUNTS_END) {
            return Optional.empty(); // too short to touch: Linux leaves everything as received
        }
        m.msgSize(REPLY_MSGSIZE);
        int n = m.u16(FRAMEWORK_COUNT);
        int k = m.u16(MESSAGE_COUNT);
        IcVersion framework = null;
        IcVersion message = null;
        boolean valid = n <= IcConstants.MAX_VERSION_COUNT && k <= IcConstants.MAX_VERSION_COUNT
                && VERSIONS + VERSION_SIZE * (n + k) <= m.length();
        if (valid) {
            framework = firstListed(m, guestFramework, 0, n);
            if (framework != null) {
                message = firstListed(m, guestMessage, n, n + k);
            }
        }
        boolean ok = framework != null && message != null;
        m.putU16(FRAMEWORK_COUNT, ok ? 1 : 0);
        m.putU16(MESSAGE_COUNT, ok ? 1 : 0);
        // Linux writes both slots into its 4 KiB buffer but sends back only recvlen bytes, so a slot beyond a
        // short message is never seen by the host: write only what lies inside the message.
        if (m.length() >= VERSIONS + VERSION_SIZE) {
            putVersion(m, VERSIONS, framework != null ? framework : new IcVersion(n, 0));
        }
        if (m.length() >= VERSIONS + 2 * VERSION_SIZE) {
            putVersion(m, VERSIONS + VERSION_SIZE, message != null ? message : new IcVersion(k, 0));
        }
        return ok ? Optional.of(new Negotiated(framework, message)) : Optional.empty();
    }

    private static IcVersion firstListed(IcMessage m, List<IcVersion> preferences, int from, int to) {
        for (IcVersion wanted : preferences) {
            for (int i = from; i < to; i++) {
                if (version(m, VERSIONS + VERSION_SIZE * i).equals(wanted)) {
                    return wanted;
                }
            }
        }
        return null;
    }

    static IcVersion version(IcMessage m, int offset) {
        return new IcVersion(m.u16(offset), m.u16(offset + MINOR));
    }

    static void putVersion(IcMessage m, int offset, IcVersion v) {
        m.putU16(offset, v.major());
        m.putU16(offset + MINOR, v.minor());
    }

    /**
     * The host's negotiation request as OpenVMM sends it: header versions zero, flags 0x03, transaction id 0,
     * the two lists in ascending order.
     */
    public static IcMessage request(List<IcVersion> framework, List<IcVersion> message) {
        int body = VERSIONS - IcMessage.HEADER_LENGTH + VERSION_SIZE * (framework.size() + message.size());
        IcMessage m = IcMessage.request(IcConstants.MSGTYPE_NEGOTIATE, IcVersion.of(0, 0), IcVersion.of(0, 0), body, 0);
        m.putU16(FRAMEWORK_COUNT, framework.size());
        m.putU16(MESSAGE_COUNT, message.size());
        int at = VERSIONS;
        for (IcVersion v : framework) {
            putVersion(m, at, v);
            at += VERSION_SIZE;
        }
        for (IcVersion v : message) {
            putVersion(m, at, v);
            at += VERSION_SIZE;
        }
        return m;
    }

    /** The host's reading of a reply (OpenVMM): counts must be 1/1; the two versions follow. */
    public static Optional<Negotiated> parseReply(IcMessage m) {
        if (m.length() < VERSIONS + 2 * VERSION_SIZE || m.msgType() != IcConstants.MSGTYPE_NEGOTIATE) {
            return Optional.empty();
        }
        if (m.u16(FRAMEWORK_COUNT) != 1 || m.u16(MESSAGE_COUNT) != 1) {
            return Optional.empty();
        }
        return Optional.of(new Negotiated(version(m, VERSIONS), version(m, VERSIONS + VERSION_SIZE)));
    }
}
