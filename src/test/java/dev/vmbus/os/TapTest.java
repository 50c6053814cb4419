package dev.vmbus.os;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A TAP opened through FFM inside a network namespace this test creates (and always deletes), given a MAC, an
 * MTU and an IPv6 link-local address: frames written to it reach the kernel's IPv6 stack and its answers come
 * back (a neighbour advertisement for our solicitation, an echo reply for our echo request). Needs root.
 */
public class TapTest {
    private static final byte[] TAP_MAC = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
    private static final byte[] PEER_MAC = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02};
    private static final int ICMPV6 = 58;

    private static void ip(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(command + " did not finish in 10 s");
        }
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.exitValue(), command + ": " + out);
    }

    @Test
    void framesFlowBothWaysThroughATapInANamespace() throws Exception {
        Assumptions.assumeTrue(Posix.geteuid() == 0, "skipped: creating a network namespace and a TAP needs root");
        String ns = "vmbus-tap-" + ProcessHandle.current().pid() + "-" + Long.toHexString(System.nanoTime() & 0xFFFFFF);
        ip("netns", "add", ns);
        try (Tap tap = Tap.openIn(Path.of("/var/run/netns", ns), "vmbtap0"); Arena arena = Arena.ofConfined()) {
            assertEquals("vmbtap0", tap.name());
            tap.mac(TAP_MAC);
            tap.mtu(1400);
            assertArrayEquals(TAP_MAC, tap.mac());
            assertEquals(1400, tap.mtu());
            assertFalse(tap.isUp());
            ip("-n", ns, "addr", "add", "fe80::1/64", "dev", "vmbtap0", "nodad");
            tap.up(true);
            assertTrue(tap.isUp());

            byte[] tapIp = InetAddress.getByName("fe80::1").getAddress();
            byte[] peerIp = InetAddress.getByName("fe80::2").getAddress();
            MemorySegment buffer = arena.allocate(2048);

            // Neighbour solicitation for fe80::1 with our link-layer address; the kernel answers with an NA.
            byte[] solicitation = new byte[32];
            solicitation[0] = (byte) 135;
            System.arraycopy(tapIp, 0, solicitation, 8, 16);
            solicitation[24] = 1;
            solicitation[25] = 1;
            System.arraycopy(PEER_MAC, 0, solicitation, 26, 6);
            byte[] nsFrame = frame(TAP_MAC, PEER_MAC, peerIp, tapIp, 255, solicitation);
            byte[] na = exchange(tap, arena, buffer, nsFrame, 136);
            assertArrayEquals(tapIp, Arrays.copyOfRange(na, 14 + 40 + 8, 14 + 40 + 24), "the NA names fe80::1");
            assertArrayEquals(PEER_MAC, Arrays.copyOfRange(na, 0, 6), "the NA is sent to the solicitor");

            // Echo request; the kernel replies with the same identifier, sequence and data.
            byte[] echo = {(byte) 128, 0, 0, 0, 0x12, 0x34, 0, 7, 'v', 'm', 'b', 'u', 's', '!', '!', '!'};
            byte[] request = frame(TAP_MAC, PEER_MAC, peerIp, tapIp, 64, echo);
            byte[] reply = exchange(tap, arena, buffer, request, 129);
            assertArrayEquals(Arrays.copyOfRange(echo, 4, echo.length),
                    Arrays.copyOfRange(reply, 14 + 40 + 4, 14 + 40 + echo.length));
            assertArrayEquals(peerIp, Arrays.copyOfRange(reply, 14 + 24, 14 + 40), "the reply goes to fe80::2");

            tap.up(false);
            assertFalse(tap.isUp());
            tap.close();
            assertThrows(IllegalStateException.class, () -> tap.read(buffer));
        } finally {
            ip("netns", "del", ns);
        }
    }

    /**
     * The carrier is the link a NIC driver reports: without one the interface stays up and keeps the addresses an
     * administrator gave it (taken down instead, Linux drops its IPv6 addresses, which is what the NIC's link used to
     * do to the TAP).
     */
    @Test
    void theCarrierGoesAndComesBackWithTheInterfaceUpAndItsAddressesKept() throws Exception {
        Assumptions.assumeTrue(Posix.geteuid() == 0, "skipped: creating a network namespace and a TAP needs root");
        try (dev.vmbus.bench.Netns ns = dev.vmbus.bench.Netns.create("tapcarrier");
             Tap tap = Tap.openIn(ns.path(), "vmbtap1")) {
            tap.up(true);
            ns.ip("addr", "add", "fe80::1/64", "dev", "vmbtap1", "nodad");
            assertTrue(tap.carrier(false), "Linux 4.20+ sets a TAP's carrier");
            io.vertx.core.json.JsonObject off = link(ns);
            assertTrue(off.getJsonArray("flags").contains("NO-CARRIER"), off.encode());
            assertTrue(off.getJsonArray("flags").contains("UP"), off.encode());
            assertTrue(ns.ip("addr", "show", "dev", "vmbtap1").contains("fe80::1/64"), "the address stays");
            assertTrue(tap.carrier(true));
            io.vertx.core.json.JsonObject on = link(ns);
            assertTrue(on.getJsonArray("flags").contains("LOWER_UP"), on.encode());
            assertTrue(ns.ip("addr", "show", "dev", "vmbtap1").contains("fe80::1/64"), "the address stays");
            tap.close();
            assertThrows(IllegalStateException.class, () -> tap.carrier(true));
        }
    }

    private static io.vertx.core.json.JsonObject link(dev.vmbus.bench.Netns ns) throws Exception {
        return new io.vertx.core.json.JsonArray(ns.ip("-j", "link", "show", "dev", "vmbtap1")).getJsonObject(0);
    }

    @Test
    void badNamesAreRefusedBeforeAnyCall() {
        assertThrows(IllegalArgumentException.class, () -> Tap.open("a/b"));
        assertThrows(IllegalArgumentException.class, () -> Tap.open("sixteen-chars-xx"));
    }

    /**
     * The name an administrator configured is taken as Linux takes interface names: 'vm@0' is one (it was refused
     * as outside [A-Za-z0-9_.-] after the configuration had accepted it). An interface of that name that is not a
     * TAP, the loopback or one end of a veth pair, is refused with the reason and left exactly as it was; a TAP
     * another process holds is refused as held.
     */
    @Test
    void anInterfaceInTheWayIsRefusedWithTheReasonAndLeftAsItWas() throws Exception {
        Assumptions.assumeTrue(Posix.geteuid() == 0, "skipped: creating a network namespace and a TAP needs root");
        try (dev.vmbus.bench.Netns ns = dev.vmbus.bench.Netns.create("tapinway")) {
            try (Tap odd = Tap.openIn(ns.path(), "vm@0")) {
                assertEquals("vm@0", odd.name());
                IOException held = assertThrows(IOException.class, () -> Tap.openIn(ns.path(), "vm@0"));
                assertTrue(held.getMessage().startsWith("TAP vm@0 is held open by another process"),
                        held.getMessage());
            }
            ns.ip("link", "add", "vmbveth0", "type", "veth", "peer", "name", "vmbveth1");
            for (String name : List.of("lo", "vmbveth0")) {
                String before = ns.ip("-d", "link", "show", "dev", name);
                IOException e = assertThrows(IOException.class, () -> Tap.openIn(ns.path(), name));
                assertTrue(e.getMessage().startsWith("interface " + name + " exists and is not a TAP"), e.getMessage());
                assertEquals(before, ns.ip("-d", "link", "show", "dev", name), name + " was changed");
            }
        }
    }

    @Test
    void aMissingNamespaceIsNamedInTheError() {
        Assumptions.assumeTrue(Posix.geteuid() == 0, "skipped: needs root");
        IOException e = assertThrows(IOException.class,
                () -> Tap.openIn(Path.of("/var/run/netns/vmbus-no-such-namespace"), "vmbtap9"));
        assertTrue(e.getMessage().contains("vmbus-no-such-namespace"), e.getMessage());
    }

    /**
     * Writes {@code frame} and reads until the kernel's ICMPv6 answer of {@code type}. The kernel finishes bringing
     * the link up from a workqueue, late on a loaded machine, and meanwhile answers nothing: the frame goes again
     * each second, as neighbour discovery itself retransmits, at most ten times.
     */
    private static byte[] exchange(Tap tap, Arena arena, MemorySegment buffer, byte[] frame, int type) throws IOException {
        List<String> seen = new ArrayList<>();
        for (int attempt = 0; attempt < 10; attempt++) {
            assertTrue(tap.write(segment(arena, frame), frame.length));
            byte[] answer = awaitIcmp(tap, buffer, type, seen);
            if (answer != null) {
                return answer;
            }
        }
        throw new AssertionError("no ICMPv6 type " + type + " from the kernel after 10 tries; saw " + seen);
    }

    /** Reads frames (at most 200, for at most 1 s) until an ICMPv6 message of {@code type}; that frame, or null. */
    private static byte[] awaitIcmp(Tap tap, MemorySegment buffer, int type, List<String> seen) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        for (int frames = 0; frames < 200 && System.nanoTime() < deadline; ) {
            if (!tap.awaitReadable(100)) {
                continue;
            }
            int n = tap.read(buffer);
            if (n == 0) {
                continue;
            }
            frames++;
            byte[] f = buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
            boolean icmp = n >= 14 + 40 + 4 && f[12] == (byte) 0x86 && f[13] == (byte) 0xdd && f[14 + 6] == ICMPV6;
            if (icmp && (f[14 + 40] & 0xFF) == type) {
                return f;
            }
            seen.add(icmp ? "icmpv6 " + (f[14 + 40] & 0xFF) : "ethertype " + (f[12] & 0xFF) + "/" + (f[13] & 0xFF));
        }
        return null;
    }

    private static MemorySegment segment(Arena arena, byte[] bytes) {
        MemorySegment s = arena.allocate(bytes.length);
        MemorySegment.copy(bytes, 0, s, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return s;
    }

    /** An Ethernet frame carrying an IPv6 packet with the ICMPv6 message, its checksum filled in. */
    public static byte[] frame(byte[] dstMac, byte[] srcMac, byte[] src, byte[] dst, int hopLimit, byte[] icmp) {
        byte[] f = new byte[14 + 40 + icmp.length];
        ByteBuffer b = ByteBuffer.wrap(f);
        b.put(dstMac).put(srcMac).putShort((short) 0x86dd);
        b.putInt(0x60000000).putShort((short) icmp.length).put((byte) ICMPV6).put((byte) hopLimit).put(src).put(dst);
        byte[] m = icmp.clone();
        m[2] = 0;
        m[3] = 0;
        int sum = checksum(src, dst, m);
        m[2] = (byte) (sum >> 8);
        m[3] = (byte) sum;
        b.put(m);
        return f;
    }

    /** The ICMPv6 checksum over the IPv6 pseudo-header and the message (RFC 8200 §8.1). */
    static int checksum(byte[] src, byte[] dst, byte[] icmp) {
        ByteBuffer p = ByteBuffer.allocate(40 + icmp.length + 1);
        p.put(src).put(dst).putInt(icmp.length).putInt(ICMPV6).put(icmp);
        byte[] a = p.array();
        long sum = 0;
        for (int i = 0; i + 1 < a.length; i += 2) {
            sum += ((a[i] & 0xFF) << 8) | (a[i + 1] & 0xFF);
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (int) (~sum & 0xFFFF);
    }
}
