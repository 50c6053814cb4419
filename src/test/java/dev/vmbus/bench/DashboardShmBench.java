package dev.vmbus.bench;

import dev.vmbus.agent.Agent;
import dev.vmbus.cli.Vmbus;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.host.HeartbeatHostDevice;
import dev.vmbus.host.HostDevice;
import dev.vmbus.host.SimulatedHost;
import dev.vmbus.transport.OnContext;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.awaitility.core.ConditionTimeoutException;

import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;

/**
 * Issue 22's own measurement of the dashboard at scale (docs/benchmarks/dashboard.md): the simulated host in this
 * JVM serving {@code shm} with {@code --channels} channels (the six ICs and extra heartbeat channels), the agent
 * with its dashboard in a child JVM started as {@code vmbus run} with conf/jvm.options, a live-stream client open
 * as the page keeps one, and {@code /api/channels} requested every 100 ms. The host times every heartbeat round
 * trip ({@link HeartbeatHostDevice#roundTripHandler}). One phase per {@code --forms} entry, each with the same
 * agent: {@code full} is the stream and list as before issue 22's compact forms, {@code compact} what the page
 * now asks for ({@code ?form=compact} on both). A test-scope main; run it under the build lock.
 *
 * <p>Arguments: {@code --channels 256 --seconds 30 --forms full,compact --heartbeat-ms 2000 --update-ms 1000}.
 */
public final class DashboardShmBench {
    private static final long START_TIMEOUT_MS = 120_000;

    public static void main(String[] argv) throws Exception {
        int channels = 256;
        long seconds = 30;
        long heartbeatMs = 2000;
        long updateMs = 1000;
        List<String> forms = List.of("full", "compact");
        for (int i = 0; i + 1 < argv.length; i += 2) {
            switch (argv[i]) {
                case "--channels" -> channels = Integer.parseInt(argv[i + 1]);
                case "--seconds" -> seconds = Long.parseLong(argv[i + 1]);
                case "--heartbeat-ms" -> heartbeatMs = Long.parseLong(argv[i + 1]);
                case "--update-ms" -> updateMs = Long.parseLong(argv[i + 1]);
                case "--forms" -> forms = List.of(argv[i + 1].split(","));
                default -> throw new IllegalArgumentException("unknown argument " + argv[i]);
            }
        }
        Path work = Files.createTempDirectory("vmbus-dash-shm");
        Files.createDirectories(work.resolve("kvp"));
        Files.createDirectories(work.resolve("fcopy"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        JsonObject conf = new JsonObject()
                .put("transport", new JsonObject().put("type", "shm").put("shmDir", work.resolve("shm").toString()))
                .put("devices", new JsonObject()
                        .put("heartbeat", new JsonObject().put("enabled", true))
                        .put("timesync", new JsonObject().put("enabled", true))
                        .put("shutdown", new JsonObject().put("enabled", true).put("dryRun", true))
                        .put("vss", new JsonObject().put("enabled", true).put("dryRun", true).put("mounts", new JsonArray()))
                        .put("kvp", new JsonObject().put("enabled", true).put("poolDir", work.resolve("kvp").toString()))
                        .put("fcopy", new JsonObject().put("enabled", true)
                                .put("allowedRoots", new JsonArray().add(work.resolve("fcopy").toString()))))
                .put("host", new JsonObject().put("heartbeatIntervalMs", heartbeatMs).put("timesyncIntervalMs", 5000)
                        .put("extraHeartbeats", channels - 6))
                .put("dashboard", new JsonObject().put("enabled", true).put("host", "127.0.0.1").put("port", port)
                        .put("updateIntervalMs", updateMs));
        Path confFile = work.resolve("vmbus.json");
        Files.writeString(confFile, conf.encodePrettily());

        DashboardScaleBench.Samples rtt = new DashboardScaleBench.Samples();
        AtomicLong measuring = new AtomicLong(); // 1 while a phase runs: round trips outside phases are not kept
        // the host: the same configuration without a dashboard of its own (the agent's has the port)
        JsonObject hostConf = conf.copy();
        hostConf.getJsonObject("dashboard").put("enabled", false);
        Agent host = Agent.hostBuilder(ConfigLoader.parse(hostConf.encode(), "host")).start();
        ChildJvm agent = null;
        try {
            SimulatedHost simulated = host.simulatedHost().orElseThrow();
            int heartbeats = 0;
            for (HostDevice d : simulated.devices()) {
                if (d instanceof HeartbeatHostDevice hb) {
                    heartbeats++;
                    hb.roundTripHandler(nanos -> {
                        if (measuring.get() == 1) {
                            rtt.add(nanos / 1000);
                        }
                    });
                }
            }
            List<String> options = new ArrayList<>(JvmOptions.read(JvmOptions.DEFAULT));
            agent = ChildJvm.start("agent", options, ChildJvm.Code.current().vmbus(Vmbus.class),
                    List.of("run", "--conf", confFile.toString()), work);
            String base = "http://127.0.0.1:" + port;
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            long t0 = System.nanoTime();
            awaitAllOpen(agent, http, base, channels);
            System.out.printf(Locale.ROOT, "%d channels open in %.1f s (agent pid %d, %d heartbeat channels timed)%n",
                    channels, (System.nanoTime() - t0) / 1e9, agent.pid(), heartbeats);
            Thread.sleep(3 * updateMs); // pacing: the rates need two points of history first

            for (String form : forms) {
                String query = form.equals("full") ? "" : "?form=" + form;
                AtomicLong streamBytes = new AtomicLong();
                AtomicLong frames = new AtomicLong();
                HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(URI.create(base + "/api/stream" + query))
                        .build(), HttpResponse.BodyHandlers.ofInputStream());
                Thread reader = Thread.ofVirtual().start(() -> {
                    byte[] buf = new byte[16384];
                    try (InputStream in = stream.body()) {
                        for (int n; (n = in.read(buf)) >= 0; ) {
                            streamBytes.addAndGet(n);
                            for (int i = 0; i < n; i++) {
                                frames.addAndGet(buf[i] == '\n' && i > 0 && buf[i - 1] == '\n' ? 1 : 0);
                            }
                        }
                    } catch (Exception e) {
                        // closed at the end of the phase
                    }
                });
                JsonObject before = heartbeatCounts(simulated);
                DashboardScaleBench.Samples api = new DashboardScaleBench.Samples();
                long bytes = 0;
                long requests = 0;
                long bad = 0;
                measuring.set(1);
                long phaseStart = System.nanoTime();
                long end = phaseStart + TimeUnit.SECONDS.toNanos(seconds);
                while (System.nanoTime() < end) {
                    agent.checkAlive();
                    long start = System.nanoTime();
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/channels" + query))
                            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                    api.add((System.nanoTime() - start) / 1000);
                    requests++;
                    bytes += r.body().length();
                    if (r.statusCode() != 200 || listed(r.body()) != channels) {
                        bad++;
                    }
                    Thread.sleep(100); // pacing: one /api/channels request every 100 ms
                }
                measuring.set(0);
                double phaseSeconds = (System.nanoTime() - phaseStart) / 1e9;
                JsonObject after = heartbeatCounts(simulated);
                stream.body().close();
                reader.join(5000);
                System.out.printf(Locale.ROOT, "form=%s channels=%d seconds=%d heartbeat-ms=%d update-ms=%d%n",
                        form, channels, seconds, heartbeatMs, updateMs);
                System.out.println("  /api/channels latency: " + api.summary(1000.0, "ms")
                        + String.format(Locale.ROOT, " bytes/response=%d incomplete=%d", requests == 0 ? 0 : bytes / requests, bad));
                System.out.println("  heartbeat round trip:  " + rtt.summary(1000.0, "ms"));
                System.out.printf(Locale.ROOT, "  heartbeats: answered=%d missed=%d; stream: %d frames, %.1f KB/s%n",
                        after.getLong("replies") - before.getLong("replies"), after.getLong("misses") - before.getLong("misses"),
                        frames.get(), streamBytes.get() / 1024.0 / phaseSeconds);
                rtt.clear();
            }
        } finally {
            if (agent != null) {
                agent.process.destroy();
                if (!agent.process.waitFor(15, TimeUnit.SECONDS)) {
                    agent.process.destroyForcibly();
                }
            }
            host.stop().await(15, TimeUnit.SECONDS);
            host.vertx().close().await(15, TimeUnit.SECONDS);
        }
    }

    /** Channels in a {@code /api/channels} body of either form. */
    private static int listed(String body) {
        return body.startsWith("[") ? new JsonArray(body).size() : new JsonObject(body).getJsonArray("channels").size();
    }

    private static void awaitAllOpen(ChildJvm agent, HttpClient http, String base, int channels) throws Exception {
        try {
            await("all " + channels + " channels open").atMost(START_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                    .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(500)).until(() -> {
                        agent.checkAlive();
                        try {
                            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base
                                            + "/api/channels?form=compact")).timeout(Duration.ofSeconds(10)).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() != 200) {
                                return false;
                            }
                            JsonArray rows = new JsonObject(r.body()).getJsonArray("channels");
                            return rows.size() == channels
                                    && rows.stream().allMatch(row -> "open".equals(((JsonArray) row).getString(2)));
                        } catch (java.io.IOException e) {
                            return false; // not listening yet
                        }
                    });
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("not all " + channels + " channels open within " + START_TIMEOUT_MS
                    + " ms; agent output:\n" + agent.tail(), e);
        }
    }

    /** Sums of the host's heartbeat counters, read on the host's context. */
    private static JsonObject heartbeatCounts(SimulatedHost host) throws Exception {
        return OnContext.supply(host.context(), () -> {
            long replies = 0;
            long misses = 0;
            for (HostDevice d : host.devices()) {
                if (d instanceof HeartbeatHostDevice hb) {
                    replies += hb.replies();
                    misses += hb.misses();
                }
            }
            return new JsonObject().put("replies", replies).put("misses", misses);
        }).await(10, TimeUnit.SECONDS);
    }
}
