package dev.vmbus.dashboard;

import dev.vmbus.agent.Agent;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.device.heartbeat.HeartbeatHandler;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.testkit.AgentInternals;
import dev.vmbus.testkit.TestAgent;
import dev.vmbus.channel.SendStatus;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.shm.ShmHost;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19 item 8: a channel the agent faulted and closed stays listed, faulted with its reason, in
 * {@code /api/channels}, the live stream and {@code /metrics} for as long as the host keeps the offer (the host
 * answered the guest's {@code close} with {@code closed} and rescinded nothing); once the host rescinds it, it goes
 * from all three. Driven as a host drives it: a malformed packet on the ring (offset8 inside the descriptor), on sim
 * (the host end in the agent's process) and on shm (an shm host on a Vert.x of its own).
 */
class FaultedChannelListingTest {
    private static final int FAULTY = 20;
    private static final int HEALTHY = 21;

    @TempDir
    Path dir;
    private Vertx hostVertx;
    /** The agent on sim (with the test's host end in it), or on shm. */
    private TestAgent simAgent;
    private Agent shmAgent;
    private volatile Context hostContext;
    private volatile HostTransport host;
    private final Map<Integer, ChannelDriver> drivers = new ConcurrentHashMap<>();
    private final Map<Integer, EndReason> closedByGuest = new ConcurrentHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** The host's side of both channels: a driver per opened channel, and what the guest's close said. */
    private final HostTransport.ChannelListener listener = new HostTransport.ChannelListener() {
        @Override
        public void opened(ChannelLink link) {
            drivers.put(link.offer().relid(), ChannelDriver.host(link, hostContext, 0, p -> { }));
        }

        @Override
        public void closed(int relid, EndReason reason) {
            closedByGuest.put(relid, reason);
        }
    };

    @AfterEach
    void stop() throws Exception {
        http.shutdownNow();
        if (simAgent != null) {
            simAgent.close();
        }
        if (shmAgent != null) {
            shmAgent.close();
        }
        if (hostVertx != null) {
            hostVertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sim", "shm"})
    void aFaultedChannelStaysListedWithItsReasonUntilTheHostRescindsIt(String transport) throws Exception {
        start(transport);
        offer(FAULTY);
        offer(HEALTHY);
        await("both channels open").atMost(15, TimeUnit.SECONDS).until(() -> drivers.containsKey(FAULTY)
                && drivers.containsKey(HEALTHY) && "open".equals(state(FAULTY)) && "open".equals(state(HEALTHY)));

        assertEquals(SendStatus.OK, onHost(() -> drivers.get(FAULTY).writeRaw(malformed(), 0, 32)));
        // The guest faults the channel and closes it; the host answers that close (shm: "closed"), rescinds nothing.
        await("the guest's close of the faulted channel").atMost(15, TimeUnit.SECONDS)
                .until(() -> closedByGuest.containsKey(FAULTY));
        assertEquals(EndReason.Kind.PEER_CLOSED, closedByGuest.get(FAULTY).kind());

        // Every view taken from here on is after the close; each must still list it, faulted, with the reason.
        try (SseStream stream = new SseStream(url("/api/stream"))) {
            for (int i = 0; i < 3; i++) {
                JsonObject snapshot = stream.next("snapshot", Duration.ofSeconds(10), s -> true);
                JsonObject c = find(snapshot.getJsonArray("channels"), FAULTY);
                assertNotNull(c, "snapshot " + i + " after the close lost the faulted channel: " + snapshot.encode());
                assertFaulted(c);
                assertEquals("open", find(snapshot.getJsonArray("channels"), HEALTHY).getString("state"));
            }
            HttpResponse<String> one = get("/api/channels/" + FAULTY);
            assertEquals(200, one.statusCode(), one.body());
            assertFaulted(new JsonObject(one.body()));
            assertFaulted(find(new JsonArray(get("/api/channels").body()), FAULTY));
            String metrics = get("/metrics").body();
            assertEquals(1.0, Exposition.value(metrics, "vmbus_channels", "state", "faulted"), metrics);
            assertTrue(Exposition.has(metrics, "vmbus_channel_info", "relid", Integer.toString(FAULTY),
                    "state", "faulted"), metrics);
            assertEquals(1.0, Exposition.value(metrics, "vmbus_channel_problem", "relid", Integer.toString(FAULTY),
                    "class", "heartbeat", "problem", "faulted"), metrics);

            // The host rescinds the offer: now it goes, from the listing, the stream and /metrics.
            onHostAsync(() -> host.rescind(FAULTY));
            stream.next("event", Duration.ofSeconds(10), e -> "rescinded".equals(e.getString("event"))
                    && e.getInteger("relid") == FAULTY);
            await("the rescinded channel gone from /api/channels").atMost(15, TimeUnit.SECONDS)
                    .until(() -> get("/api/channels/" + FAULTY).statusCode() == 404);
            stream.next("snapshot", Duration.ofSeconds(10), s -> find(s.getJsonArray("channels"), FAULTY) == null
                    && find(s.getJsonArray("channels"), HEALTHY) != null);
            String after = get("/metrics").body();
            assertTrue(!Exposition.has(after, "vmbus_channel_info", "relid", Integer.toString(FAULTY)), after);
            assertEquals(null, Exposition.value(after, "vmbus_channels", "state", "faulted"), after);
            assertEquals("open", state(HEALTHY));
        }
    }

    private static void assertFaulted(JsonObject c) {
        assertNotNull(c);
        assertEquals("faulted", c.getString("state"), c.encode());
        String reason = c.getString("reason");
        assertNotNull(reason, c.encode());
        assertTrue(reason.contains("DATA_OFFSET_TOO_SMALL"), reason);
    }

    private void start(String transport) throws Exception {
        JsonObject config = new JsonObject()
                .put("dashboard", new JsonObject().put("host", "127.0.0.1").put("port", 0).put("updateIntervalMs", 200));
        if (transport.equals("shm")) {
            Path shm = dir.resolve("shm");
            hostVertx = Vertx.vertx();
            ShmHost shmHost = new ShmHost(hostVertx, shm);
            Context context = hostVertx.getOrCreateContext();
            Promise<Void> started = Promise.promise();
            context.runOnContext(v -> shmHost.start().onComplete(started));
            started.future().await(10, TimeUnit.SECONDS);
            hostContext = context;
            host = shmHost;
            config.put("transport", new JsonObject().put("type", "shm").put("shmDir", shm.toString()));
            shmAgent = guest(config).start();
        } else {
            simAgent = AgentInternals.start(guest(config).hostEnd((context, t) -> {
                hostContext = context;
                host = t;
                return t.start();
            }));
        }
    }

    /** The agent with the heartbeat handler alone (the test offers heartbeat channels). */
    private static Agent.Builder guest(JsonObject config) {
        return Agent.builder(ConfigLoader.parse(config.encode(), "test")).handlers(List.of(new HeartbeatHandler()));
    }

    private void offer(int relid) throws Exception {
        Offer offer = new Offer(relid, DeviceClass.HEARTBEAT.classId(), UUID.randomUUID(), 0, 16384);
        onHostAsync(() -> host.offer(offer, listener));
    }

    /** offset8 = 1: the payload would start inside the descriptor (a ring fault the guest must not survive). */
    private static MemorySegment malformed() {
        MemorySegment bad = MemorySegment.ofArray(new long[4]);
        bad.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0,
                PacketLayout.word0(PacketType.DATA_INBAND, 1, 4, 0));
        return bad;
    }

    private <T> T onHost(Supplier<T> task) throws Exception {
        return OnContext.supply(hostContext, task).await(10, TimeUnit.SECONDS);
    }

    private void onHostAsync(Supplier<Future<Void>> task) throws Exception {
        OnContext.call(hostContext, task).await(10, TimeUnit.SECONDS);
    }

    private String url(String path) {
        Agent agent = simAgent != null ? AgentInternals.agent(simAgent) : shmAgent;
        return "http://127.0.0.1:" + agent.dashboardPort() + path;
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String state(int relid) throws Exception {
        JsonObject c = find(new JsonArray(get("/api/channels").body()), relid);
        return c != null ? c.getString("state") : null;
    }

    private static JsonObject find(JsonArray channels, int relid) {
        for (Object o : channels) {
            JsonObject c = (JsonObject) o;
            if (c.getInteger("relid") == relid) {
                return c;
            }
        }
        return null;
    }
}
