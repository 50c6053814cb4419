package dev.vmbus.dashboard;

import dev.vmbus.testkit.TestAgent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The read side of the dashboard against the whole agent on the sim transport: every GET endpoint's shape and
 * values, the errors, {@code /metrics}, the SSE stream and its client limit, the static page and the security
 * headers. Host control and the token rules are in {@link DashboardHostControlTest}.
 */
class DashboardApiTest {
    static final Map<Integer, String> CLASSES = Map.of(1, "heartbeat", 2, "timesync", 3, "shutdown", 4, "kvp",
            5, "vss", 6, "fcopy");

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

    static JsonObject okObject(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(null));
        return new JsonObject(r.body());
    }

    static void assertError(int status, HttpResponse<String> r, String contains) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(new JsonObject(r.body()).getString("error").contains(contains), r.body());
    }

    @Test
    void healthAndConfig() throws Exception {
        assertEquals(new JsonObject().put("status", "UP"), okObject(h.get("/health")));
        JsonObject config = okObject(h.get("/api/config"));
        assertEquals(DashboardAgentConfig.UPDATE_MS, config.getLong("updateIntervalMs"));
        assertEquals(Set.copyOf(CLASSES.values()), Set.copyOf(config.getJsonArray("devices").getList()));
        assertEquals(true, config.getBoolean("host"));
        assertEquals(List.of("rescind", "offer", "reoffer", "inject-fault", "stop-heartbeat", "flood", "delay", "shutdown", "shift-clock", "timesync-now",
                "backup", "kvp-set", "kvp-delete", "kvp-enumerate", "copy-file", "cancel-copy", "nic-link", "nic-network-change", "nic-migrated",
                "nic-reoffer",
                "nic-fault"),
                config.getJsonArray("hostActions").getList());
        assertEquals(false, config.getBoolean("tokenRequired"));
        // each enabled device's config section as the file has it, without "enabled"
        JsonObject settings = config.getJsonObject("settings");
        assertEquals(Set.copyOf(CLASSES.values()), settings.fieldNames());
        assertEquals(new JsonObject().put("dryRun", true), settings.getJsonObject("shutdown"));
        assertEquals(new JsonObject(), settings.getJsonObject("heartbeat"));
    }

    @Test
    void channelsListsTheSixWithStats() throws Exception {
        HttpResponse<String> r = h.get("/api/channels");
        assertEquals(200, r.statusCode());
        JsonArray channels = new JsonArray(r.body());
        assertEquals(6, channels.size(), r.body());
        for (int i = 0; i < 6; i++) {
            JsonObject c = channels.getJsonObject(i);
            assertEquals(i + 1, c.getInteger("relid"), "listed in relid order");
            assertEquals(CLASSES.get(i + 1), c.getString("class"));
            assertEquals(36, c.getString("classId").length());
            assertEquals(36, c.getString("instanceId").length());
            assertEquals(0, c.getInteger("subchannel"));
            assertEquals("open", c.getString("state"));
            assertEquals(true, c.getBoolean("handled"));
            JsonObject stats = c.getJsonObject("stats");
            assertNotNull(stats, "an open channel carries its stats");
            assertEquals(i + 1, stats.getInteger("relid"));
            assertTrue(stats.getLong("packetsIn") >= 1 && stats.getLong("packetsOut") >= 1, "negotiated: " + stats);
            for (String ring : List.of("inbound", "outbound")) {
                JsonObject ringStats = stats.getJsonObject(ring);
                assertTrue(ringStats.getLong("dataSize") > 0, ring + ": " + ringStats);
                assertTrue(ringStats.containsKey("fillPercent") && ringStats.containsKey("pendingSendSize"));
            }
            for (String counter : List.of("interrupts", "events", "intr_in_full", "intr_out_empty", "out_full_first",
                    "out_full_total", "bytesIn", "bytesOut", "malformed", "requestorRejected")) {
                assertTrue(stats.getLong(counter) >= 0, counter);
            }
        }
    }

    @Test
    void oneChannelAndItsErrors() throws Exception {
        JsonObject one = okObject(h.get("/api/channels/1"));
        assertEquals(1, one.getInteger("relid"));
        assertEquals("heartbeat", one.getString("class"));
        assertEquals(1, one.getJsonObject("stats").getInteger("relid"));
        assertEquals("kvp", okObject(h.get("/api/channels/4")).getString("class"));
        assertError(404, h.get("/api/channels/999"), "no channel with relid 999");
        assertError(400, h.get("/api/channels/abc"), "'abc'");
    }

    @Test
    void devices() throws Exception {
        JsonObject all = okObject(h.get("/api/devices"));
        assertEquals(Set.copyOf(CLASSES.values()), all.fieldNames());
        CLASSES.values().forEach(name -> assertEquals(name, all.getJsonObject(name).getString("device"), all.encode()));
        JsonObject heartbeat = all.getJsonObject("heartbeat").getJsonArray("channels").getJsonObject(0);
        assertEquals(1, heartbeat.getInteger("relid"));
        assertEquals("3.0", heartbeat.getString("serviceVersion"));
        assertEquals(setup.poolDir().toString(), all.getJsonObject("kvp").getString("poolDir"));
        assertEquals(List.of(setup.fcopyRoot().toString()), all.getJsonObject("fcopy").getJsonArray("allowedRoots").getList());
        JsonObject timesync = okObject(h.get("/api/devices/timesync"));
        assertEquals("timesync", timesync.getString("device"));
        assertTrue(Set.of("ok", "warning", "critical").contains(timesync.getJsonObject("health").getString("state")),
                timesync.encode()); // its health, as docs/API.md says
        assertError(404, h.get("/api/devices/nosuch"), "'nosuch'");
    }

    @Test
    void eventsHoldEveryChannelsOfferAndOpen() throws Exception {
        HttpResponse<String> r = h.get("/api/events");
        assertEquals(200, r.statusCode());
        JsonArray events = new JsonArray(r.body());
        for (String kind : List.of("offered", "opened")) {
            Set<Integer> relids = events.stream().map(JsonObject.class::cast).filter(e -> kind.equals(e.getString("event")))
                    .map(e -> e.getInteger("relid")).collect(Collectors.toSet());
            assertEquals(CLASSES.keySet(), relids, kind + " in " + r.body());
        }
        long previous = 0;
        for (int i = 0; i < events.size(); i++) {
            JsonObject e = events.getJsonObject(i);
            assertTrue(e.getLong("seq") > previous, "oldest first, seq increasing");
            assertTrue(e.getLong("timestamp") > 0);
            previous = e.getLong("seq");
        }
    }

    @Test
    void eventLogIsBounded() {
        EventLog log = new EventLog();
        for (int i = 0; i < EventLog.CAPACITY + 50; i++) {
            log.add(new JsonObject().put("event", "x").put("i", i));
        }
        JsonArray kept = log.toJson();
        assertEquals(200, kept.size());
        assertEquals(51, kept.getJsonObject(0).getLong("seq"));
        assertEquals(250, kept.getJsonObject(199).getLong("seq"));
    }

    @Test
    void snapshotHoldsChannelsDevicesAndHost() throws Exception {
        JsonObject s = okObject(h.get("/api/snapshot"));
        assertEquals(Set.of("timestamp", "channels", "devices", "host", "summary"), s.fieldNames());
        assertEquals("6 channels, all healthy", s.getJsonObject("summary").getString("text"));
        assertTrue(Math.abs(System.currentTimeMillis() - s.getLong("timestamp")) < 60_000);
        assertEquals(6, s.getJsonArray("channels").size());
        assertEquals(Set.copyOf(CLASSES.values()), s.getJsonObject("devices").fieldNames());
        assertEquals(true, s.getJsonObject("host").getBoolean("guestConnected"));
        JsonObject host = okObject(h.get("/api/host"));
        assertEquals(6, host.getJsonArray("devices").size());
        assertEquals("heartbeat", host.getJsonArray("devices").getJsonObject(0).getString("device"));
    }

    @Test
    void unknownApiPathsAre404() throws Exception {
        assertError(404, h.get("/api/x"), "GET /api/x");
        assertError(404, h.post("/api/channels", "{}"), "POST /api/channels");
    }

    @Test
    void metrics() throws Exception {
        HttpResponse<String> r = h.get("/metrics");
        assertEquals(200, r.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("Content-Type").orElseThrow());
        String text = r.body();
        assertTrue(Exposition.has(text, "vmbus_channel_info", "relid", "1", "class", "heartbeat"), text);
        assertEquals(6.0, Exposition.value(text, "vmbus_channels", "state", "open"), text);
        assertTrue(text.contains("# HELP vmbus_channel_packets_total ") && text.contains("# TYPE vmbus_channel_packets_total counter\n"));
        assertNotNull(Exposition.value(text, "vmbus_channel_packets_total", "relid", "6", "class", "fcopy", "direction", "in"), text);
        assertNotNull(Exposition.value(text, "vmbus_ring_size_bytes", "relid", "4", "class", "kvp", "ring", "outbound"), text);
    }

    @Test
    void compactChannelsCarryTheTablesFieldsOfEveryChannel() throws Exception {
        JsonObject compact = okObject(h.get("/api/channels?form=compact"));
        assertEquals(new JsonArray(CompactChannels.FIELDS), compact.getJsonArray("fields"));
        assertNotNull(compact.getJsonObject("summary"));
        JsonArray rows = compact.getJsonArray("channels");
        JsonArray full = new JsonArray(h.get("/api/channels").body());
        assertEquals(full.size(), rows.size());
        for (int i = 0; i < rows.size(); i++) {
            JsonArray row = rows.getJsonArray(i);
            JsonObject c = full.getJsonObject(i);
            // taken an interval apart: what identifies a channel is the same, the figures are present in both
            for (String same : List.of("relid", "class", "state", "subchannel")) {
                assertEquals(c.getValue(same), row.getValue(CompactChannels.FIELDS.indexOf(same)), same);
            }
            assertEquals(c.getJsonObject("health").getString("state"),
                    row.getValue(CompactChannels.FIELDS.indexOf("health.state")));
            assertNotNull(row.getValue(CompactChannels.FIELDS.indexOf("stats.inbound.fillPercent")), row.encode());
            assertNotNull(row.getValue(CompactChannels.FIELDS.indexOf("stats.outstanding.credit")), row.encode());
        }
        assertError(400, h.get("/api/channels?form=bulky"), "form must be full or compact");
    }

    @Test
    void compactStreamSendsAWholeListToAJoinerThenOnlyChanges() throws Exception {
        try (SseStream first = new SseStream(h.base() + "/api/stream?form=compact")) {
            assertEquals(200, first.status());
            // whatever it started with (a whole frame, or all channels as changes before the first interval),
            // after two frames the client holds every channel, and later frames are changes only
            Map<Integer, JsonArray> held = new java.util.TreeMap<>();
            for (int i = 0; i < 2; i++) {
                JsonObject frame = first.next("snapshot", Duration.ofSeconds(10), x -> true);
                assertEquals(new JsonArray(CompactChannels.FIELDS), frame.getJsonArray("fields"));
                if (i == 1) {
                    assertEquals(false, frame.getBoolean("full"));
                    assertTrue(frame.containsKey("history") && frame.containsKey("devices") && frame.containsKey("host"));
                }
                if (frame.getBoolean("full")) {
                    held.clear();
                }
                frame.getJsonArray("channels").forEach(r -> held.put(((JsonArray) r).getInteger(0), (JsonArray) r));
                frame.getJsonArray("gone").forEach(r -> held.remove((Integer) r));
            }
            assertEquals(Set.of(1, 2, 3, 4, 5, 6), held.keySet());
            try (SseStream joiner = new SseStream(h.base() + "/api/stream?form=compact")) {
                JsonObject frame = joiner.next("snapshot", Duration.ofSeconds(10), x -> true);
                assertEquals(true, frame.getBoolean("full"), "a client that joins gets the whole list first");
                assertEquals(6, frame.getJsonArray("channels").size());
                assertFalse(frame.containsKey("history"), "it has just read the history itself");
            }
        }
        try (SseStream bad = new SseStream(h.base() + "/api/stream?form=bulky")) {
            assertEquals(400, bad.status());
        }
    }

    @Test
    void streamDeliversSnapshotsAndEvents() throws Exception {
        try (SseStream s = new SseStream(h.base() + "/api/stream")) {
            assertEquals(200, s.status());
            assertEquals("text/event-stream", s.header("Content-Type"));
            assertEquals("no-cache", s.header("Cache-Control"));
            assertNotNull(s.header("Content-Security-Policy"));
            assertEquals(": vmbus live stream", s.nextLine(Duration.ofSeconds(5)));
            JsonObject snapshot = s.next("snapshot", Duration.ofSeconds(5), x -> true);
            assertEquals(6, snapshot.getJsonArray("channels").size());
            assertEquals(Set.of("timestamp", "channels", "devices", "host", "summary", "history"), snapshot.fieldNames());
            // a channel-lifecycle event reaches the stream as it happens
            assertEquals(200, h.act("rescind", new JsonObject().put("relid", 5)).statusCode());
            s.next("event", Duration.ofSeconds(5), e -> "rescinded".equals(e.getString("event")) && e.getInteger("relid") == 5);
            assertEquals(200, h.act("offer", new JsonObject().put("relid", 5)).statusCode());
            JsonObject opened = s.next("event", Duration.ofSeconds(5),
                    e -> "opened".equals(e.getString("event")) && e.getInteger("relid") == 5);
            assertEquals("vss", opened.getString("class"));
            assertTrue(opened.getLong("seq") > 0, "stream events carry the log's sequence number");
        } finally {
            h.awaitAllOpen();
        }
    }

    @Test
    void seventeenthStreamClientGets503() throws Exception {
        List<SseStream> open = new ArrayList<>();
        try {
            while (open.size() < DashboardOptions.MAX_STREAM_CLIENTS) {
                open.add(admitted(h.base() + "/api/stream"));
            }
            try (SseStream extra = new SseStream(h.base() + "/api/stream")) {
                assertEquals(503, extra.status());
                assertTrue(extra.body().contains("too many live-stream clients (16)"));
            }
            for (SseStream s : open) {
                s.next("snapshot", Duration.ofSeconds(5), x -> true); // the admitted ones are all served
            }
        } finally {
            open.forEach(SseStream::close);
        }
        // leaving frees the slots
        admitted(h.base() + "/api/stream").close();
    }

    /**
     * A stream client, once the dashboard admits one (a client of an earlier test, or one just closed, may not have
     * been noticed leaving yet: until then the dashboard answers 503).
     */
    private static SseStream admitted(String url) {
        AtomicReference<SseStream> admitted = new AtomicReference<>();
        await("a live-stream client admitted").atMost(5, TimeUnit.SECONDS).pollInterval(100, TimeUnit.MILLISECONDS)
                .until(() -> {
                    SseStream s = new SseStream(url);
                    if (s.status() == 200) {
                        admitted.set(s);
                        return true;
                    }
                    s.close();
                    return false;
                });
        return admitted.get();
    }

    @Test
    void securityHeadersOnPageApiAndErrors() throws Exception {
        for (String path : List.of("/", "/app.js", "/api/channels", "/health", "/metrics", "/api/nosuch")) {
            HttpResponse<String> r = h.get(path);
            String csp = r.headers().firstValue("Content-Security-Policy").orElse("");
            assertTrue(csp.contains("script-src 'self'") && csp.contains("default-src 'self'")
                    && csp.contains("object-src 'none'") && csp.contains("frame-ancestors 'none'"), path + ": " + csp);
            assertFalse(csp.contains("unsafe-inline") || csp.contains("unsafe-eval"), csp);
            assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElse(null), path);
            assertEquals("DENY", r.headers().firstValue("X-Frame-Options").orElse(null), path);
            assertEquals("no-referrer", r.headers().firstValue("Referrer-Policy").orElse(null), path);
        }
    }

    @Test
    void staticPageAndWebJar() throws Exception {
        HttpResponse<String> page = h.get("/");
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertTrue(page.body().contains("src=\"/app.js\""), page.body());
        assertFalse(page.body().matches("(?s).*<script>.*"), "no inline script");
        HttpResponse<String> app = h.get("/app.js");
        assertEquals(200, app.statusCode());
        assertTrue(app.body().contains("EventSource('/api/stream?form=compact'"), "the page reads the compact stream");
        HttpResponse<String> uplot = h.get("/webjars/uplot/1.6.30/dist/uPlot.iife.min.js");
        assertEquals(200, uplot.statusCode());
        assertTrue(uplot.body().contains("uPlot"));
    }

    @Test
    void pathTraversalIsNotServed() throws Exception {
        for (String path : List.of("/../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/webjars/../../../../etc/passwd",
                "/..%2f..%2f..%2fetc%2fpasswd")) {
            String response = raw("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            assertFalse(response.startsWith("HTTP/1.1 200"), path + " -> " + response);
            assertFalse(response.contains("root:"), path);
        }
    }

    /** One request on a raw socket, so that no client normalises the path first. */
    private static String raw(String request) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", h.dashboard().port())) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
