package dev.vmbus.transport.uio;

import dev.vmbus.agent.Agent;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.device.netvsc.NetvscHandler;
import dev.vmbus.host.nic.HostNic;
import dev.vmbus.net.LoopbackPort;
import dev.vmbus.os.PageSize;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The synthetic NIC brought up through the whole agent over the uio transport on a fixture tree (issue 21): the
 * NIC's device on uio with its receive and send buffers as uio maps 3 and 4 ({@code recv:N}, {@code send:N}, spec
 * netvsc-and-buffers.md §2), the simulated host's {@link HostNic} on the other ends of the ring file and of those
 * two buffer files (what Hyper-V and the kernel share with the guest by GPADL), interrupting through the socket
 * pair. Bring-up names the buffers by the handles of the maps' names (§4); a frame the guest sends goes out in a
 * send section of map 4, the host's loopback backend returns it, and it comes back in the receive buffer, map 3.
 * No guest memory: uio's would need page frame numbers, so control messages go through a send section.
 */
class UioNicEndToEndTest extends UioAgentTest {
    static final long PAGE = PageSize.system();
    static final UUID INSTANCE = UUID.fromString("6e6f8ec4-5f49-44a9-8b9e-9d2c1b3a4f01");
    static final int RELID = 21;
    static final int RING = 64 * 1024;
    static final int RECV_GPADL = HostTransport.FIRST_GPADL;
    static final long RECV_BYTES = 256 * 1024;
    static final long SEND_BYTES = 128 * 1024;


    @Test
    void theNicComesUpOverUioWithMaps3And4AsItsBuffersAndMovesAFrameEachWay() throws Exception {
        SysfsFixture fixture = new SysfsFixture(tmp);
        fixture.device(INSTANCE.toString(), "{" + HostNic.CLASS_ID + "}\n", "{" + INSTANCE + "}\n", RELID, "uio3",
                2L * RING);
        fixture.bufferMap("uio3", 3, "recv:" + RECV_GPADL, RECV_BYTES);
        fixture.bufferMap("uio3", 4, "send:" + (RECV_GPADL + 1), SEND_BYTES);
        Path map3 = fixture.maps("uio3").resolve("map3/buffer");
        Path map4 = fixture.maps("uio3").resolve("map4/buffer");

        hostVertx = Vertx.vertx();
        Context hostContext = hostVertx.getOrCreateContext();
        Offer offer = new Offer(RELID, HostNic.CLASS_ID, INSTANCE, 0, RING);
        FixtureHost transport = new FixtureHost();
        VmbusConfig.Nic nicConfig = ConfigLoader.parse(new JsonObject().put("host", new JsonObject().put("nic",
                new JsonObject().put("enabled", true).put("backend", "loopback"))).encode(), "test").host().nic();
        LoopbackPort port = new LoopbackPort(LoopbackPort.DEFAULT_CAPACITY, nicConfig.mtu() + HostNic.ETHERNET_HEADER);
        HostNic host = OnContext.call(hostContext, () -> {
            HostNic n = new HostNic(hostContext, transport, offer, nicConfig,
                    new HostTransport.Buffers(RECV_BYTES, SEND_BYTES), null, port, index -> RELID + index);
            return n.start().map(x -> n);
        }).await(10, TimeUnit.SECONDS);
        HostTransport.ChannelListener listener = transport.listener.future().await(10, TimeUnit.SECONDS);

        // Opening /dev/uioN makes the kernel initialise the rings and open the channel; the host's end then maps the
        // same ring file and the same two buffer files.
        FixtureNodes nodes = new FixtureNodes(fixture, true, (device, pair) -> {
            try {
                FixtureHostLink link = new FixtureHostLink(offer, device.device().dir().resolve("channels/" + RELID + "/ring"),
                        (int) PAGE, pair, hostContext, Map.of(
                                new ChannelBuffer.Name(ChannelBuffer.Kind.RECEIVE, RECV_GPADL), map3,
                                new ChannelBuffer.Name(ChannelBuffer.Kind.SEND, RECV_GPADL + 1), map4));
                hostContext.runOnContext(v -> listener.opened(link));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        VmbusConfig config = ConfigLoader.parse(new JsonObject()
                .put("transport", new JsonObject().put("type", "uio").put("sysfsRoot", tmp.toString())
                        .put("kernel", new JsonObject().put("release", "6.16.0")))
                .put("devices", new JsonObject().put("netvsc", new JsonObject().put("enabled", true)
                        .put("backend", "eventbus").put("tap", "uionic0").put("controlOverSection", true)))
                .put("dashboard", new JsonObject().put("enabled", false)).encode(), "test");
        Queue<Buffer> received = new ConcurrentLinkedQueue<>();
        agent = Agent.builder(config).handlers(List.of(new NetvscHandler())).uioNodes(nodes).start();
        agent.vertx().eventBus().<Buffer>localConsumer("vmbus.netvsc.uionic0.rx", m -> received.add(m.body()));

        await("the NIC active on the host").atMost(10, TimeUnit.SECONDS)
                .until(() -> host.phase() == HostNic.Phase.ACTIVE && host.linkUp() && state(host, hostContext)
                        .getLong("packetFilter", 0L) != 0);
        JsonObject state = state(host, hostContext);
        assertEquals(HostNic.Phase.ACTIVE.name().toLowerCase(), state.getString("phase"), state.encode());
        // The host took the buffers by the handles of map 3's and map 4's names: slots over map 3, sections over 4.
        assertEquals(RECV_BYTES / state.getJsonObject("receiveSlots").getLong("size"),
                state.getJsonObject("receiveSlots").getLong("count"), state.encode());
        assertEquals(SEND_BYTES / HostNic.SECTION_SIZE, state.getJsonObject("sendSections").getLong("count"),
                state.encode());

        // A frame out (a send section in map 4) and, echoed by the host's loopback backend, back in (map 3).
        byte[] frame = new byte[200];
        for (int i = 0; i < frame.length; i++) {
            frame[i] = (byte) (0xA5 ^ i * 7);
        }
        System.arraycopy(new byte[] {0x00, 0x15, 0x5d, 0x56, 0x4d, 0x01}, 0, frame, 0, 6); // to the host's MAC
        frame[12] = (byte) 0x88;
        frame[13] = (byte) 0xB5; // local experimental EtherType
        Buffer back;
        try {
            // sent again every 200 ms until one comes back, 10 s in all
            back = await("the frame back").atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200)).until(() -> {
                Buffer in = received.poll();
                if (in == null) {
                    agent.vertx().eventBus().send("vmbus.netvsc.uionic0.tx", Buffer.buffer(frame));
                }
                return in;
            }, Objects::nonNull);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("no frame came back: " + state(host, hostContext).encode(), e);
        }
        assertArrayEquals(frame, back.getBytes());
        assertTrue(contains(Files.readAllBytes(map4), frame), "the frame did not go through map 4's send sections");
        assertTrue(contains(Files.readAllBytes(map3), frame), "the frame did not come back through map 3");
        JsonObject after = state(host, hostContext);
        assertTrue(after.getJsonObject("port").getLong("framesIn") >= 1
                && after.getJsonObject("port").getLong("framesOut") >= 1, after.encode());
    }

    private static JsonObject state(HostNic host, Context hostContext) throws Exception {
        return OnContext.supply(hostContext, host::state).await(10, TimeUnit.SECONDS);
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /**
     * The host's side of the fixture: the offer and its sysfs device are the test's; the channel opens when the
     * guest opens the device's {@code /dev/uioN} ({@link FixtureNodes}), whose callback hands the listener the link.
     */
    private static final class FixtureHost implements HostTransport {
        final Promise<ChannelListener> listener = Promise.promise();

        @Override
        public Future<Void> start() {
            return Future.succeededFuture();
        }

        @Override
        public Future<Void> offer(Offer offer, Buffers buffers, ChannelListener l) {
            return offer(offer, l);
        }

        @Override
        public Future<Void> offer(Offer offer, ChannelListener l) {
            listener.tryComplete(l);
            return Future.succeededFuture();
        }

        @Override
        public Future<Void> rescind(int relid) {
            listener.future().onSuccess(l -> l.closed(relid, EndReason.of(EndReason.Kind.HOST_RESCINDED, "rescinded")));
            return Future.succeededFuture();
        }

        @Override
        public boolean guestConnected() {
            return true;
        }

        @Override
        public Future<Void> close() {
            return Future.succeededFuture();
        }
    }
}
