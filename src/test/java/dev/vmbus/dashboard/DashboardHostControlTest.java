package dev.vmbus.dashboard;

import dev.vmbus.config.VmbusConfig;
import dev.vmbus.testkit.TestAgent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.vmbus.dashboard.DashboardApiTest.assertError;
import static org.awaitility.Awaitility.await;
import static dev.vmbus.dashboard.DashboardApiTest.okObject;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Host control through {@code POST /api/host/actions/*} (token, method, body and parameter checks, real round
 * trips through the guest's KVP and file-copy handlers) and the token rules of a dashboard with a configured
 * token, of a non-loopback bind and of a short token.
 */
class DashboardHostControlTest {
    static final String TOKEN = "test-token-0123456789";

    @TempDir
    static Path dir;
    static DashboardAgentConfig setup;
    static TestAgent agent;
    static DashboardClient h;

    @BeforeAll
    static void start() throws Exception {
        setup = DashboardAgentConfig.of(dir);
        agent = setup.start();
        h = DashboardClient.open(agent, setup.channelCount());
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
        if (agent != null) {
            agent.close();
        }
    }

    private static HttpResponse<String> enumerate(String... headers) throws Exception {
        return h.post("/api/host/actions/kvp-enumerate", "{\"pool\":2}", headers);
    }

    @Test
    void actionsNeedTheToken() throws Exception {
        HttpResponse<String> none = enumerate();
        assertError(401, none, "token");
        assertEquals("Bearer realm=\"vmbus\"", none.headers().firstValue("WWW-Authenticate").orElse(null));
        assertError(401, enumerate("Authorization", "Bearer not-the-token-at-all"), "token");
        assertError(401, enumerate("Authorization", "Basic " + h.dashboard().token()), "token");
        JsonObject ok = okObject(enumerate("Authorization", "Bearer " + h.dashboard().token()));
        assertEquals(2, ok.getInteger("pool"));
        assertTrue(ok.getJsonArray("entries").stream().map(JsonObject.class::cast)
                .anyMatch(e -> "IntegrationServicesVersion".equals(e.getString("key"))), ok.encode());
        assertEquals(200, h.post("/api/host/actions/kvp-enumerate?token=" + h.dashboard().token(), "{\"pool\":2}")
                .statusCode(), "?token= is accepted too");
        assertEquals(48, h.dashboard().token().length(), "generated: 24 random bytes in hex");
    }

    private static int hostShutdownRequests() throws Exception {
        return okObject(h.get("/api/host")).getJsonArray("devices").stream().map(JsonObject.class::cast)
                .filter(d -> "shutdown".equals(d.getString("device"))).findFirst().orElseThrow().getInteger("requests");
    }

    @Test
    void getOnAnActionIsRefusedAndDoesNotRunIt() throws Exception {
        assertError(401, h.get("/api/host/actions/shutdown"), "token");
        assertError(404, h.get("/api/host/actions/shutdown", "Authorization", "Bearer " + h.dashboard().token()),
                "GET /api/host/actions/shutdown");
        assertError(404, h.send(HttpRequest.newBuilder(URI.create(h.base() + "/api/host/actions/shutdown"))
                .PUT(HttpRequest.BodyPublishers.ofString("{}")), "Authorization", "Bearer " + h.dashboard().token()), "PUT");
        // a negative: nothing reaches either end for a while (no event says "refused before running")
        await("no shutdown request on either end").during(200, TimeUnit.MILLISECONDS).atMost(5, TimeUnit.SECONDS)
                .until(() -> okObject(h.get("/api/devices/shutdown")).getJsonArray("requests").isEmpty()
                        && hostShutdownRequests() == 0);
        assertEquals(new JsonArray(), okObject(h.get("/api/devices/shutdown")).getJsonArray("requests"),
                "the guest saw no shutdown request");
        assertEquals(0, hostShutdownRequests());
        assertFalse(h.get("/api/events").body().contains("\"host-action\",\"action\":\"shutdown\""));
    }

    @Test
    void badBodiesAndParameters() throws Exception {
        String auth = "Bearer " + h.dashboard().token();
        assertError(400, h.post("/api/host/actions/rescind", "{not json", "Authorization", auth), "JSON object");
        assertError(400, h.post("/api/host/actions/rescind", "[1,2]", "Authorization", auth), "JSON object");
        assertError(404, h.act("nosuch", new JsonObject()), "no host action 'nosuch'");
        assertError(400, h.act("rescind", new JsonObject().put("relid", "x")), "\"relid\" must be an integer");
        assertError(400, h.act("rescind", new JsonObject().put("relid", 1.5)), "\"relid\"");
        assertError(400, h.act("offer", new JsonObject().put("relid", 99)), "no channel with relid 99");
        assertError(400, h.act("kvp-set", new JsonObject().put("pool", 9).put("key", "k").put("value", "v")),
                "\"pool\" must be an integer 0..4, got 9");
        assertError(400, h.act("kvp-set", new JsonObject().put("pool", 0).put("key", "k")), "\"value\" must be a string");
        assertError(400, h.act("delay", new JsonObject().put("relid", 1).put("ms", 0)), "\"ms\"");
        assertError(400, h.act("shutdown", new JsonObject().put("kind", "halt")), "poweroff, reboot or hibernate");
        assertError(400, h.act("copy-file", new JsonObject().put("localFile", "/dev/null").put("guestPath", "/tmp")
                .put("name", "x").put("overwrite", "yes")), "\"overwrite\" must be true or false");
        HttpResponse<String> big = h.post("/api/host/actions/kvp-set", " ".repeat(64 * 1024 + 1), "Authorization", auth);
        assertEquals(413, big.statusCode(), "bodies are limited to 64 KiB");
        assertEquals(200, h.post("/api/host/actions/kvp-enumerate", " ".repeat(60 * 1024) + "{\"pool\":1}",
                "Authorization", auth).statusCode(), "just under the limit is fine");
        JsonObject channels = okObject(h.get("/api/channels/1"));
        assertEquals("open", channels.getString("state"), "no bad request disturbed a channel");
    }

    @Test
    void kvpRoundTripThroughTheGuestHandler() throws Exception {
        String hostile = "<script>alert(\"x\")</script>";
        assertEquals("set Dashboard in pool 0", okObject(h.act("kvp-set",
                new JsonObject().put("pool", 0).put("key", "Dashboard").put("value", hostile))).getString("result"));
        JsonObject listed = okObject(h.act("kvp-enumerate", new JsonObject().put("pool", 0)));
        assertEquals(new JsonArray().add(new JsonObject().put("key", "Dashboard").put("value", hostile)),
                listed.getJsonArray("entries"));
        JsonArray guestPool = okObject(h.get("/api/devices/kvp")).getJsonObject("pools").getJsonArray("0:external");
        assertEquals(new JsonArray().add(new JsonObject().put("key", "Dashboard").put("value", hostile)), guestPool);
        assertTrue(Files.size(setup.poolDir().resolve(".kvp_pool_0")) > 0, "the guest handler wrote its pool file");
        JsonArray events = new JsonArray(h.get("/api/events").body());
        JsonObject logged = events.getJsonObject(events.size() - 1);
        assertEquals("host-action", logged.getString("event"));
        assertEquals("kvp-enumerate", logged.getString("action"));
        assertEquals("deleted Dashboard from pool 0", okObject(h.act("kvp-delete",
                new JsonObject().put("pool", 0).put("key", "Dashboard"))).getString("result"));
        assertEquals(new JsonArray(), okObject(h.act("kvp-enumerate", new JsonObject().put("pool", 0))).getJsonArray("entries"));
        assertError(502, h.act("kvp-delete", new JsonObject().put("pool", 0).put("key", "Dashboard")), "0x80070103");
    }

    @Test
    void copyFileThroughTheGuestHandler() throws Exception {
        byte[] data = "copied through the dashboard\n".repeat(1000).getBytes();
        Path local = Files.write(dir.resolve("local.txt"), data);
        JsonObject r = okObject(h.act("copy-file", new JsonObject().put("localFile", local.toString())
                .put("guestPath", setup.fcopyRoot().toString()).put("name", "copied.txt")));
        assertEquals(data.length, r.getLong("bytesSent"));
        assertEquals(false, r.getBoolean("cancelled"));
        assertEquals(List.of(new String(data)), List.of(Files.readString(setup.fcopyRoot().resolve("copied.txt"))));
        assertError(502, h.act("copy-file", new JsonObject().put("localFile", local.toString())
                .put("guestPath", "/etc").put("name", "copied.txt")), "copy-file failed");
        assertFalse(Files.exists(Path.of("/etc/copied.txt")));
    }

    @Test
    void configuredTokenGuardsEveryRead() throws Exception {
        DashboardServer guarded = new DashboardServer(new DashboardOptions(dashboard("127.0.0.1", TOKEN, 200),
                List.of(new dev.vmbus.device.heartbeat.HeartbeatHandler())), null);
        String id = agent.vertx().deployVerticle(guarded).await(10, TimeUnit.SECONDS);
        try {
            String base = "http://127.0.0.1:" + guarded.port();
            String bearer = "Bearer " + TOKEN;
            for (String path : List.of("/api/channels", "/api/config", "/api/snapshot", "/metrics")) {
                assertEquals(401, get(base + path).statusCode(), path);
                assertEquals(401, get(base + path, "Authorization", "Bearer " + TOKEN + "x").statusCode(), path);
                assertEquals(200, get(base + path, "Authorization", bearer).statusCode(), path);
            }
            assertEquals(6, new JsonArray(get(base + "/api/channels", "Authorization", bearer).body()).size());
            JsonObject config = new JsonObject(get(base + "/api/config?token=" + TOKEN).body());
            assertEquals(true, config.getBoolean("tokenRequired"));
            assertEquals(false, config.getBoolean("host"));
            assertEquals(404, get(base + "/api/host", "Authorization", bearer).statusCode(), "no host, no host API");
            assertEquals(404, h.send(HttpRequest.newBuilder(URI.create(base + "/api/host/actions/kvp-set"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")), "Authorization", bearer).statusCode());
            assertEquals(200, get(base + "/health").statusCode(), "liveness stays open");
            try (SseStream s = new SseStream(base + "/api/stream")) {
                assertEquals(401, s.status());
            }
            try (SseStream s = new SseStream(base + "/api/stream", "Authorization", bearer)) {
                assertEquals(200, s.status());
            }
            try (SseStream s = new SseStream(base + "/api/stream?token=" + TOKEN)) {
                assertEquals(200, s.status());
                assertEquals(6, s.next("snapshot", Duration.ofSeconds(5), x -> true).getJsonArray("channels").size());
            }
        } finally {
            agent.vertx().undeploy(id).await(10, TimeUnit.SECONDS);
        }
    }

    private static HttpResponse<String> get(String url, String... headers) throws Exception {
        return h.send(HttpRequest.newBuilder(URI.create(url)).GET(), headers);
    }

    @Test
    void nonLoopbackWithoutTokenAndShortTokensAreRefused() {
        Exception open = assertThrows(Exception.class, () -> agent.vertx().deployVerticle(new DashboardServer(
                new DashboardOptions(dashboard("0.0.0.0", null, 1000), List.of()), null)).await(10, TimeUnit.SECONDS));
        assertTrue(open.getMessage().contains("dashboard.token") && open.getMessage().contains("0.0.0.0"), open.getMessage());
        Exception shortToken = assertThrows(Exception.class, () -> agent.vertx().deployVerticle(new DashboardServer(
                new DashboardOptions(dashboard("127.0.0.1", "fifteen-chars15", 1000), List.of()), null)).await(10, TimeUnit.SECONDS));
        assertTrue(shortToken.getMessage().contains("at least 16 characters"), shortToken.getMessage());
    }

    /** The config file's {@code dashboard} section on a free port. */
    private static VmbusConfig.Dashboard dashboard(String host, String token, long updateIntervalMs) {
        return new VmbusConfig.Dashboard(true, host, 0, token, updateIntervalMs);
    }
}
