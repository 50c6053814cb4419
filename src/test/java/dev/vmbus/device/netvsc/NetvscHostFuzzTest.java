package dev.vmbus.device.netvsc;

import dev.vmbus.bus.ChannelEvent;
import dev.vmbus.channel.ChannelClosedException;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.PerPacketInfo;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.TransferPageRanges;
import dev.vmbus.transport.HostTransport;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A hostile host at random, beside {@link NetvscHostileHostTest}'s named mistakes. After a correct bring-up the
 * scripted host sends one to four messages a real host sends (frames with per-packet info in transfer pages, status
 * indications, send tables, completions), then one well-formed frame. In half the cases the messages are spoilt
 * (random bytes anywhere in their headers, random transfer ranges, page sets and transaction ids): the guest either
 * faults the NIC's channel with a reason of its own (naming the NIC, and no Java exception in it: an exception the
 * NIC did not throw itself is a check it lacks, and a read outside a buffer is one), or goes on and delivers that
 * frame intact. In the other half only what a host may choose differs (a frame's bytes, a per-packet info's value,
 * a status code, a send table's entries): the guest must take them all and deliver the frame. Every case comes from
 * a fixed seed, so a failure names the seed that repeats it.
 */
class NetvscHostFuzzTest {
    private static final HostTransport.Buffers BUFFERS = new HostTransport.Buffers(32 * 4096, 16 * 4096);
    /** A longer hunt: {@code -Dtest.argLine="--enable-native-access=ALL-UNNAMED -Dfuzz.cases=1500"}. */
    private static final int CASES = Integer.getInteger("fuzz.cases", 150);
    /** What only an unexpected exception puts in a reason (the runtime names the exception's class). */
    static final List<String> UNEXPECTED = List.of("java.lang.", "java.nio.", "java.util.", "jdk.internal.",
            "NetCodecException:");

    @Test
    void garbageFromTheHostFaultsTheNicWithItsReasonAndValuesItMayChooseAreTaken() throws Exception {
        run(CASES, 1);
    }

    /** Seeds 0 to {@code cases - 1}, each a case on a NIC of {@code queues} queues ({@link #runCase}). */
    static void run(int cases, int queues) throws Exception {
        int hostile = 0;
        int faulted = 0;
        for (int seed = 0; seed < cases; seed++) {
            Random r = new Random(seed);
            boolean spoilt = r.nextBoolean();
            boolean fault = runCase(seed, r, spoilt, queues);
            if (spoilt) {
                hostile++;
                faulted += fault ? 1 : 0;
            } else {
                assertFalse(fault, "seed " + seed + ": values a host may choose faulted the NIC");
            }
        }
        // a garbage maker that rarely makes garbage would test nothing
        assertTrue(faulted > hostile / 2, faulted + " of " + hostile + " spoilt cases faulted");
    }

    /**
     * One case on a NIC of {@code queues} queues; true if it faulted the NIC. With more than one queue every message
     * and the probe go on one subchannel the seed picks, and a fault must end all the NIC's channels with one reason.
     */
    static boolean runCase(int seed, Random r, boolean spoilt, int queues) throws Exception {
        List<String> sent = new ArrayList<>();
        try (NicHost host = new NicHost(new JsonObject().put("queues", queues), BUFFERS)) {
            assertTrue(host.bringUp(new NetvspAnswers() { }), "seed " + seed + ": bring-up");
            host.awaitNic(n -> n.getString("phase").equals("up") && n.getJsonArray("queues").size() == queues,
                    queues + " queues up");
            int relid = queues == 1 ? NicHost.RELID : NicHost.RELID + 1 + r.nextInt(queues - 1);
            Queue<byte[]> rx = NetvscDataTest.listen(host);
            int steps = 1 + r.nextInt(4);
            byte[] probe = NetvscDataTest.frame(60 + r.nextInt(1400), seed);
            try {
                for (int i = 0; i < steps && host.ended() == null; i++) {
                    sent.add(spoilt ? garbage(host, relid, r) : otherValues(host, relid, r));
                }
                if (host.ended() == null) {
                    host.deliver(relid, List.of(new RndisMessage.Packet(probe, List.of()).encode()),
                            Nvsp.CHANNEL_DATA);
                }
            } catch (ChannelClosedException faultedMeanwhile) {
                // the guest ended the channel between the look and the send: the end is checked below
            }
            AtomicReference<ChannelEvent> end = new AtomicReference<>();
            await("seed " + seed + ": the probe frame or the channel's end").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(1))
                    .until(() -> {
                        end.set(host.ended());
                        return end.get() != null || rx.stream().anyMatch(f -> Arrays.equals(f, probe));
                    });
            if (end.get() == null) {
                return false;
            }
            String what = "seed " + seed + " after " + sent + ": ";
            assertEquals(ChannelState.FAULTED, end.get().state(), what + end.get());
            String reason = end.get().reason().text();
            assertTrue(reason.contains("netvsc vmbus0"), what + reason);
            for (String u : UNEXPECTED) {
                if (reason.contains(u)) {
                    fail(what + "an exception the NIC did not throw itself: " + reason);
                }
            }
            for (int sub = NicHost.RELID + 1; sub < NicHost.RELID + queues; sub++) {
                ChannelEvent subEnd = NetvscSubchannelHostileTest.awaitEnded(host, sub);
                assertEquals(ChannelState.FAULTED, subEnd.state(), what + subEnd);
                assertEquals(NetvscSubchannelHostileTest.own(reason), NetvscSubchannelHostileTest.own(
                        subEnd.reason().text()), what + "subchannel " + sub);
            }
            return true;
        }
    }

    /**
     * Sends one message a real host sends with other values where any value is the host's to choose: a frame's
     * bytes, a per-packet info's value, a status code, a send table's entries.
     */
    private static String otherValues(NicHost host, int relid, Random r) throws Exception {
        int kind = r.nextInt(3);
        if (kind == 0) {
            List<PerPacketInfo> ppi = somePpis(r);
            byte[] frame = NetvscDataTest.frame(14 + r.nextInt(1500), r.nextInt());
            byte[] m = new RndisMessage.Packet(frame, ppi).encode();
            if (!ppi.isEmpty() && r.nextBoolean()) {
                int value = Rndis.PACKET_HEADER_SIZE + 16 * r.nextInt(ppi.size()) + 12; // after the PPI's header
                spoil(m, value, value + 4, r);
            } else {
                spoil(m, m.length - frame.length, m.length, r);
            }
            host.deliver(relid, List.of(m), Nvsp.CHANNEL_DATA);
            return "PACKET_MSG with other values (" + ppi.size() + " PPIs)";
        }
        if (kind == 1) {
            byte[] m = new RndisMessage.IndicateStatus(Rndis.STATUS_NETWORK_CHANGE, new byte[r.nextInt(3) * 4]).encode();
            spoil(m, 8, 12, r); // the status code
            host.deliver(relid, List.of(m), Nvsp.CHANNEL_CONTROL);
            return "INDICATE_STATUS of another status";
        }
        byte[] m = new NvspMessage.IndirectionTable(indirection(r)).encode();
        spoil(m, m.length - 64, m.length, r); // the 16 entries
        host.send(relid, m, r.nextInt(100), PacketType.DATA_INBAND, 0, null);
        return "send table of other queues";
    }

    /** Sends one message a real host sends, spoilt anywhere; returns what it was, for a failure's message. */
    private static String garbage(NicHost host, int relid, Random r) throws Exception {
        int kind = r.nextInt(5);
        if (kind == 0) {
            List<PerPacketInfo> ppi = somePpis(r);
            byte[] frame = NetvscDataTest.frame(14 + r.nextInt(1500), r.nextInt());
            byte[] m = new RndisMessage.Packet(frame, ppi).encode();
            spoil(m, 0, m.length - frame.length, r);
            host.deliver(relid, List.of(m), r.nextInt(4) == 0 ? Nvsp.CHANNEL_CONTROL : Nvsp.CHANNEL_DATA);
            return "PACKET_MSG spoilt (" + ppi.size() + " PPIs)";
        }
        if (kind == 1) {
            byte[] buffer = new byte[r.nextInt(3) * 4];
            r.nextBytes(buffer);
            byte[] m = new RndisMessage.IndicateStatus(Rndis.STATUS_NETWORK_CHANGE, buffer).encode();
            spoil(m, 0, m.length, r);
            host.deliver(relid, List.of(m), Nvsp.CHANNEL_CONTROL);
            return "INDICATE_STATUS spoilt";
        }
        if (kind == 2) {
            byte[] m = new NvspMessage.IndirectionTable(indirection(r)).encode();
            spoil(m, 0, m.length - 64, r);
            host.send(relid, m, r.nextInt(100), PacketType.DATA_INBAND, 0, null);
            return "send table spoilt";
        }
        if (kind == 3) {
            TransferPageRanges ranges = new TransferPageRanges()
                    .reset(r.nextInt(8) == 0 ? r.nextInt(0x10000) : Nvsp.RECEIVE_BUFFER_ID, false);
            int count = 1 + r.nextInt(3);
            for (int i = 0; i < count; i++) {
                ranges.add(anyLength(r), anyOffset(r));
            }
            long tid = r.nextInt(4) == 0 ? r.nextLong() : r.nextInt(72);
            host.send(relid, new NvspMessage.RndisPacket(Nvsp.CHANNEL_DATA, Nvsp.NO_SECTION, 0).encode(), tid,
                    PacketType.DATA_USING_XFER_PAGES, 1, ranges);
            return "transfer pages, " + ranges.count() + " ranges, tid " + tid;
        }
        long tid = switch (r.nextInt(3)) {
            case 0 -> Nic.DATA | r.nextInt(16);
            case 1 -> r.nextInt(64);
            default -> r.nextLong();
        };
        byte[] m = new NvspMessage.RndisPacketComplete(r.nextBoolean() ? Nvsp.STATUS_SUCCESS : r.nextInt()).encode();
        spoil(m, 0, m.length, r);
        host.send(relid, m, tid, PacketType.COMP, 0, null);
        return "completion of tid " + tid;
    }

    private static List<PerPacketInfo> somePpis(Random r) {
        List<PerPacketInfo> ppi = new ArrayList<>();
        if (r.nextBoolean()) {
            ppi.add(PerPacketInfo.u32(PerPacketInfo.TYPE_CHECKSUM, PerPacketInfo.RX_CSUM_TCP_OK));
        }
        if (r.nextBoolean()) {
            ppi.add(PerPacketInfo.u32(PerPacketInfo.TYPE_VLAN, r.nextInt(4096)));
        }
        if (r.nextBoolean()) {
            ppi.add(PerPacketInfo.u32(PerPacketInfo.TYPE_HASH_VALUE, r.nextInt()));
        }
        return ppi;
    }

    /** Sets 1 to 4 random bytes of {@code m} in {@code [from, to)} to random values. */
    private static void spoil(byte[] m, int from, int to, Random r) {
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            m[from + r.nextInt(to - from)] = (byte) r.nextInt(256);
        }
    }

    private static int anyOffset(Random r) {
        return switch (r.nextInt(4)) {
            case 0 -> r.nextInt();
            case 1 -> (int) BUFFERS.receive() - r.nextInt(64);
            default -> NicHost.SLOT * r.nextInt(72);
        };
    }

    /** Never 0: the ring's writer refuses an empty range before it reaches the guest. */
    private static int anyLength(Random r) {
        return switch (r.nextInt(4)) {
            case 0 -> r.nextInt() | 1;
            case 1 -> 1 + r.nextInt(8);
            default -> 8 + r.nextInt(NicHost.SLOT);
        };
    }

    private static List<Integer> indirection(Random r) {
        List<Integer> t = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            t.add(r.nextInt(8) == 0 ? r.nextInt() : r.nextInt(4));
        }
        return t;
    }
}
