package dev.vmbus.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Two network namespaces, {@code a} and {@code b}, and the links {@code vmbus bench net} and the NIC's end-to-end
 * test put between them, one at a time: a veth pair (the kernel's limit), {@code tapfwd} (two TAPs and the
 * plainest userspace forwarder, src/test/c/tapfwd.c), {@code jvmfwd} (the same job in a JVM, {@link
 * JvmTapForwarder}), and the synthetic NIC ({@code vmbus host} in {@code a} with
 * its TAP, {@code vmbus run} in {@code b} with its own, over {@code shm}). Every link's ends get the same IPv6
 * link-local addresses, {@link #ADDRESS_A} and {@link #ADDRESS_B} ({@code nodad}, no generated address), and
 * nothing else: never an IPv4 address. Measures through a link with {@code ping} and {@code iperf3}, each run
 * bounded in time. Needs root; the namespaces are deleted on {@link #close}.
 */
public final class NetLab implements AutoCloseable {
    public static final String ADDRESS_A = "fe80::a";
    public static final String ADDRESS_B = "fe80::b";
    /** The simulated host's TAP (in {@code a}) and the guest NIC's TAP (in {@code b}). */
    public static final String HOST_TAP = "vmbushost0";
    public static final String GUEST_TAP = "vmbus0";
    private static final int IPERF_PORT = 5201;
    private static final Pattern REPLY = Pattern.compile("icmp_seq=(\\d+) .*time=([0-9.]+) ms");
    private static final Pattern SUMMARY = Pattern.compile("(\\d+) packets transmitted, (\\d+) received");

    private final Netns a;
    private final Netns b;
    private final Path workDir;
    /** The processes of the last {@link #vmbus} link, host then guest, while it is open. */
    private List<ChildJvm> vmbusProcesses = List.of();

    private NetLab(Netns a, Netns b, Path workDir) {
        this.a = a;
        this.b = b;
        this.workDir = workDir;
    }

    /** Two new namespaces; logs and configuration files go to {@code workDir}. */
    public static NetLab create(String prefix, Path workDir) throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        Netns a = Netns.create(prefix + "a");
        try {
            return new NetLab(a, Netns.create(prefix + "b"), workDir);
        } catch (IOException | InterruptedException | RuntimeException e) {
            a.close();
            throw e;
        }
    }

    public Netns a() {
        return a;
    }

    public Netns b() {
        return b;
    }

    /** One link between the namespaces: its interface in {@code a} and in {@code b}; closing it removes it. */
    public record Link(String kind, String ifA, String ifB, AutoCloseable teardown) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            teardown.close();
        }
    }

    /** A veth pair, {@code vmbvetha} in {@code a} and {@code vmbvethb} in {@code b}, with the kernel's offloads. */
    public Link veth() throws IOException, InterruptedException {
        a.ip("link", "add", "vmbvetha", "type", "veth", "peer", "name", "vmbvethb", "netns", b.name());
        return raise(new Link("veth", "vmbvetha", "vmbvethb", () -> a.ip("link", "del", "vmbvetha")), () -> { });
    }

    /**
     * {@code tapfwd} (the binary {@code tapfwd}, see {@link #buildTapfwd}) forwarding between TAP {@code vmbfwda}
     * in {@code a} and {@code vmbfwdb} in {@code b}; its output goes to {@code tapfwd.log} in the work directory.
     */
    public Link tapfwd(Path tapfwd) throws IOException, InterruptedException {
        Path log = workDir.resolve("tapfwd.log");
        Process p = new ProcessBuilder(tapfwd.toString(), a.path().toString(), "vmbfwda", b.path().toString(),
                "vmbfwdb").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return raise(new Link("tapfwd", "vmbfwda", "vmbfwdb", () -> stop(p, "tapfwd")),
                () -> awaitLine(log, "tapfwd: forwarding", p, 10_000));
    }

    /**
     * {@code jvmfwd}: {@link JvmTapForwarder}, tapfwd's job done in a JVM with {@code jvmOptions} (the agent's, in the
     * bench) by the NIC's own TAP code on one event loop, between TAP {@code vmbjfwda} in {@code a} and {@code vmbjfwdb}
     * in {@code b}; its output goes to {@code jvmfwd.log} in the work directory.
     */
    public Link jvmfwd(List<String> jvmOptions, long startTimeoutMs) throws IOException, InterruptedException {
        ChildJvm fwd = ChildJvm.start("jvmfwd", jvmOptions, ChildJvm.Code.current().main(JvmTapForwarder.class),
                List.of(a.path().toString(), "vmbjfwda", b.path().toString(), "vmbjfwdb"), workDir);
        return raise(new Link("jvmfwd", "vmbjfwda", "vmbjfwdb", fwd), () -> fwd.awaitLog(JvmTapForwarder.READY, startTimeoutMs));
    }

    /** A step of bringing a link up. */
    private interface Step {
        void run() throws IOException, InterruptedException;
    }

    /**
     * Runs {@code ready} (what must happen before the link's interfaces can be configured), then gives both ends
     * their address and sets them up; on any failure the link is closed and the failure thrown.
     */
    private Link raise(Link link, Step ready) throws IOException, InterruptedException {
        try {
            ready.run();
            address(a, link.ifA(), ADDRESS_A);
            address(b, link.ifB(), ADDRESS_B);
            a.ip("link", "set", "dev", link.ifA(), "up");
            b.ip("link", "set", "dev", link.ifB(), "up");
            return link;
        } catch (IOException | InterruptedException | RuntimeException e) {
            closeQuietly(link);
            throw e;
        }
    }

    /**
     * The configuration of the synthetic NIC's two processes: {@code shm} in {@code shmDir}, the host offering one
     * NIC with {@code host.nic.backend = tap} ({@link #HOST_TAP}), the guest's {@code netvsc} device with
     * {@code devices.netvsc.backend = tap} ({@link #GUEST_TAP}), {@code queues} queues each, no dashboard.
     */
    public static JsonObject vmbusConfig(Path shmDir, int queues) {
        return new JsonObject()
                .put("transport", new JsonObject().put("type", "shm").put("shmDir", shmDir.toString()))
                .put("devices", new JsonObject().put(dev.vmbus.channel.DeviceClass.NETVSC.name(), new JsonObject().put("enabled", true)
                        .put("backend", "tap").put("tap", GUEST_TAP).put("queues", queues)))
                .put("host", new JsonObject().put("nic", new JsonObject().put("enabled", true)
                        .put("backend", "tap").put("tap", HOST_TAP).put("queues", queues)))
                .put("dashboard", new JsonObject().put("enabled", false));
    }

    /**
     * The synthetic NIC between the namespaces: {@code vmbus host} started in {@code a} and {@code vmbus run} in
     * {@code b} ({@code ip netns exec}), both with {@code config} ({@link #vmbusConfig}), the host with
     * {@code hostJvmOptions} and the agent with {@code jvmOptions}, their output in {@code host.log} and {@code run.log}; {@code program} is the {@code vmbus} program's main
     * class (run from the class path when this code does not run from a jar). Returns once both TAPs are up with
     * their addresses; closing the link stops the guest, then the host.
     */
    public Link vmbus(Class<?> program, List<String> hostJvmOptions, List<String> jvmOptions, JsonObject config,
                      long startTimeoutMs)
            throws IOException, InterruptedException {
        Path conf = workDir.resolve("vmbus-nic.json");
        Files.writeString(conf, config.encodePrettily());
        String shmDir = config.getJsonObject("transport").getString("shmDir");
        ChildJvm.Code code = ChildJvm.Code.current();
        List<ChildJvm> started = new ArrayList<>();
        Link link = new Link("vmbus", HOST_TAP, GUEST_TAP, () -> {
            vmbusProcesses = List.of();
            for (int i = started.size() - 1; i >= 0; i--) {
                started.get(i).close();
            }
        });
        try {
            ChildJvm host = ChildJvm.start("host", netnsExec(a), hostJvmOptions, code.vmbus(program),
                    List.of("host", "--conf", conf.toString(), "--shm-dir", shmDir), workDir);
            started.add(host);
            host.awaitLog("simulated host serving shm", startTimeoutMs);
            ChildJvm run = ChildJvm.start("run", netnsExec(b), jvmOptions, code.vmbus(program),
                    List.of("run", "--conf", conf.toString()), workDir);
            started.add(run);
            run.awaitLog("vmbus agent running", startTimeoutMs);
            addressedAndUp(HOST_TAP, GUEST_TAP, host, run, startTimeoutMs);
            vmbusProcesses = List.copyOf(started);
            return link;
        } catch (IOException | InterruptedException | RuntimeException e) {
            closeQuietly(link);
            throw e;
        }
    }

    /**
     * NIC {@code k} of the open {@link #vmbus} link when its configuration has {@code host.nic.count} above k: the
     * TAPs numbered on from the first NIC's ({@code vmbushost1} in {@code a}, {@code vmbus1} in {@code b} for k 1),
     * addressed as the first NIC's are (link-local, so the same two addresses on each link). Returns once both are
     * up; the link's processes are the first NIC's, so closing this one does nothing.
     */
    public Link vmbusNic(int k, long startTimeoutMs) throws IOException, InterruptedException {
        if (vmbusProcesses.size() != 2) {
            throw new IllegalStateException("no vmbus link is open");
        }
        ChildJvm host = vmbusProcesses.get(0);
        ChildJvm run = vmbusProcesses.get(1);
        String ifA = dev.vmbus.config.InterfaceNames.nth(HOST_TAP, k);
        String ifB = dev.vmbus.config.InterfaceNames.nth(GUEST_TAP, k);
        addressedAndUp(ifA, ifB, host, run, startTimeoutMs);
        return new Link("vmbus NIC " + k, ifA, ifB, () -> { });
    }

    /**
     * Waits for {@code ifA} (the host's, in {@code a}) and {@code ifB} (the guest's, in {@code b}), gives them
     * {@link #ADDRESS_A} and {@link #ADDRESS_B}, and waits until both are up with a carrier.
     */
    private void addressedAndUp(String ifA, String ifB, ChildJvm host, ChildJvm run, long timeoutMs)
            throws IOException, InterruptedException {
        awaitInterface(a, ifA, host, timeoutMs);
        awaitInterface(b, ifB, run, timeoutMs);
        address(a, ifA, ADDRESS_A);
        address(b, ifB, ADDRESS_B);
        awaitUp(a, ifA, host, timeoutMs);
        awaitUp(b, ifB, run, timeoutMs);
    }

    private static List<String> netnsExec(Netns ns) {
        return List.of("ip", "netns", "exec", ns.name());
    }

    /** {@code addrgenmode none} (no generated address, no DAD), then {@code address/64 nodad}. */
    private static void address(Netns ns, String dev, String address) throws IOException, InterruptedException {
        ns.ip("link", "set", "dev", dev, "addrgenmode", "none");
        ns.ip("addr", "add", address + "/64", "dev", dev, "nodad");
    }

    private static void awaitInterface(Netns ns, String dev, ChildJvm owner, long timeoutMs)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            try {
                ns.ip("link", "show", "dev", dev);
                return;
            } catch (IOException notYet) {
                owner.checkAlive();
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no interface " + dev + " in " + ns + " within " + timeoutMs
                            + " ms; " + owner.name + "'s output:\n" + owner.tail());
                }
                Thread.sleep(50);
            }
        }
    }

    private static void awaitUp(Netns ns, String dev, ChildJvm owner, long timeoutMs)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!isUp(ns, dev)) {
            owner.checkAlive();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(dev + " in " + ns + " not up within " + timeoutMs + " ms; "
                        + owner.name + "'s output:\n" + owner.tail());
            }
            Thread.sleep(50);
        }
    }

    /** Up with a carrier: the NIC's TAP is up from its open and has a carrier while the NIC's link is up. */
    private static boolean isUp(Netns ns, String dev) throws IOException, InterruptedException {
        JsonArray links = new JsonArray(ns.ip("-j", "link", "show", "dev", dev));
        JsonArray flags = links.getJsonObject(0).getJsonArray("flags", new JsonArray());
        return flags.contains("UP") && flags.contains("LOWER_UP");
    }

    /** The interface index of {@code dev} in {@code ns}, for a scoped link-local socket address. */
    public static int ifindex(Netns ns, String dev) throws IOException, InterruptedException {
        return new JsonArray(ns.ip("-j", "link", "show", "dev", dev)).getJsonObject(0).getInteger("ifindex");
    }

    /**
     * Round trips of {@code ping -6} from {@code a} to {@link #ADDRESS_B} over the link, and the sequence numbers
     * (1..sent) whose reply never came back.
     */
    public record Ping(int sent, int received, double[] rttMicros, List<Integer> missing) {
        /** The {@code p}-th percentile (0..100) of the round trips, in microseconds; NaN when none came back. */
        public double percentile(double p) {
            if (rttMicros.length == 0) {
                return Double.NaN;
            }
            double[] sorted = rttMicros.clone();
            Arrays.sort(sorted);
            int rank = (int) Math.ceil(p / 100 * sorted.length);
            return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
        }

        /** Reads iputils {@code ping -n}'s output: its summary line, and one line per reply. */
        static Ping parse(String out) throws IOException {
            Matcher summary = SUMMARY.matcher(out);
            if (!summary.find()) {
                throw new IOException("no summary in ping's output: " + out);
            }
            int sent = Integer.parseInt(summary.group(1));
            List<Double> rtts = new ArrayList<>();
            BitSet answered = new BitSet();
            Matcher m = REPLY.matcher(out);
            while (m.find()) {
                answered.set(Integer.parseInt(m.group(1)));
                rtts.add(Double.parseDouble(m.group(2)) * 1000);
            }
            List<Integer> missing = new ArrayList<>();
            for (int seq = answered.nextClearBit(1); seq <= sent; seq = answered.nextClearBit(seq + 1)) {
                missing.add(seq);
            }
            return new Ping(sent, Integer.parseInt(summary.group(2)),
                    rtts.stream().mapToDouble(Double::doubleValue).toArray(), List.copyOf(missing));
        }
    }

    /**
     * {@code count} echo requests from {@code a} to {@link #ADDRESS_B} over {@code link}, {@code intervalSeconds}
     * apart (at least 0.0002; below 0.002 ping needs root, as the namespaces do). A reply counts if it comes back
     * before ping's deadline ({@code -w}: the sending time and 10 s more): with a count and no deadline, iputils
     * waits only twice the slowest round trip so far after the last request, so one late reply at the end would
     * count as lost.
     */
    public Ping ping(Link link, int count, double intervalSeconds) throws IOException, InterruptedException {
        double interval = Math.max(intervalSeconds, 0.0002);
        int deadline = (int) Math.ceil(count * interval) + 10;
        String out;
        try {
            out = a.execAndWait(deadline + 5, "ping", "-6", "-n", "-c", Integer.toString(count), "-i",
                    String.format(java.util.Locale.ROOT, "%.4f", interval), "-w", Integer.toString(deadline),
                    ADDRESS_B + "%" + link.ifA());
        } catch (IOException e) {
            // ping exits 1 when replies are missing: the count says so; anything else is an error
            if (!e.getMessage().contains("exited 1:")) {
                throw e;
            }
            out = e.getMessage();
        }
        return Ping.parse(out);
    }

    /** One iperf3 TCP run: bits per second received, and the sender's retransmissions. */
    public record Iperf(double bitsPerSecond, long retransmits) {
    }

    /**
     * An iperf3 TCP run of {@code seconds} over {@code link}: the server in {@code b} on {@link #ADDRESS_B}, the
     * client in {@code a}; from {@code a} to {@code b}, or with {@code reverse} from {@code b} to {@code a}.
     */
    public Iperf iperf(Link link, int seconds, boolean reverse) throws IOException, InterruptedException {
        Path log = workDir.resolve("iperf3-server.log");
        Process server = b.exec("iperf3", "-s", "-1", "--forceflush", "-B", ADDRESS_B + "%" + link.ifB(), "-p",
                Integer.toString(IPERF_PORT)).redirectOutput(log.toFile()).start();
        try {
            awaitLine(log, "Server listening", server, 10_000);
            List<String> client = new ArrayList<>(List.of("iperf3", "-6", "-c", ADDRESS_B + "%" + link.ifA(), "-p",
                    Integer.toString(IPERF_PORT), "-t", Integer.toString(seconds), "-J"));
            if (reverse) {
                client.add("-R");
            }
            String out = a.execAndWait(seconds + 30, client.toArray(String[]::new));
            JsonObject end = new JsonObject(out).getJsonObject("end");
            return new Iperf(end.getJsonObject("sum_received").getDouble("bits_per_second"),
                    end.getJsonObject("sum_sent").getLong("retransmits", 0L));
        } finally {
            stop(server, "iperf3 server");
        }
    }

    /**
     * The forwarder's binary: {@code source} ({@code tapfwd.c}) compiled with gcc into {@code binary}, unless
     * {@code binary} is already newer than it.
     */
    public static Path buildTapfwd(Path source, Path binary) throws IOException, InterruptedException {
        if (Files.isRegularFile(binary) && Files.getLastModifiedTime(binary).compareTo(Files.getLastModifiedTime(source)) > 0) {
            return binary;
        }
        if (binary.getParent() != null) {
            Files.createDirectories(binary.getParent());
        }
        Netns.run(60, "gcc", "-O2", "-Wall", "-Wextra", "-o", binary.toString(), source.toString());
        return binary;
    }

    private static void awaitLine(Path log, String text, Process p, long timeoutMs)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!Files.readString(log).contains(text)) {
            if (!p.isAlive()) {
                throw new IOException(p.info().command().orElse("process") + " exited " + p.exitValue() + ": "
                        + Files.readString(log).strip());
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("no '" + text + "' within " + timeoutMs + " ms: " + Files.readString(log).strip());
            }
            Thread.sleep(20);
        }
    }

    /** SIGTERM, then SIGKILL after 5 s. */
    private static void stop(Process p, String what) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                throw new IllegalStateException(what + " (pid " + p.pid() + ") did not end");
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception suppressed) {
            // the first failure is the one reported
        }
    }

    /** Deletes both namespaces (and whatever interfaces are left in them). */
    @Override
    public void close() throws IOException, InterruptedException {
        try {
            b.close();
        } finally {
            a.close();
        }
    }
}
