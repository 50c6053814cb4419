package dev.vmbus.bench;

import dev.vmbus.cli.Vmbus;
import dev.vmbus.os.Posix;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vmbus bench net}'s usage errors (before anything is created), how it reads ping's round trips, and (root)
 * a short run through the two forwarders as a user runs it.
 */
class NetBenchCommandTest {
    @TempDir
    Path tmp;

    /**
     * The C forwarder and the JVM one between the same namespaces, each carrying iperf3 both ways and every ping,
     * and jvmfwd's ratios to tapfwd in the JSON: the figures docs/benchmarks/net.md reads; the JSON also records
     * the agent's options and the simulated host's own.
     */
    @Test
    @Tag("slow") // namespaces, gcc, iperf3, a child JVM
    void throughBothForwardersEveryPingComesBackAndJvmfwdIsComparedWithTapfwd() throws Exception {
        Assumptions.assumeTrue(Posix.geteuid() == 0, "skipped: network namespaces and TAPs need root");
        Path json = tmp.resolve("net.json");
        Path hostOptions = Files.writeString(tmp.resolve("host.options"), "# the simulated host's own\n-Xmx48m\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        int code;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            code = Vmbus.execute(new String[] {"bench", "net", "--links", "tapfwd,jvmfwd", "--seconds", "1",
                            "--pings", "20", "--tapfwd", "src/test/c/tapfwd.c", "--host-jvm-options", hostOptions.toString(),
                            "--json", json.toString()},
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        } finally {
            System.setOut(stdout);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, printed + err.toString(StandardCharsets.UTF_8));
        assertTrue(printed.contains("jvmfwd / tapfwd throughput a->b "), printed);
        JsonObject run = new JsonObject(Files.readString(json));
        assertEquals(List.of("-Xmx48m"), run.getJsonArray("hostJvmOptions").getList(), run.encode());
        assertTrue(run.getJsonArray("jvmOptions").contains("-XX:+UseSerialGC"), "the agent's options: " + run.encode());
        List<JsonObject> results = run.getJsonArray("results").stream().map(JsonObject.class::cast).toList();
        assertEquals(List.of("tapfwd", "jvmfwd"), results.stream().map(r -> r.getString("link")).toList());
        for (JsonObject r : results) {
            assertEquals(20, r.getInteger("pingReceived"), r.encode());
            assertTrue(r.getDouble("abGbps") > 0 && r.getDouble("baGbps") > 0, r.encode());
        }
        JsonObject vs = results.get(1).getJsonObject("vs_tapfwd");
        assertEquals(results.get(1).getDouble("pingP50Us") / results.get(0).getDouble("pingP50Us"),
                vs.getDouble("pingP50"), 1e-9);
    }

    @Test
    void badOptionsAreUsageErrorsNamingTheOption() {
        assertUsage("--links takes veth, tapfwd, jvmfwd and vmbus, not 'wifi'", "--links", "veth,wifi");
        assertUsage("--seconds must be 1..600, got 0", "--seconds", "0");
        assertUsage("--pings must be 1..100000, got 0", "--pings", "0");
        assertUsage("--interval must be 0.0002..10 seconds, got 0.0001", "--interval", "0.0001");
        assertUsage("--queues must be 1..64, got 65", "--queues", "65");
        assertUsage("--host-jvm-options: cannot read the JVM options file target/no-such.options: no such file",
                "--host-jvm-options", "target/no-such.options");
    }

    @Test
    void percentilesAreNearestRankOverTheRepliesThatCameBack() {
        NetLab.Ping ping = new NetLab.Ping(5, 4, new double[] {90, 10, 40, 20}, List.of(3));
        assertEquals(20, ping.percentile(50));
        assertEquals(90, ping.percentile(99));
        assertEquals(10, ping.percentile(0));
        assertTrue(Double.isNaN(new NetLab.Ping(3, 0, new double[0], List.of(1, 2, 3)).percentile(50)));
    }

    @Test
    void pingsOutputNamesTheRequestsWhoseReplyNeverCame() throws Exception {
        NetLab.Ping ping = NetLab.Ping.parse("""
                PING fe80::b%vmbushost0(fe80::b%vmbushost0) 56 data bytes
                64 bytes from fe80::b%vmbushost0: icmp_seq=1 ttl=64 time=0.512 ms
                64 bytes from fe80::b%vmbushost0: icmp_seq=3 ttl=64 time=1.25 ms
                64 bytes from fe80::b%vmbushost0: icmp_seq=4 ttl=64 time=0.250 ms

                --- fe80::b%vmbushost0 ping statistics ---
                6 packets transmitted, 3 received, 50% packet loss, time 101ms
                rtt min/avg/max/mdev = 0.250/0.670/1.250/0.420 ms
                """);
        assertEquals(6, ping.sent());
        assertEquals(3, ping.received());
        assertEquals(List.of(2, 5, 6), ping.missing());
        assertEquals(512, ping.percentile(50), 1e-9);
        assertEquals(1250, ping.percentile(100), 1e-9);
    }

    @Test
    void pingsOutputWithoutASummaryIsAnError() {
        assertThrows(java.io.IOException.class, () -> NetLab.Ping.parse("ping: connect: Network is unreachable"));
    }

    private static void assertUsage(String message, String... args) {
        String[] full = new String[args.length + 2];
        full[0] = "bench";
        full[1] = "net";
        System.arraycopy(args, 0, full, 2, args.length);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Vmbus.execute(full, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, text);
        assertTrue(text.contains(message), text);
    }
}
