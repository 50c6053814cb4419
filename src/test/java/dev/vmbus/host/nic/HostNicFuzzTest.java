package dev.vmbus.host.nic;

import dev.vmbus.channel.ChannelClosedException;
import dev.vmbus.channel.Packet;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.PerPacketInfo;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.ring.GpaRanges;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import dev.vmbus.transport.ChannelBuffer;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.vmbus.host.nic.NicGuest.TIMEOUT_S;
import static dev.vmbus.host.nic.NicGuest.config;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A guest at random against the simulated host's NIC, which is there for guests built elsewhere to be tested
 * against, buggy ones included. After a correct bring-up the test, playing the guest ({@link NicGuest}), sends one
 * to four messages a guest sends (in-band NVSP, RNDIS in a send section, RNDIS control GPA-direct, completions of
 * transfer-page packets) with random bytes changed, random section indexes and sizes, guest-memory ranges and
 * transaction ids. The host either ends the NIC's channel through its own check (its fault names the queue and the
 * mistake, and no Java exception: an exception the host did not throw itself would be a check it lacks) or goes on
 * serving it; either way the echo channel beside it still answers. Every case comes from a fixed seed.
 */
class HostNicFuzzTest {
    /** A longer hunt: {@code -Dtest.argLine="--enable-native-access=ALL-UNNAMED -Dfuzz.cases=1500"}. */
    private static final int CASES = Integer.getInteger("fuzz.cases", 100);
    private static final List<String> UNEXPECTED = List.of("java.lang.", "java.nio.", "java.util.", "jdk.internal.");

    @Test
    void aGuestAtRandomIsRefusedWithTheHostsOwnReasonOrServedAndNothingElseIsHarmed() throws Exception {
        int spoilt = 0;
        int faulted = 0;
        for (int seed = 0; seed < CASES; seed++) {
            Random r = new Random(seed);
            boolean hostile = r.nextBoolean();
            boolean fault = runCase(seed, r, hostile);
            if (hostile) {
                spoilt++;
                faulted += fault ? 1 : 0;
            } else {
                assertFalse(fault, "seed " + seed + ": what a guest may send faulted the host's NIC");
            }
        }
        // a garbage maker that rarely trips the host would test nothing
        assertTrue(faulted > spoilt / 2, faulted + " of " + spoilt + " spoilt cases faulted");
    }

    /** One case; true if the host ended the NIC's channel. */
    private static boolean runCase(int seed, Random r, boolean hostile) throws Exception {
        List<String> sent = new ArrayList<>();
        try (NicGuest g = NicGuest.open(config())) {
            g.initialise();
            g.rndisUp(Rndis.FILTER_DIRECTED);
            long before = g.onHost(() -> g.nic.queues.get(0).driver.stats().packetsIn());
            int steps = 1 + r.nextInt(4);
            try {
                for (int i = 0; i < steps; i++) {
                    sent.add(hostile ? garbage(g, r) : otherValues(g, r, i));
                }
            } catch (ChannelClosedException rescinded) {
                // the host ended the channel on an earlier message: its fault is checked below
            }
            String what = "seed " + seed + " after " + sent + ": ";
            // until the host has taken every one of them off the ring, or ended the channel on one
            String fault = await(what + "the host to take the packets").atMost(TIMEOUT_S, TimeUnit.SECONDS)
                    .pollInterval(1, TimeUnit.MILLISECONDS).until(() -> g.onHost(() -> {
                        HostNicQueue q = g.nic.queues.get(0);
                        if (g.nic.fault() != null) {
                            return g.nic.fault();
                        }
                        if (!q.driver.open()) {
                            return "the channel's driver ended without the host's fault: " + q.driver.reason();
                        }
                        return q.driver.stats().packetsIn() >= before + steps ? "" : null;
                    }), Objects::nonNull);
            for (String u : UNEXPECTED) {
                if (fault.contains(u)) {
                    fail(what + "an exception the host did not throw itself: " + fault);
                }
            }
            assertTrue(fault.isEmpty() || fault.startsWith("queue 0 (relid " + NicGuest.NIC_RELID + "): "),
                    what + fault);
            if (!fault.isEmpty()) {
                assertEquals(HostNic.Phase.FAULTED, g.onHost(() -> g.nic.phase()), what);
                assertNotNull(g.guestEnded.future().await(TIMEOUT_S, TimeUnit.SECONDS), what + "rescinded");
            }
            g.send(g.echo, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, 99, PacketType.DATA_INBAND, 0, null);
            Packet echoed = await(what + "the echo channel's answer").atMost(TIMEOUT_S, TimeUnit.SECONDS)
                    .until(g.echoed::poll, Objects::nonNull);
            assertEquals(99, echoed.transactionId(), what);
            return !fault.isEmpty();
        }
    }

    /**
     * Sends one message a guest may send with values of its own choosing: a frame of any bytes in a send section
     * (with checksum or LSO info: an LSO frame is dropped and counted), a query of any OID GPA-direct (an unknown
     * one is answered NOT_SUPPORTED), a keep-alive in a section.
     */
    private static String otherValues(NicGuest g, Random r, int step) throws Exception {
        long tid = 2000 + r.nextInt(1000);
        // a section and a place in guest memory of its own: a guest writes one again only once the host completed
        // it (reusing them at once, seeds 4099, 4110 and 4191 of a longer run made the host read the next message
        // in the last one's place: the guest's mistake, rightly refused)
        int index = step;
        switch (r.nextInt(3)) {
            case 0 -> {
                byte[] frame = NicGuest.frame(r.nextInt(1000));
                r.nextBytes(frame);
                byte[] m = new RndisMessage.Packet(frame, ppis(r)).encode();
                g.guestLink.buffer(ChannelBuffer.Kind.SEND).orElseThrow().write((long) index * 6144, m);
                g.send(g.guest, new NvspMessage.RndisPacket(Nvsp.CHANNEL_DATA, index, m.length).encode(), tid,
                        PacketType.DATA_INBAND, PacketLayout.FLAG_COMPLETION_REQUESTED, null);
                return "frame of other bytes in section " + index;
            }
            case 1 -> {
                g.control(new RndisMessage.Query(9, r.nextInt(), new byte[r.nextInt(3) * 4]), 100 + 256 * step);
                return "QUERY of another OID";
            }
            default -> {
                byte[] m = new RndisMessage.KeepAlive(r.nextInt()).encode();
                g.guestLink.buffer(ChannelBuffer.Kind.SEND).orElseThrow().write((long) index * 6144, m);
                g.send(g.guest, new NvspMessage.RndisPacket(Nvsp.CHANNEL_CONTROL, index, m.length).encode(), tid,
                        PacketType.DATA_INBAND, PacketLayout.FLAG_COMPLETION_REQUESTED, null);
                return "KEEPALIVE in section " + index;
            }
        }
    }

    /** Sends one spoilt message a guest sends; returns what it was, for a failure's message. */
    private static String garbage(NicGuest g, Random r) throws Exception {
        int flags = r.nextInt(4) == 0 ? 0 : PacketLayout.FLAG_COMPLETION_REQUESTED;
        long tid = 1000 + r.nextInt(1000);
        switch (r.nextInt(4)) {
            case 0 -> {
                byte[] m = switch (r.nextInt(6)) {
                    case 0 -> new NvspMessage.RndisPacket(r.nextInt(2), section(r), r.nextInt(7000)).encode();
                    case 1 -> new NvspMessage.SendReceiveBuffer(r.nextInt(), Nvsp.RECEIVE_BUFFER_ID).encode();
                    case 2 -> new NvspMessage.SendSendBuffer(r.nextInt(), 0).encode();
                    case 3 -> new NvspMessage.NdisConfig(1514, r.nextLong()).encode();
                    case 4 -> new NvspMessage.SubchannelRequest(0, r.nextInt(8)).encode();
                    default -> new NvspMessage.Init(Nvsp.VERSION_61, Nvsp.VERSION_61).encode();
                };
                spoil(m, 0, m.length, r);
                g.send(g.guest, m, tid, PacketType.DATA_INBAND, flags, null);
                return "in-band NVSP type " + (m[0] & 0xFF);
            }
            case 1 -> {
                boolean control = r.nextInt(3) == 0;
                byte[] m = control ? new RndisMessage.Query(7, r.nextBoolean() ? Rndis.OID_GEN_MAXIMUM_FRAME_SIZE
                        : r.nextInt(), new byte[r.nextInt(3) * 4]).encode()
                        : new RndisMessage.Packet(NicGuest.frame(r.nextInt(1000)), ppis(r)).encode();
                int index = r.nextInt(10);
                g.guestLink.buffer(ChannelBuffer.Kind.SEND).orElseThrow().write((long) index * 6144, m);
                spoilSection(g, index, m.length, r);
                int size = r.nextInt(4) == 0 ? r.nextInt(7000) : m.length;
                g.send(g.guest, new NvspMessage.RndisPacket(control ? Nvsp.CHANNEL_CONTROL : Nvsp.CHANNEL_DATA,
                        r.nextInt(8) == 0 ? section(r) : index, size).encode(), tid, PacketType.DATA_INBAND, flags, null);
                return (control ? "QUERY" : "PACKET_MSG") + " in section " + index + ", " + size + " bytes named";
            }
            case 2 -> {
                byte[] m = new RndisMessage.Query(8, r.nextBoolean() ? Rndis.OID_GEN_LINK_SPEED : r.nextInt(),
                        new byte[0]).encode();
                spoil(m, 0, m.length, r);
                MemorySegment.copy(m, 0, g.pages.memory(), ValueLayout.JAVA_BYTE, 100, m.length);
                int offset = r.nextInt(4096);
                GpaRanges ranges = r.nextInt(3) == 0 // a page of its own choosing, likely none of the guest's
                        ? new GpaRanges().add(1 + r.nextInt(4096 - offset), offset, new long[] {r.nextLong() >>> 12}, 0)
                        : new GpaRanges().add(m.length, 100, g.pages.pfns(100, m.length), 0);
                g.send(g.guest, new NvspMessage.RndisPacket(Nvsp.CHANNEL_CONTROL, Nvsp.NO_SECTION, 0).encode(), tid,
                        PacketType.DATA_USING_GPA_DIRECT, PacketLayout.FLAG_COMPLETION_REQUESTED, ranges); // as the ring takes it
                return "QUERY GPA-direct";
            }
            default -> {
                long id = r.nextBoolean() ? r.nextInt(72) : r.nextLong();
                byte[] m = new NvspMessage.RndisPacketComplete(Nvsp.STATUS_SUCCESS).encode();
                spoil(m, 0, m.length, r);
                g.send(g.guest, m, id, PacketType.COMP, 0, null);
                return "completion of tid " + id;
            }
        }
    }

    private static int section(Random r) {
        return switch (r.nextInt(3)) {
            case 0 -> Nvsp.NO_SECTION;
            case 1 -> r.nextInt(12);
            default -> r.nextInt();
        };
    }

    private static List<PerPacketInfo> ppis(Random r) {
        List<PerPacketInfo> ppi = new ArrayList<>();
        if (r.nextBoolean()) {
            ppi.add(PerPacketInfo.u32(PerPacketInfo.TYPE_CHECKSUM, PerPacketInfo.TX_CSUM_TCP));
        }
        if (r.nextInt(4) == 0) {
            ppi.add(PerPacketInfo.u32(PerPacketInfo.TYPE_LSO, 1460));
        }
        return ppi;
    }

    /** 1 to 4 random bytes of the first {@code length} of send section {@code index} set to random values. */
    private static void spoilSection(NicGuest g, int index, int length, Random r) {
        ChannelBuffer send = g.guestLink.buffer(ChannelBuffer.Kind.SEND).orElseThrow();
        byte[] b = send.read((long) index * 6144, length);
        spoil(b, 0, Math.min(length, 64), r);
        send.write((long) index * 6144, b);
    }

    private static void spoil(byte[] m, int from, int to, Random r) {
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            m[from + r.nextInt(to - from)] = (byte) r.nextInt(256);
        }
    }
}
