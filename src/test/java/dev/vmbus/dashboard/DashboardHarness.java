package dev.vmbus.dashboard;

import dev.vmbus.config.VmbusConfig;
import dev.vmbus.agent.Agent;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.host.SimulatedHost;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.awaitility.core.ConditionTimeoutException;

import static org.awaitility.Awaitility.await;

/**
 * The whole agent in one JVM, started as {@code vmbus run} starts it ({@link Agent} on sim): the simulated host,
 * the ServiceLoader's handlers (KVP pools and file-copy root in a temp directory) and the dashboard on 127.0.0.1,
 * port 0 (deployed before the channels, so that its event log holds every channel's {@code offered} and
 * {@code opened} events). Used from the test's thread.
 */
public final class DashboardHarness implements AutoCloseable {
    static final long UPDATE_MS = 200;

    public final Vertx vertx = Vertx.vertx();
    final Path dir;
    final Path fcopyRoot;
    final Path poolDir;
    final Agent agent;
    final SimulatedHost host;
    final DashboardServer dashboard;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    final int channelCount;
    final long updateMs;

    DashboardHarness(Path dir) throws Exception {
        this(dir, 0, 100, UPDATE_MS, VmbusConfig.Health.DEFAULTS);
    }

    /**
     * @param extraHeartbeats heartbeat channels beyond the six ICs ({@code host.extraHeartbeats})
     * @param heartbeatMs     the simulated host's heartbeat interval
     */
    public DashboardHarness(Path dir, int extraHeartbeats, long heartbeatMs, long updateMs, VmbusConfig.Health health) throws Exception {
        this(dir, extraHeartbeats, heartbeatMs, updateMs, health, 0);
    }

    /**
     * @param nicQueues 0, or the queues of a synthetic NIC on both ends: the guest's {@code netvsc} (backend
     *                  {@code eventbus}, frames at {@code vmbus.netvsc.vmbus0.tx}/{@code .rx}) and the host's
     *                  (backend {@code loopback}), one channel per queue after the ICs' and extra heartbeats'
     */
    public DashboardHarness(Path dir, int extraHeartbeats, long heartbeatMs, long updateMs, VmbusConfig.Health health,
                            int nicQueues) throws Exception {
        this.dir = dir;
        this.channelCount = 6 + extraHeartbeats + nicQueues;
        this.updateMs = updateMs;
        this.poolDir = dir.resolve("kvp");
        this.fcopyRoot = Files.createDirectories(dir.resolve("fcopy"));
        JsonObject config = new JsonObject()
                .put("devices", new JsonObject()
                        .put("heartbeat", new JsonObject().put("enabled", true))
                        .put("timesync", new JsonObject().put("enabled", true).putNull("chronySocket").put("stepClock", false))
                        .put("shutdown", new JsonObject().put("enabled", true).put("dryRun", true))
                        .put("vss", new JsonObject().put("enabled", true).put("dryRun", true).put("mounts", new JsonArray()))
                        .put("kvp", new JsonObject().put("enabled", true).put("poolDir", poolDir.toString()))
                        .put("fcopy", new JsonObject().put("enabled", true)
                                .put("allowedRoots", new JsonArray().add(fcopyRoot.toString()))))
                .put("host", new JsonObject().put("heartbeatIntervalMs", heartbeatMs).put("timesyncIntervalMs", 500)
                        .put("extraHeartbeats", extraHeartbeats))
                .put("dashboard", new JsonObject().put("host", "127.0.0.1").put("port", 0).put("updateIntervalMs", updateMs)
                        .put("health", JsonObject.mapFrom(health)));
        if (nicQueues > 0) {
            config.getJsonObject("devices").put("netvsc", new JsonObject().put("enabled", true).put("backend", "eventbus")
                    .put("queues", nicQueues));
            config.getJsonObject("host").put("nic", new JsonObject().put("enabled", true).put("backend", "loopback")
                    .put("queues", nicQueues));
        }
        String json = config.encode();
        try {
            agent = Agent.builder(ConfigLoader.parse(json, "test")).vertx(vertx).start();
            dashboard = agent.dashboard().orElseThrow();
            host = agent.simulatedHost().orElseThrow();
            awaitAllOpen();
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    public String base() {
        return "http://127.0.0.1:" + dashboard.port();
    }

    /** Waits until every channel is open with stats and every host device has negotiated. */
    void awaitAllOpen() {
        AtomicReference<String> last = new AtomicReference<>("");
        try {
            await().atMost(15 + channelCount / 10, TimeUnit.SECONDS).pollInterval(50, TimeUnit.MILLISECONDS)
                    .until(() -> allOpen(last));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("the " + channelCount + " channels never all opened: " + last.get(), e);
        }
    }

    private boolean allOpen(AtomicReference<String> last) throws Exception {
        HttpResponse<String> c = get("/api/channels");
        HttpResponse<String> h = get("/api/host");
        last.set(c.body() + " / " + h.body());
        if (c.statusCode() != 200 || h.statusCode() != 200) {
            return false;
        }
        JsonArray channels = new JsonArray(c.body());
        boolean open = channels.size() == channelCount && channels.stream().map(JsonObject.class::cast)
                .allMatch(ch -> "open".equals(ch.getString("state")) && ch.containsKey("stats"));
        return open && new JsonObject(h.body()).getJsonArray("devices").stream().map(JsonObject.class::cast)
                .allMatch(d -> "ready".equals(d.getString("phase")) || "nic".equals(d.getString("device"))
                        && "active".equals(d.getString("phase")));
    }

    public HttpResponse<String> get(String path, String... headers) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base() + path)).GET(), headers);
    }

    HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json"), headers);
    }

    /** POST with the dashboard's (generated) token. */
    HttpResponse<String> act(String action, JsonObject params) throws Exception {
        return post("/api/host/actions/" + action, params.encode(), "Authorization", "Bearer " + dashboard.token());
    }

    HttpResponse<String> send(HttpRequest.Builder request, String... headers) throws Exception {
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws Exception {
        http.shutdownNow();
        if (agent != null) {
            agent.close();
        }
        vertx.close().await(10, TimeUnit.SECONDS);
    }
}
