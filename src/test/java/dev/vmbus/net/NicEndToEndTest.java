package dev.vmbus.net;

import dev.vmbus.bench.NetLab;
import dev.vmbus.cli.Vmbus;
import dev.vmbus.os.Posix;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Real Linux traffic between two network namespaces this test creates (and deletes): ping over IPv6 link-local
 * with no loss, and a 100 MiB TCP transfer each way whose SHA-256 matches at the far end. First through the
 * plainest userspace path, {@code tapfwd} (src/test/c/tapfwd.c, two TAPs and a forwarder), which proves the
 * harness; then through the synthetic NIC: {@code vmbus host} (host.nic.backend tap) in one namespace and
 * {@code vmbus run} (devices.netvsc.backend tap) in the other, two processes over {@code shm}. Needs root, ping
 * and gcc.
 */
@Tag("slow") // child processes, namespaces, 200 MiB of traffic: run by mvn verify, not by mvn test
class NicEndToEndTest {
    static final long BYTES = 100L << 20;

    @TempDir
    Path tmp;

    @Test
    void throughTheTapForwarderPingAndTransfersBothWays() throws Exception {
        Assumptions.assumeTrue(Posix.geteuid() == 0, "skipped: network namespaces and TAPs need root");
        Path tapfwd = NetLab.buildTapfwd(Path.of("src/test/c/tapfwd.c"), Path.of("target/tapfwd"));
        try (NetLab lab = NetLab.create("fwd", tmp); NetLab.Link link = lab.tapfwd(tapfwd)) {
            traffic(lab, link);
        }
    }

    @Test
    void throughTheSyntheticNicOverShmPingAndTransfersBothWays() throws Exception {
        Assumptions.assumeTrue(Posix.geteuid() == 0, "skipped: network namespaces and TAPs need root");
        try (NetLab lab = NetLab.create("nic", tmp);
             NetLab.Link link = lab.vmbus(Vmbus.class, List.of("--enable-native-access=ALL-UNNAMED", HOST_MARK),
                     List.of("--enable-native-access=ALL-UNNAMED", GUEST_MARK),
                     NetLab.vmbusConfig(tmp.resolve("shm"), 1), 60_000)) {
            // each process got its own options (bench net --host-jvm-options): the host's mark on vmbus host only
            assertEquals(List.of("host"), commandsMarked(HOST_MARK));
            assertEquals(List.of("run"), commandsMarked(GUEST_MARK));
            traffic(lab, link);
            // a fresh namespace has no interface up: Netty's discovery of them once logged WARNINGs at each start
            assertEquals(List.of(), warnings(tmp.resolve("host.log")), "vmbus host's log");
            assertEquals(List.of(), warnings(tmp.resolve("run.log")), "vmbus run's log");
        }
    }

    /**
     * A VM with two network adapters ({@code host.nic.count} 2): the guest brings up {@code vmbus0} and
     * {@code vmbus1}, the host {@code vmbushost0} and {@code vmbushost1}, and each pair carries its own ping and
     * transfers, the same link-local addresses on both (a frame on the wrong NIC would reach no socket).
     */
    @Test
    void throughTwoSyntheticNicsOfOneGuestPingAndTransfersBothWaysOnEach() throws Exception {
        Assumptions.assumeTrue(Posix.geteuid() == 0, "skipped: network namespaces and TAPs need root");
        io.vertx.core.json.JsonObject config = NetLab.vmbusConfig(tmp.resolve("shm"), 1);
        config.getJsonObject("host").getJsonObject("nic").put("count", 2);
        try (NetLab lab = NetLab.create("nic2", tmp);
             NetLab.Link first = lab.vmbus(Vmbus.class, List.of("--enable-native-access=ALL-UNNAMED"),
                     List.of("--enable-native-access=ALL-UNNAMED"), config, 60_000);
             NetLab.Link second = lab.vmbusNic(1, 60_000)) {
            assertEquals(List.of("vmbushost1", "vmbus1"), List.of(second.ifA(), second.ifB()));
            traffic(lab, first);
            traffic(lab, second);
            assertEquals(List.of(), warnings(tmp.resolve("host.log")), "vmbus host's log");
            assertEquals(List.of(), warnings(tmp.resolve("run.log")), "vmbus run's log");
        }
    }

    private static List<String> warnings(Path log) throws java.io.IOException {
        return java.nio.file.Files.readAllLines(log).stream().filter(l -> l.contains(" WARNING ")).toList();
    }

    private static final String HOST_MARK = "-Dvmbus.nicEndToEnd=host";
    private static final String GUEST_MARK = "-Dvmbus.nicEndToEnd=guest";

    /** The vmbus command ({@code host}, {@code run}) of each of this JVM's child processes started with {@code mark}. */
    private static List<String> commandsMarked(String mark) {
        return ProcessHandle.current().descendants()
                .map(NicEndToEndTest::arguments)
                .filter(args -> args.contains(mark))
                .map(args -> args.stream().filter(a -> a.equals("host") || a.equals("run")).findFirst().orElse("?"))
                .toList();
    }

    /** A process's command line from /proc (empty once it has gone). */
    private static List<String> arguments(ProcessHandle p) {
        try {
            String cmdline = java.nio.file.Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline"));
            return List.of(cmdline.split("\0"));
        } catch (java.io.IOException gone) {
            return List.of();
        }
    }

    /** Ping without loss, then {@link #BYTES} each way with matching SHA-256. */
    static void traffic(NetLab lab, NetLab.Link link) throws Exception {
        NetLab.Ping ping = lab.ping(link, 50, 0.02);
        assertEquals(50, ping.sent());
        assertEquals(List.of(), ping.missing(), "the requests whose reply never came back over " + link.kind());
        assertEquals(50, ping.received(), "ping's count of replies over " + link.kind());
        Transfer.Result ab = Transfer.run(lab.a(), link.ifA(), lab.b(), link.ifB(), NetLab.ADDRESS_B, 7001, BYTES, 120);
        assertEquals(BYTES, ab.received(), "a -> b over " + link.kind());
        assertEquals(ab.sentSha256(), ab.receivedSha256(), "a -> b over " + link.kind());
        Transfer.Result ba = Transfer.run(lab.b(), link.ifB(), lab.a(), link.ifA(), NetLab.ADDRESS_A, 7002, BYTES, 120);
        assertEquals(BYTES, ba.received(), "b -> a over " + link.kind());
        assertEquals(ba.sentSha256(), ba.receivedSha256(), "b -> a over " + link.kind());
        System.out.printf("%s: ping p50 %.0f us; a->b %.2f Gbit/s, b->a %.2f Gbit/s (%d MiB each, SHA-256 equal)%n",
                link.kind(), ping.percentile(50), ab.gbitPerSecond(), ba.gbitPerSecond(), BYTES >> 20);
    }
}
