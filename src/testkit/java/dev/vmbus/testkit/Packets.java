package dev.vmbus.testkit;

import dev.vmbus.channel.Packet;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcStatus;
import dev.vmbus.ic.IcNegotiation;
import dev.vmbus.ic.IcVersion;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Builds what a host sends and what a guest should answer: raw payloads, integration-component messages
 * (pipe header + {@code icmsg_hdr}), version negotiation, and the reply Linux's hv_utils would give.
 *
 * <p>Threads: stateless; every method returns a new array.
 */
public final class Packets {
    /** The framework versions OpenVMM's host offers, in its order. */
    public static final List<IcVersion> HOST_FRAMEWORK_VERSIONS = List.of(IcVersion.of(1, 0), IcVersion.of(3, 0));

    private Packets() {
    }

    /** UTF-8 bytes of {@code text}. */
    public static byte[] text(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** A received packet's payload as UTF-8 text, without the zero padding the ring adds to 8 bytes. */
    public static String text(Packet packet) {
        byte[] p = packet.payload();
        int end = p.length;
        while (end > 0 && p[end - 1] == 0) {
            end--;
        }
        return new String(p, 0, end, StandardCharsets.UTF_8);
    }

    /** Pads a payload to a multiple of 8 bytes, as a guest receives it ({@code recvlen}). */
    public static byte[] padded(byte[] payload) {
        return Arrays.copyOf(payload, (payload.length + 7) & ~7);
    }

    /**
     * A host request of {@code msgType} with a zeroed body of {@code bodyLength} bytes: pipe header
     * {DATA, 20 + body}, host request flags, {@code icmsg_hdr} with the given versions.
     */
    public static IcMessage ic(int msgType, IcVersion framework, IcVersion service, int bodyLength) {
        return IcMessage.request(msgType, framework, service, bodyLength, 0);
    }

    /** A negotiation request offering {@link #HOST_FRAMEWORK_VERSIONS} and {@code serviceVersions}, as OpenVMM sends. */
    public static byte[] negotiation(List<IcVersion> serviceVersions) {
        return negotiation(HOST_FRAMEWORK_VERSIONS, serviceVersions);
    }

    public static byte[] negotiation(List<IcVersion> frameworkVersions, List<IcVersion> serviceVersions) {
        return IcNegotiation.request(frameworkVersions, serviceVersions).bytes();
    }

    /** What Linux answers {@code request} with: the same bytes, flags 0x05 and {@code status}. */
    public static byte[] icReply(byte[] request, IcStatus status) {
        IcMessage m = new IcMessage(request.clone());
        m.flags(IcConstants.FLAGS_GUEST_RESPONSE);
        m.status(status);
        return m.bytes();
    }

    /** {@link #icReply(byte[], IcStatus)} with the status as the u32 on the wire. */
    public static byte[] icReply(byte[] request, int status) {
        return icReply(request, IcStatus.of(status));
    }

    /** What Linux answers with when it leaves the status as received: the same bytes, flags 0x05. */
    public static byte[] icEcho(byte[] request) {
        IcMessage m = new IcMessage(request.clone());
        m.flags(IcConstants.FLAGS_GUEST_RESPONSE);
        return m.bytes();
    }
}
