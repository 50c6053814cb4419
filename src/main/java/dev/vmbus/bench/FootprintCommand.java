package dev.vmbus.bench;

import dev.vmbus.config.TransportType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code vmbus bench footprint}: starts the agent as a child JVM exactly as scripts/run.sh does (the java of
 * this JVM, the options of conf/jvm.options, the AOT cache when there is one, {@code -jar vmbus.jar run}) and,
 * in the same run, a bare Vert.x 5 process ({@link BareVertx}) started the same way; measures the exec to every
 * channel open and {@code /health} answering, drives normal traffic at both (the host's heartbeats and time
 * samples, a dashboard viewer on the live stream, a scraper of {@code /metrics} and {@code /api/channels} every
 * second; the baseline gets {@code /health} every second), then reads resident memory, its high-water mark and
 * the threads from /proc, and the CPU time both use over an idle window. Runs on the calling thread.
 */
@Command(name = "footprint", mixinStandardHelpOptions = true,
        header = "The agent's memory, threads, idle CPU and start-up next to a bare Vert.x process.",
        description = "Start the agent as a child JVM exactly as scripts/run.sh and the systemd unit start it (the "
                + "options of conf/jvm.options, the AOT cache when there is one), and a bare Vert.x 5 process started "
                + "the same way; drive normal traffic; print VmRSS, VmHWM, threads, idle CPU and start-up time of both "
                + "(docs/benchmarks/footprint.md).")
public final class FootprintCommand implements Callable<Integer> {
    private static final long START_TIMEOUT_MS = 60_000;

    @Spec
    CommandSpec spec;

    @Option(names = "--seconds", paramLabel = "N", description = "Seconds of traffic (default: ${DEFAULT-VALUE}).")
    String seconds = "60";

    @Option(names = "--idle-seconds", paramLabel = "N", description = "Seconds of the idle window whose CPU is measured (default: ${DEFAULT-VALUE}).")
    String idleSeconds = "20";

    @Option(names = "--transport", paramLabel = "sim|shm", description = "sim (host in-process) or shm (host in its own process; default: ${DEFAULT-VALUE}).")
    String transport = "sim";

    @Option(names = "--jvm-options", paramLabel = "FILE", description = "The JVM options file (default: conf/jvm.options).")
    Path jvmOptions;

    @Option(names = "--aot-cache", paramLabel = "FILE|none", description = "The AOT cache (default: vmbus.aot next to the jar, when it exists).")
    String aotCache;

    @Option(names = "--jar", paramLabel = "FILE", description = "Run the agent from this jar.")
    Path jar;

    @Option(names = "--class-path", paramLabel = "CP", description = "Run the agent from this class path.")
    String classPath;

    @Option(names = "--conf", paramLabel = "FILE", description = "The agent's configuration (default: ${DEFAULT-VALUE}).")
    Path conf = Path.of("conf/vmbus.json");

    @Option(names = "--json", paramLabel = "FILE|-", description = "Also write the results as JSON to FILE (- for standard output).")
    String json;

    @Override
    public Integer call() throws Exception {
        double seconds = BenchCommand.number(spec, "--seconds", this.seconds);
        double idleSeconds = BenchCommand.number(spec, "--idle-seconds", this.idleSeconds);
        TransportType type = java.util.stream.Stream.of(TransportType.SIM, TransportType.SHM)
                .filter(t -> t.configName().equals(transport)).findFirst()
                .orElseThrow(() -> new ParameterException(spec.commandLine(),
                        "--transport must be sim or shm (uio needs a Hyper-V guest); got '" + transport + "'"));
        Path optionsFile = jvmOptions != null ? jvmOptions : JvmOptions.DEFAULT;
        List<String> options = new ArrayList<>(JvmOptions.read(optionsFile));
        if (jar != null && classPath != null) {
            throw new ParameterException(spec.commandLine(), "give --jar or --class-path, not both");
        }
        ChildJvm.Code code = jar != null ? ChildJvm.Code.jar(jar)
                : classPath != null ? new ChildJvm.Code(null, classPath) : ChildJvm.Code.current();
        Path aot = aotCache(aotCache, code);
        if (aot != null) {
            options.add("-XX:AOTCache=" + aot.toAbsolutePath());
        }
        Path confFile = conf.toAbsolutePath();
        if (!Files.isRegularFile(confFile)) {
            throw new IllegalArgumentException("--conf " + confFile + ": no such file");
        }
        JsonObject result = measure(type, seconds, idleSeconds, options, code, ChildJvm.program(spec), confFile);
        result.put("jvmOptionsFile", optionsFile.toString()).put("aotCache", aot != null ? aot.toString() : null);
        print(result);
        if (json != null) {
            if (json.equals("-")) {
                System.out.println(result.encodePrettily());
            } else {
                BenchCommand.writeJson(Path.of(json), result);
            }
        }
        return 0;
    }

    /**
     * --aot-cache FILE ({@code none}: without), else vmbus.aot next to the jar as scripts/run.sh uses it; none
     * when that file does not exist.
     */
    private static Path aotCache(String given, ChildJvm.Code code) {
        if (given != null) {
            return given.equals("none") ? null : Path.of(given);
        }
        if (code.jar() != null) {
            Path p = code.jar().resolveSibling("vmbus.aot");
            return Files.isRegularFile(p) ? p : null;
        }
        return null;
    }

    private static JsonObject measure(TransportType transport, double seconds, double idleSeconds, List<String> options,
                                      ChildJvm.Code code, Class<?> program, Path conf) throws Exception {
        Path work = Files.createTempDirectory("vmbus-footprint");
        List<ChildJvm> children = new ArrayList<>();
        try {
            List<String> agentArgs = new ArrayList<>(List.of("run", "--conf", conf.toString()));
            if (transport == TransportType.SHM) {
                Path shm = work.resolve("shm");
                ChildJvm host = ChildJvm.start("host", options, code.vmbus(program),
                        List.of("host", "--conf", conf.toString(), "--shm-dir", shm.toString()), work);
                children.add(host);
                host.awaitLog("simulated host serving shm", START_TIMEOUT_MS);
                agentArgs.addAll(List.of("--transport", transport.configName(), "--shm-dir", shm.toString()));
            } else {
                agentArgs.addAll(List.of("--transport", transport.configName()));
            }
            int agentPort = freePort();
            agentArgs.addAll(List.of("--dashboard-port", Integer.toString(agentPort)));
            ChildJvm agent = ChildJvm.start("agent", options, code.vmbus(program), agentArgs, work);
            children.add(agent);
            String agentUrl = "http://127.0.0.1:" + agentPort;
            long agentStart = awaitStarted(agent, agentUrl, true);

            int barePort = freePort();
            ChildJvm bare = ChildJvm.start("bare", options, code.main(BareVertx.class), List.of(Integer.toString(barePort)), work);
            children.add(bare);
            String bareUrl = "http://127.0.0.1:" + barePort;
            long bareStart = awaitStarted(bare, bareUrl, false);

            // Traffic: both processes at once, so a long run takes as long as asked, not twice as long.
            StreamViewer viewer = StreamViewer.open(agentUrl + "/api/stream");
            long end = System.nanoTime() + (long) (seconds * 1e9);
            long requests = 0;
            while (System.nanoTime() < end) {
                agent.checkAlive();
                bare.checkAlive();
                requests += ok(ChildJvm.get(agentUrl + "/metrics", 5000)) + ok(ChildJvm.get(agentUrl + "/api/channels", 5000))
                        + ok(ChildJvm.get(bareUrl + "/health", 5000));
                Thread.sleep(Math.max(0, Math.min(1000, (end - System.nanoTime()) / 1_000_000)));
            }
            long streamBytes = viewer.close();
            ProcStats.Memory agentMem = ProcStats.memory(agent.pid());
            ProcStats.Memory bareMem = ProcStats.memory(bare.pid());
            JsonArray agentThreads = ProcStats.threadNames(agent.pid());
            JsonArray bareThreads = ProcStats.threadNames(bare.pid());

            // Idle: nobody watches, only the host's own heartbeats and time samples still arrive.
            Thread.sleep(1000);
            long agentCpu0 = ProcStats.cpuMillis(agent.pid());
            long bareCpu0 = ProcStats.cpuMillis(bare.pid());
            long idle0 = System.nanoTime();
            Thread.sleep((long) (idleSeconds * 1000));
            double idleMs = (System.nanoTime() - idle0) / 1e6;
            long agentIdle = ProcStats.cpuMillis(agent.pid()) - agentCpu0;
            long bareIdle = ProcStats.cpuMillis(bare.pid()) - bareCpu0;
            agent.checkAlive();
            bare.checkAlive();

            JsonObject a = figures(agentStart, agentMem, agentThreads, agentIdle, idleMs);
            JsonObject b = figures(bareStart, bareMem, bareThreads, bareIdle, idleMs);
            return new JsonObject().put("transport", transport.configName()).put("dashboard", true).put("seconds", seconds)
                    .put("idleSeconds", idleSeconds).put("jvmOptions", new JsonArray(new ArrayList<>(options)))
                    .put("trafficRequests", requests).put("streamBytes", streamBytes)
                    .put("agent", a).put("bare", b)
                    .put("rssRatio", (double) agentMem.vmRssKb() / bareMem.vmRssKb());
        } catch (IllegalStateException e) {
            // What went wrong may show in another process's output (the shm host's, say).
            StringBuilder msg = new StringBuilder(e.getMessage());
            for (ChildJvm c : children) {
                if (!e.getMessage().contains(c.tail())) {
                    msg.append("\n--- output of ").append(c.name).append(":\n").append(c.tail());
                }
            }
            throw new IllegalStateException(msg.toString(), e);
        } finally {
            for (ChildJvm c : children.reversed()) {
                c.close();
            }
            deleteTree(work);
        }
    }

    private static JsonObject figures(long startupNanos, ProcStats.Memory m, JsonArray threads, long idleCpuMs,
                                      double idleMs) {
        return ProcStats.toJson(m).put("startupMillis", startupNanos / 1e6).put("threadNames", threads)
                .put("idleCpuMillis", idleCpuMs).put("idleCpuPercent", 100.0 * idleCpuMs / idleMs);
    }

    private static int ok(ChildJvm.Response r) {
        if (r.status() != 200) {
            throw new IllegalStateException("traffic request failed: " + r.status() + " " + r.body());
        }
        return 1;
    }

    /**
     * Nanoseconds from exec until /health answers 200 and (for the agent) every channel of an enabled device is
     * open. Polls every 10 ms.
     */
    private static long awaitStarted(ChildJvm child, String url, boolean channels) throws Exception {
        long deadline = child.startedNanos + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        boolean health = false;
        while (true) {
            child.checkAlive();
            health = health || ChildJvm.get(url + "/health", 1000).status() == 200;
            if (health && (!channels || allOpen(url))) {
                return System.nanoTime() - child.startedNanos;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(child.name + " did not start within " + START_TIMEOUT_MS + " ms; output:\n"
                        + child.tail());
            }
            Thread.sleep(10);
        }
    }

    private static boolean allOpen(String url) {
        ChildJvm.Response config = ChildJvm.get(url + "/api/config", 1000);
        ChildJvm.Response list = ChildJvm.get(url + "/api/channels", 1000);
        if (config.status() != 200 || list.status() != 200) {
            return false;
        }
        int devices = new JsonObject(config.body()).getJsonArray("devices").size();
        int open = 0;
        for (Object o : new JsonArray(list.body())) {
            JsonObject ch = (JsonObject) o;
            if (ch.getBoolean("handled", false)) {
                if (!"open".equals(ch.getString("state"))) {
                    return false;
                }
                open++;
            }
        }
        return open >= devices && devices > 0;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** A dashboard viewer: reads the live stream on its own thread until closed; counts what arrived. */
    private static final class StreamViewer {
        private final HttpURLConnection connection;
        private final Thread reader;
        private volatile long bytes;

        private StreamViewer(HttpURLConnection connection) throws IOException {
            this.connection = connection;
            InputStream in = connection.getInputStream();
            reader = Thread.ofPlatform().daemon().name("footprint-stream").start(() -> {
                byte[] buf = new byte[8192];
                try {
                    for (int n; (n = in.read(buf)) >= 0; ) {
                        bytes += n;
                    }
                } catch (IOException e) {
                    // closed by close()
                }
            });
        }

        static StreamViewer open(String url) throws IOException {
            HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
            c.setConnectTimeout(5000);
            return new StreamViewer(c);
        }

        long close() throws InterruptedException {
            connection.disconnect();
            reader.join(5000);
            return bytes;
        }
    }

    private static void print(JsonObject r) {
        JsonObject a = r.getJsonObject("agent");
        JsonObject b = r.getJsonObject("bare");
        System.out.printf("footprint on %s, dashboard on, after %.0f s of traffic; idle CPU over %.0f s%n",
                r.getString("transport"), r.getDouble("seconds"), r.getDouble("idleSeconds"));
        System.out.printf("%-26s %12s %14s %8s%n", "figure", "agent", "bare Vert.x", "ratio");
        row("start-up (ms)", a.getDouble("startupMillis"), b.getDouble("startupMillis"), "%.0f");
        row("VmRSS (MB)", a.getLong("vmRssKb") / 1024.0, b.getLong("vmRssKb") / 1024.0, "%.1f");
        row("  RssAnon (MB)", a.getLong("rssAnonKb") / 1024.0, b.getLong("rssAnonKb") / 1024.0, "%.1f");
        row("  RssFile (MB)", a.getLong("rssFileKb") / 1024.0, b.getLong("rssFileKb") / 1024.0, "%.1f");
        row("VmHWM (MB)", a.getLong("vmHwmKb") / 1024.0, b.getLong("vmHwmKb") / 1024.0, "%.1f");
        row("threads", a.getInteger("threads"), b.getInteger("threads"), "%.0f");
        row("idle CPU (%)", a.getDouble("idleCpuPercent"), b.getDouble("idleCpuPercent"), "%.3f");
        row("idle CPU (ms)", a.getLong("idleCpuMillis"), b.getLong("idleCpuMillis"), "%.0f");
        System.out.println("agent threads: " + String.join(", ", a.getJsonArray("threadNames").stream().map(String::valueOf).toList()));
    }

    private static void row(String name, double agent, double bare, String format) {
        System.out.printf("%-26s %12s %14s %8s%n", name, String.format(format, agent), String.format(format, bare),
                bare > 0 ? String.format("%.2f", agent / bare) : "-");
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
