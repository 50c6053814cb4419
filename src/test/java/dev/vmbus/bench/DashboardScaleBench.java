package dev.vmbus.bench;

import dev.vmbus.config.VmbusConfig;
import dev.vmbus.dashboard.DashboardAgentConfig;
import dev.vmbus.dashboard.DashboardClient;
import dev.vmbus.testkit.TestAgent;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The dashboard at scale (docs/benchmarks/dashboard.md): the whole agent on the sim transport
 * with {@code host.extraHeartbeats} making {@code --channels} channels, a live-stream client open as the page
 * keeps one, and {@code /api/channels} requested every 100 ms. Measures the lag of every event loop (a 10 ms
 * periodic timer on each, lag = how late it fires), the {@code /api/channels} latency, and whether every
 * heartbeat the host sent was answered. A test-scope main: run it as docs/benchmarks/dashboard.md says, under the build lock.
 *
 * <p>Arguments: {@code --channels 256 --seconds 60 --heartbeat-ms 2000 --update-ms 1000}.
 */
public final class DashboardScaleBench {
    private static final long PROBE_MS = 10;

    /** Keeps every sample; synchronized because each event loop adds its own. */
    static final class Samples {
        private long[] values = new long[1024];
        private int size;

        synchronized void add(long v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        synchronized void clear() {
            size = 0;
        }

        synchronized String summary(double scale, String unit) {
            long[] s = Arrays.copyOf(values, size);
            Arrays.sort(s);
            return String.format(Locale.ROOT, "n=%d p50=%.2f p99=%.2f p99.9=%.2f max=%.2f %s", size,
                    at(s, 0.5) / scale, at(s, 0.99) / scale, at(s, 0.999) / scale, size == 0 ? 0 : s[size - 1] / scale, unit);
        }

        private static double at(long[] sorted, double q) {
            return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
        }
    }

    /** One per event loop: a periodic timer that records how late each tick is, in microseconds. */
    static final class LagProbe extends VerticleBase {
        private final Samples lag;
        private long last;

        LagProbe(Samples lag) {
            this.lag = lag;
        }

        @Override
        public Future<?> start() {
            last = System.nanoTime();
            vertx.setPeriodic(PROBE_MS, t -> {
                long now = System.nanoTime();
                lag.add(Math.max(0, (now - last) / 1000 - PROBE_MS * 1000));
                last = now;
            });
            return Future.succeededFuture();
        }
    }

    public static void main(String[] argv) throws Exception {
        int channels = 256;
        long seconds = 60;
        long heartbeatMs = 2000;
        long updateMs = 1000;
        for (int i = 0; i + 1 < argv.length; i += 2) {
            switch (argv[i]) {
                case "--channels" -> channels = Integer.parseInt(argv[i + 1]);
                case "--seconds" -> seconds = Long.parseLong(argv[i + 1]);
                case "--heartbeat-ms" -> heartbeatMs = Long.parseLong(argv[i + 1]);
                case "--update-ms" -> updateMs = Long.parseLong(argv[i + 1]);
                default -> throw new IllegalArgumentException("unknown argument " + argv[i]);
            }
        }
        Path dir = Files.createTempDirectory("vmbus-dash-bench");
        long t0 = System.nanoTime();
        DashboardAgentConfig setup = new DashboardAgentConfig(dir, channels - 6, heartbeatMs, updateMs, VmbusConfig.Health.DEFAULTS);
        try (TestAgent agent = setup.start(); DashboardClient h = DashboardClient.open(agent, setup.channelCount())) {
            System.out.printf(Locale.ROOT, "%d channels open in %.1f s%n", channels, (System.nanoTime() - t0) / 1e9);
            Samples lag = new Samples();
            int loops = 2 * Runtime.getRuntime().availableProcessors(); // Vert.x's default event-loop pool size
            agent.vertx().deployVerticle(() -> new LagProbe(lag), new DeploymentOptions().setInstances(loops)).await(10, TimeUnit.SECONDS);

            // the page: one live-stream client reading every snapshot
            HttpClient page = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            AtomicLong snapshots = new AtomicLong();
            HttpResponse<Stream<String>> stream = page.send(HttpRequest.newBuilder(URI.create(h.base() + "/api/stream")).build(),
                    HttpResponse.BodyHandlers.ofLines());
            Thread reader = Thread.ofVirtual().start(() -> stream.body().forEach(l -> {
                if (l.equals("event: snapshot")) {
                    snapshots.incrementAndGet();
                }
            }));

            JsonArray before = hostHeartbeats(h);
            Samples api = new Samples();
            long incomplete = 0;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < end) {
                long start = System.nanoTime();
                HttpResponse<String> r = h.get("/api/channels");
                api.add((System.nanoTime() - start) / 1000);
                JsonArray list = new JsonArray(r.body());
                if (r.statusCode() != 200 || list.size() != channels
                        || !list.stream().allMatch(o -> ((JsonObject) o).containsKey("stats"))) {
                    incomplete++;
                }
                Thread.sleep(100); // pacing: the load is one /api/channels request every 100 ms
            }
            JsonArray after = hostHeartbeats(h);
            long sent = sum(after, "sequence") - sum(before, "sequence");
            long replies = sum(after, "replies") - sum(before, "replies");
            long misses = sum(after, "misses") - sum(before, "misses");
            stream.body().close();
            reader.interrupt();

            System.out.printf(Locale.ROOT, "channels=%d seconds=%d heartbeat-ms=%d update-ms=%d event-loops=%d%n",
                    channels, seconds, heartbeatMs, updateMs, loops);
            System.out.println("event-loop lag:        " + lag.summary(1000.0, "ms"));
            System.out.println("/api/channels latency: " + api.summary(1000.0, "ms") + " incomplete=" + incomplete);
            System.out.printf(Locale.ROOT, "heartbeats: sent=%d answered=%d missed=%d (over %d channels)%n",
                    sent, replies, misses, after.size());
            System.out.println("stream snapshots read: " + snapshots.get());
        }
    }

    private static JsonArray hostHeartbeats(DashboardClient h) throws Exception {
        JsonArray out = new JsonArray();
        new JsonObject(h.get("/api/host").body()).getJsonArray("devices").forEach(o -> {
            if ("heartbeat".equals(((JsonObject) o).getString("device"))) {
                out.add(o);
            }
        });
        return out;
    }

    private static long sum(JsonArray devices, String key) {
        return devices.stream().mapToLong(o -> ((JsonObject) o).getLong(key, 0L)).sum();
    }
}
