package dev.vmbus.ic;

import java.util.List;
import java.util.Optional;

/**
 * IC version negotiation (message type 0), spec ic-protocols.md section 2. Body at payload offset 28:
 * {@code u16 icframe_vercnt (N)}, {@code u16 icmsg_vercnt (M)}, {@code u32 reserved}, then N framework and
 * M service versions of {@code {u16 major, u16 minor}}.
 */
public final class IcNegotiation {
    public static final int FRAMEWORK_COUNT = IcMessage.HEADER_LENGTH;
    public static final int MESSAGE_COUNT = IcMessage.HEADER_LENGTH + 2;
    public static final int VERSIONS = IcMessage.HEADER_LENGTH + 8;
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
        if (!m.hasBody(4)) {
            return Optional.empty(); // too short to touch: Linux leaves everything as received
        }
        m.msgSize(REPLY_MSGSIZE);
        int n = m.u16(FRAMEWORK_COUNT);
        int k = m.u16(MESSAGE_COUNT);
        IcVersion framework = null;
        IcVersion message = null;
        boolean valid = n <= IcConstants.MAX_VERSION_COUNT && k <= IcConstants.MAX_VERSION_COUNT
                && VERSIONS + 4 * (n + k) <= m.length();
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
        if (m.hasBody(12)) {
            putVersion(m, VERSIONS, framework != null ? framework : new IcVersion(n, 0));
        }
        if (m.hasBody(16)) {
            putVersion(m, VERSIONS + 4, message != null ? message : new IcVersion(k, 0));
        }
        return ok ? Optional.of(new Negotiated(framework, message)) : Optional.empty();
    }

    private static IcVersion firstListed(IcMessage m, List<IcVersion> preferences, int from, int to) {
        for (IcVersion wanted : preferences) {
            for (int i = from; i < to; i++) {
                if (version(m, VERSIONS + 4 * i).equals(wanted)) {
                    return wanted;
                }
            }
        }
        return null;
    }

    static IcVersion version(IcMessage m, int offset) {
        return new IcVersion(m.u16(offset), m.u16(offset + 2));
    }

    static void putVersion(IcMessage m, int offset, IcVersion v) {
        m.putU16(offset, v.major());
        m.putU16(offset + 2, v.minor());
    }

    /**
     * The host's negotiation request as OpenVMM sends it: header versions zero, flags 0x03, transaction id 0,
     * the two lists in ascending order.
     */
    public static IcMessage request(List<IcVersion> framework, List<IcVersion> message) {
        int body = 8 + 4 * (framework.size() + message.size());
        IcMessage m = IcMessage.request(IcConstants.MSGTYPE_NEGOTIATE, IcVersion.of(0, 0), IcVersion.of(0, 0), body, 0);
        m.putU16(FRAMEWORK_COUNT, framework.size());
        m.putU16(MESSAGE_COUNT, message.size());
        int at = VERSIONS;
        for (IcVersion v : framework) {
            putVersion(m, at, v);
            at += 4;
        }
        for (IcVersion v : message) {
            putVersion(m, at, v);
            at += 4;
        }
        return m;
    }

    /** The host's reading of a reply (OpenVMM): counts must be 1/1; the two versions follow. */
    public static Optional<Negotiated> parseReply(IcMessage m) {
        if (!m.hasBody(16) || m.msgType() != IcConstants.MSGTYPE_NEGOTIATE) {
            return Optional.empty();
        }
        if (m.u16(FRAMEWORK_COUNT) != 1 || m.u16(MESSAGE_COUNT) != 1) {
            return Optional.empty();
        }
        return Optional.of(new Negotiated(version(m, VERSIONS), version(m, VERSIONS + 4)));
    }
}
