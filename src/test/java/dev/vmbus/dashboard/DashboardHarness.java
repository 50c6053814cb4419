package dev.vmbus.dashboard;

import dev.vmbus.bus.DeviceRegistry;
import dev.vmbus.bus.VmbusVerticle;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.TransportType;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.host.SimulatedHost;
import dev.vmbus.host.SimulatedHostControl;
import dev.vmbus.transport.sim.SimBus;
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
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The whole agent in one JVM, as {@code vmbus run} wires it on the sim transport: SimBus, SimulatedHost,
 * VmbusVerticle with the ServiceLoader's handlers (KVP pools and file-copy root in a temp directory) and a
 * DashboardServer on 127.0.0.1, port 0. The dashboard is deployed before the agent so that its event log holds
 * every channel's {@code offered} and {@code opened} events.
 */
public final class DashboardHarness implements AutoCloseable {
    static final long UPDATE_MS = 200;

    public final Vertx vertx = Vertx.vertx();
    final Path dir;
    final Path fcopyRoot;
    final Path poolDir;
    final SimulatedHost host;
    final DashboardServer dashboard;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    final int channelCount;
    final long updateMs;

    DashboardHarness(Path dir) throws Exception {
        this(dir, 0, 100, UPDATE_MS, HealthThresholds.DEFAULTS);
    }

    /**
     * @param extraHeartbeats heartbeat channels beyond the six ICs ({@code host.extraHeartbeats})
     * @param heartbeatMs     the simulated host's heartbeat interval
     */
    public DashboardHarness(Path dir, int extraHeartbeats, long heartbeatMs, long updateMs, HealthThresholds health) throws Exception {
        this.dir = dir;
        this.channelCount = 6 + extraHeartbeats;
        this.updateMs = updateMs;
        this.poolDir = dir.resolve("kvp");
        this.fcopyRoot = Files.createDirectories(dir.resolve("fcopy"));
        String json = new JsonObject()
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
                .encode();
        VmbusConfig config = ConfigLoader.parse(json, "test");
        DeviceRegistry registry = DeviceRegistry.load(config.deviceSections(), TransportType.SIM);
        try {
            SimBus bus = new SimBus(vertx);
            host = new SimulatedHost(vertx, bus.host(), config.host());
            host.start().await(10, TimeUnit.SECONDS);
            dashboard = new DashboardServer(new DashboardOptions("127.0.0.1", 0, null, updateMs,
                    List.copyOf(registry.enabled().keySet()), health), new SimulatedHostControl(host));
            vertx.deployVerticle(dashboard).await(10, TimeUnit.SECONDS);
            vertx.deployVerticle(new VmbusVerticle(bus.guest(), registry, updateMs)).await(10, TimeUnit.SECONDS);
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
    void awaitAllOpen() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15 + channelCount / 10);
        String last = "";
        while (System.nanoTime() < deadline) {
            HttpResponse<String> c = get("/api/channels");
            HttpResponse<String> h = get("/api/host");
            last = c.body() + " / " + h.body();
            if (c.statusCode() == 200 && h.statusCode() == 200) {
                JsonArray channels = new JsonArray(c.body());
                boolean open = channels.size() == channelCount && channels.stream().map(JsonObject.class::cast)
                        .allMatch(ch -> "open".equals(ch.getString("state")) && ch.containsKey("stats"));
                boolean ready = new JsonObject(h.body()).getJsonArray("devices").stream().map(JsonObject.class::cast)
                        .allMatch(d -> "ready".equals(d.getString("phase")));
                if (open && ready) {
                    return;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the " + channelCount + " channels never all opened: " + last);
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
        vertx.close().await(10, TimeUnit.SECONDS);
    }
}
