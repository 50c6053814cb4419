package dev.vmbus.agent;

import dev.vmbus.channel.Packet;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.ring.GpaRanges;
import dev.vmbus.ring.RingFault;
import dev.vmbus.spi.BatchHandler;
import dev.vmbus.spi.ChannelPort;
import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.spi.NoSettings;
import dev.vmbus.spi.OutboundPacket;
import dev.vmbus.spi.Reply;
import dev.vmbus.transport.GuestPages;
import dev.vmbus.transport.shm.BufferedHostMain;
import dev.vmbus.transport.shm.HostProcess;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.StringJoiner;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A hostile host in another process over {@code shm} (BufferedHostMain, relids 9 and 10) against the agent with a
 * device that takes batches: each ring fault kind of the ranged packet types, written byte by byte, and each
 * buffer fault (a transfer-page range past the receive buffer, a completion for an id the guest never sent)
 * faults only its own channel, with the reason on {@code /api/channels}, while the other channel keeps answering.
 */
@org.junit.jupiter.api.Tag("slow") // a host process per test: run by mvn verify, not by mvn test
class ShmHostileHostTest {
    private static final byte[] NVSP_107 = {107, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, 0, 0, 0, 0};

    @TempDir
    Path dir;
    private HostProcess host;
    private Agent agent;
    private final Map<Integer, ChannelPort> ports = new ConcurrentHashMap<>();
    private final Map<Integer, Queue<Packet>> received = new ConcurrentHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** Records every packet of the batch, reads transfer pages in place and completes them. */
    private final class Probe implements DevicePlugin<NoSettings> {
        @Override
        public String name() {
            return "probe";
        }

        @Override
        public List<UUID> classIds() {
            return List.of(BufferedHostMain.CLASS_ID);
        }

        @Override
        public NoSettings settings(DeviceContext context) {
            return NoSettings.of(context);
        }

        @Override
        public boolean checkPeerPackets() {
            return true;
        }

        @Override
        public Device device(NoSettings settings, DeviceContext context) {
            return new Device() {
                @Override
                public Future<Reply> handle(Packet packet) {
                    return Future.failedFuture("packets come in batches");
                }

                @Override
                public BatchHandler batchHandler(ChannelPort port) {
                    ports.put(port.relid(), port);
                    Queue<Packet> queue = received.computeIfAbsent(port.relid(), k -> new ConcurrentLinkedQueue<>());
                    var recv = port.channel().buffer(dev.vmbus.transport.ChannelBuffer.Kind.RECEIVE).orElseThrow();
                    return batch -> {
                        for (Packet p : batch) {
                            if (p.transferPages() != null) {
                                for (int i = 0; i < p.transferPages().count(); i++) {
                                    recv.slice(Integer.toUnsignedLong(p.transferPages().byteOffset(i)),
                                            p.transferPages().byteCount(i));
                                }
                                port.complete(p, new byte[0]);
                            }
                            queue.add(p);
                        }
                    };
                }
            };
        }
    }

    @BeforeEach
    void start() throws Exception {
        host = HostProcess.start(BufferedHostMain.class, dir.toString());
        String config = new JsonObject()
                .put("transport", new JsonObject().put("type", "shm").put("shmDir", dir.toString()))
                .put("dashboard", new JsonObject().put("host", "127.0.0.1").put("port", 0).put("updateIntervalMs", 200))
                .encode();
        agent = Agent.builder(ConfigLoader.parse(config, "test")).handlers(List.of(new Probe())).start();
        await().atMost(15, TimeUnit.SECONDS).until(() -> ports.containsKey(9) && ports.containsKey(10)
                && "open".equals(state(9)) && "open".equals(state(10)));
    }

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (host != null) {
            host.close();
        }
    }

    private JsonObject channel(int relid) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.dashboardPort()
                + "/api/channels")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        for (Object o : new JsonArray(r.body())) {
            JsonObject c = (JsonObject) o;
            if (c.getInteger("relid") == relid) {
                return c;
            }
        }
        return new JsonObject();
    }

    private String state(int relid) throws Exception {
        return channel(relid).getString("state");
    }

    private void send(int relid, OutboundPacket packet) throws Exception {
        ports.get(relid).send(packet).await(10, TimeUnit.SECONDS);
    }

    private void command(int relid, String text, long id) throws Exception {
        send(relid, OutboundPacket.response(text.getBytes(StandardCharsets.US_ASCII), id));
    }

    /** Waits until relid 9 is faulted on /api/channels with {@code expected} in its reason; relid 10 still answers. */
    private void onlyNineFaulted(String expected) throws Exception {
        await().atMost(10, TimeUnit.SECONDS).until(() -> "faulted".equals(state(9)));
        String reason = channel(9).getString("reason");
        assertNotNull(reason, channel(9).encode());
        assertTrue(reason.contains(expected), reason);
        command(10, "still here", 7);
        Packet echo = await("relid 10 still answering").atMost(10, TimeUnit.SECONDS)
                .until(received.get(10)::poll, Objects::nonNull);
        assertEquals("still here", new String(echo.payload(), StandardCharsets.US_ASCII).replace("\0", "").trim());
        assertEquals("open", state(10));
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> rangedFaults() {
        return AgentTest.rangedFaults();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rangedFaults")
    void eachRingFaultKindFromAHostProcessFaultsOnlyItsChannel(RingFault.Kind kind, long[] words) throws Exception {
        StringJoiner hex = new StringJoiner(",", "raw:", "");
        for (long w : words) {
            hex.add(Long.toHexString(w));
        }
        command(9, hex.toString(), 1);
        onlyNineFaulted(kind.name());
    }

    @Test
    void aTransferPageRangePastTheReceiveBufferFaultsOnlyItsChannel() throws Exception {
        command(9, "past", 1);
        command(9, "batch:2:64", 2);
        onlyNineFaulted("lies outside the receive buffer's " + 32 * BufferedHostMain.SLOT + " bytes (recv:");
        assertTrue(received.get(9).stream().noneMatch(p -> p.transferPages() != null),
                "the device never saw the packet");
    }

    @Test
    void aCompletionForAnIdTheGuestNeverSentFaultsOnlyItsChannel() throws Exception {
        command(9, "unissued", 1);
        GuestPages pages = ports.get(9).channel().guestMemory().allocate(1);
        send(9, OutboundPacket.gpaDirect(new GpaRanges().addPage(16, 0, pages.pfn(0)), NVSP_107, 50));
        onlyNineFaulted("completed transaction id " + (50 + 0x5A5A_0000_0000L) + ", which this end never sent");
        pages.close();
    }

    @Test
    void aCompletionForAnIdTheGuestSentIsDeliveredAndTheChannelStaysOpen() throws Exception {
        GuestPages pages = ports.get(9).channel().guestMemory().allocate(1);
        send(9, OutboundPacket.gpaDirect(new GpaRanges().addPage(16, 0, pages.pfn(0)), NVSP_107, 51));
        Packet completion = null;
        for (int i = 0; i < 3 && completion == null; i++) {
            Packet p = await("a packet on relid 9").atMost(10, TimeUnit.SECONDS)
                    .until(received.get(9)::poll, Objects::nonNull);
            completion = p.isCompletion() ? p : null;
        }
        assertNotNull(completion);
        assertEquals(51, completion.transactionId());
        assertEquals("open", state(9));
        assertEquals(0, channel(9).getJsonObject("stats").getJsonObject("outstanding").getInteger("completionsAwaited"));
        pages.close();
    }
}
