package dev.vmbus.bench;

import dev.vmbus.host.nic.HostNic;
import dev.vmbus.os.Posix;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code vmbus bench net}: TCP throughput (iperf3, both ways) and ping round trips between two network namespaces
 * ({@link NetLab}) through four links in the same run, one after the other: a veth pair (the kernel's limit),
 * {@code tapfwd} (two TAPs and a C forwarder doing one read and one write per frame, the plainest userspace path),
 * {@code jvmfwd} (the same in a JVM with the agent's options, through the NIC's own TAP code: {@link JvmTapForwarder})
 * and the synthetic NIC ({@code vmbus host} with {@code host.nic.backend = tap} in one namespace, {@code vmbus run}
 * with {@code devices.netvsc.backend = tap} in the other, over {@code shm}). Prints each link's figures, the
 * NIC's ratios to the other three, and jvmfwd's to tapfwd. Needs root, ip, ping, iperf3 (and gcc to build tapfwd from its source).
 */
@Command(name = "net", mixinStandardHelpOptions = true,
        header = "TCP throughput and ping through the synthetic NIC, beside a veth pair and TAP forwarders.",
        description = "Between two network namespaces: iperf3 TCP throughput both ways and ping round trips (p50, "
                + "p99) through a veth pair, through tapfwd (a C forwarder between two TAPs), through jvmfwd (the "
                + "same forwarder in a JVM with the agent's options and the NIC's TAP code) and through the "
                + "synthetic NIC (vmbus host and vmbus run over shm, each with a TAP), in one run; the pings are timed "
                + "last, after iperf3 and 200 uncounted ones, so every link's code is warm "
                + "(docs/benchmarks/net.md). Needs root.")
public final class NetBenchCommand implements Callable<Integer> {
    static final List<String> LINKS = List.of("veth", "tapfwd", "jvmfwd", "vmbus");
    /** What the NIC is compared with, and what {@code jvmfwd} is (the JVM's own share of the NIC's cost). */
    private static final List<List<String>> RATIOS = List.of(List.of("vmbus", "tapfwd"), List.of("vmbus", "jvmfwd"),
            List.of("vmbus", "veth"), List.of("jvmfwd", "tapfwd"));
    /** Echo requests sent after iperf3 and before the timed ones, not counted. */
    static final int WARM_PINGS = 200;

    @Spec
    CommandSpec spec;

    @Option(names = "--seconds", paramLabel = "N", description = "Seconds of each iperf3 run (default: ${DEFAULT-VALUE}).")
    int seconds = 10;

    @Option(names = "--pings", paramLabel = "N", description = "Echo requests per link (default: ${DEFAULT-VALUE}).")
    int pings = 1000;

    @Option(names = "--interval", paramLabel = "S", description = "Seconds between echo requests, at least 0.0002 (default: ${DEFAULT-VALUE}).")
    double interval = 0.01;

    @Option(names = "--links", paramLabel = "veth,tapfwd,jvmfwd,vmbus", split = ",",
            description = "The links to measure, in this order (default: all four).")
    List<String> links = LINKS;

    @Option(names = "--tapfwd", paramLabel = "FILE",
            description = "The forwarder: a binary, or its C source compiled with gcc (default: target/tapfwd, else "
                    + "src/test/c/tapfwd.c).")
    Path tapfwd;

    @Option(names = "--queues", paramLabel = "N", description = "The synthetic NIC's queues (default: ${DEFAULT-VALUE}).")
    int queues = 1;

    @Option(names = "--jvm-options", paramLabel = "FILE",
            description = "The JVM options of vmbus host, vmbus run and jvmfwd (default: conf/jvm.options, as the "
                    + "agent runs).")
    Path jvmOptions;

    @Option(names = "--host-jvm-options", paramLabel = "FILE",
            description = "The simulated host's JVM options, when they should differ from the agent's (default: "
                    + "those of --jvm-options). On a real guest the host is Hyper-V, not a JVM: a host with full "
                    + "compilation (no C1-only lines) shows more nearly what the agent alone adds.")
    Path hostJvmOptions;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON to FILE.")
    Path json;

    @Override
    public Integer call() throws Exception {
        if (seconds < 1 || seconds > 600) {
            throw new ParameterException(spec.commandLine(), "--seconds must be 1..600, got " + seconds);
        }
        if (pings < 1 || pings > 100_000) {
            throw new ParameterException(spec.commandLine(), "--pings must be 1..100000, got " + pings);
        }
        if (!(interval >= 0.0002 && interval <= 10)) {
            throw new ParameterException(spec.commandLine(), "--interval must be 0.0002..10 seconds, got "
                    + java.math.BigDecimal.valueOf(interval).toPlainString());
        }
        if (queues < 1 || queues > 64) {
            throw new ParameterException(spec.commandLine(), "--queues must be 1..64, got " + queues);
        }
        for (String l : links) {
            if (!LINKS.contains(l)) {
                throw new ParameterException(spec.commandLine(), "--links takes veth, tapfwd, jvmfwd and vmbus, not '" + l + "'");
            }
        }
        List<String> options = options("--jvm-options", jvmOptions != null ? jvmOptions : JvmOptions.DEFAULT);
        List<String> hostOptions = hostJvmOptions != null ? options("--host-jvm-options", hostJvmOptions) : options;
        if (Posix.geteuid() != 0) {
            spec.commandLine().getErr().println("vmbus bench net needs root: it creates network namespaces, a veth "
                    + "pair and TAP interfaces");
            return 1;
        }
        Path forwarder = links.contains("tapfwd") ? forwarder() : null;
        Path work = Files.createTempDirectory("vmbus-bench-net");
        List<JsonObject> results = new ArrayList<>();
        try (NetLab lab = NetLab.create("bench", work)) {
            for (String kind : links) {
                System.out.println("== " + kind);
                try (NetLab.Link link = switch (kind) {
                    case "veth" -> lab.veth();
                    case "tapfwd" -> lab.tapfwd(forwarder);
                    case "jvmfwd" -> lab.jvmfwd(options, 60_000);
                    default -> lab.vmbus(ChildJvm.program(spec), hostOptions, options,
                            NetLab.vmbusConfig(work.resolve("shm"), queues), 60_000);
                }) {
                    results.add(measure(lab, link));
                }
                if (kind.equals("vmbus")) {
                    hostPauses(work.resolve("host.log"), results.getLast());
                }
            }
        }
        print(results);
        if (json != null) {
            BenchCommand.writeJson(json, new JsonObject().put("results", new JsonArray(new ArrayList<>(results)))
                    .put("seconds", seconds).put("pings", pings).put("interval", interval).put("queues", queues)
                    .put("jvmOptions", new JsonArray(new ArrayList<>(options)))
                    .put("hostJvmOptions", new JsonArray(new ArrayList<>(hostOptions))));
        }
        return 0;
    }

    /** The options in {@code file}, read before anything is created; a file that cannot be read is a usage error. */
    private List<String> options(String option, Path file) {
        try {
            return new ArrayList<>(JvmOptions.read(file));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), option + ": " + e.getMessage());
        }
    }

    private Path forwarder() throws Exception {
        Path given = tapfwd;
        if (given == null) {
            given = Files.isRegularFile(Path.of("target/tapfwd")) ? Path.of("target/tapfwd") : Path.of("src/test/c/tapfwd.c");
        }
        if (!Files.isRegularFile(given)) {
            throw new ParameterException(spec.commandLine(), "--tapfwd " + given + ": no such file (give the binary "
                    + "or src/test/c/tapfwd.c)");
        }
        if (given.toString().endsWith(".c")) {
            return NetLab.buildTapfwd(given, Files.createTempDirectory("vmbus-tapfwd").resolve("tapfwd"));
        }
        return given;
    }

    /**
     * One link: 5 pings (is it up?), iperf3 both ways, then {@link #WARM_PINGS} uncounted pings 2 ms apart, then
     * the timed pings. The pings come last so that every link's code is warm when they are timed: a JVM's path is
     * compiled by then (the agent's C1-only options interpret it for the first thousands of frames), as a
     * forwarder's and the kernel's always are.
     */
    private JsonObject measure(NetLab lab, NetLab.Link link) throws Exception {
        NetLab.Ping up = lab.ping(link, 5, 0.05);
        if (up.received() == 0) {
            throw new IllegalStateException(link.kind() + ": no echo reply at all through the link");
        }
        NetLab.Iperf ab = lab.iperf(link, seconds, false);
        NetLab.Iperf ba = lab.iperf(link, seconds, true);
        NetLab.Ping warm = lab.ping(link, WARM_PINGS, 0.002);
        NetLab.Ping ping = lab.ping(link, pings, interval);
        JsonObject r = new JsonObject().put("link", link.kind()).put("warmPingP50Us", warm.percentile(50))
                .put("abGbps", ab.bitsPerSecond() / 1e9).put("abRetransmits", ab.retransmits())
                .put("baGbps", ba.bitsPerSecond() / 1e9).put("baRetransmits", ba.retransmits())
                .put("pingSent", ping.sent()).put("pingReceived", ping.received())
                .put("pingP50Us", ping.percentile(50)).put("pingP99Us", ping.percentile(99));
        System.out.println("   " + r.encode());
        return r;
    }

    /**
     * The host NIC's backend pauses over the whole run (which limit tripped, how long it stayed paused), from the
     * line {@code vmbus host} logs as it closes the NIC, into {@code result} as {@code hostPauses} and printed.
     */
    private static void hostPauses(Path hostLog, JsonObject result) throws IOException {
        String line = Files.readAllLines(hostLog).stream().filter(l -> l.contains(HostNic.PAUSES_LOGGED))
                .reduce((first, second) -> second).orElse(null);
        if (line == null) {
            System.out.println("   (the host logged no backend pauses line as it closed: see " + hostLog + ")");
            return;
        }
        JsonObject pauses = new JsonObject(line.substring(line.indexOf(HostNic.PAUSES_LOGGED)
                + HostNic.PAUSES_LOGGED.length()).strip());
        result.put("hostPauses", pauses);
        System.out.println("   host NIC backend pauses: " + pauses.encode());
    }

    private static void print(List<JsonObject> results) {
        System.out.printf("%-8s %12s %12s %10s %10s %8s%n", "link", "a->b Gbit/s", "b->a Gbit/s", "ping p50", "ping p99",
                "lost");
        for (JsonObject r : results) {
            System.out.printf(Locale.ROOT, "%-8s %12.3f %12.3f %8.0f us %8.0f us %8d%n", r.getString("link"),
                    r.getDouble("abGbps"), r.getDouble("baGbps"), r.getDouble("pingP50Us"), r.getDouble("pingP99Us"),
                    r.getInteger("pingSent") - r.getInteger("pingReceived"));
        }
        for (List<String> pair : RATIOS) {
            JsonObject link = find(results, pair.get(0));
            JsonObject base = find(results, pair.get(1));
            if (link != null && base != null) {
                double ratioAb = link.getDouble("abGbps") / base.getDouble("abGbps");
                double ratioBa = link.getDouble("baGbps") / base.getDouble("baGbps");
                double ratioPing = link.getDouble("pingP50Us") / base.getDouble("pingP50Us");
                link.put("vs_" + pair.get(1), new JsonObject().put("ab", ratioAb).put("ba", ratioBa)
                        .put("pingP50", ratioPing));
                System.out.printf(Locale.ROOT, "%-6s / %-6s throughput a->b %.2fx, b->a %.2fx; ping p50 %.2fx%n",
                        pair.get(0), pair.get(1), ratioAb, ratioBa, ratioPing);
            }
        }
    }

    private static JsonObject find(List<JsonObject> results, String link) {
        return results.stream().filter(r -> r.getString("link").equals(link)).findFirst().orElse(null);
    }
}
