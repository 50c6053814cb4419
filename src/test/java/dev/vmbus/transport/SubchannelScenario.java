package dev.vmbus.transport;

import dev.vmbus.bus.Addresses;
import dev.vmbus.bus.ChannelEvent;
import dev.vmbus.bus.DeviceRegistry;
import dev.vmbus.bus.LocalCodec;
import dev.vmbus.bus.VmbusVerticle;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.Packet;
import dev.vmbus.config.TransportType;
import dev.vmbus.ring.PacketType;
import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.spi.NoSettings;
import dev.vmbus.spi.OutboundPacket;
import dev.vmbus.spi.Reply;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Subchannels through the whole agent: a plug-in asks the host for two over its primary (a {@link BufferHostLogic}
 * command standing for NVSP's subchannel request), the host offers them with the primary's class and instance,
 * the agent opens each and tells the same device their index, and packets flow on each with the primary's buffers.
 */
public final class SubchannelScenario {
    /** One device of class {@code classId} that records what it is told. */
    public static final class Plugin implements DevicePlugin<NoSettings> {
        private final UUID classId;
        public final Queue<Packet> packets = new ConcurrentLinkedQueue<>();
        public final Queue<List<Integer>> subchannels = new ConcurrentLinkedQueue<>();
        public final Queue<dev.vmbus.spi.DeviceChannel> opened = new ConcurrentLinkedQueue<>();

        public Plugin(UUID classId) {
            this.classId = classId;
        }

        @Override
        public String name() {
            return "subtest";
        }

        @Override
        public List<UUID> classIds() {
            return List.of(classId);
        }

        @Override
        public NoSettings settings(DeviceContext context) {
            return NoSettings.of(context);
        }

        @Override
        public Device device(NoSettings settings, DeviceContext context) {
            return new Device() {
                @Override
                public Future<Reply> handle(Packet packet) {
                    packets.add(packet);
                    return Future.succeededFuture(Reply.none());
                }

                @Override
                public void channelOpened(dev.vmbus.spi.DeviceChannel channel) {
                    opened.add(channel);
                }

                @Override
                public void subchannelOpened(int primaryRelid, int relid, int index) {
                    subchannels.add(List.of(primaryRelid, relid, index));
                }
            };
        }
    }

    private SubchannelScenario() {
    }

    /**
     * Runs the scenario on an agent over {@code guest}, whose host serves one {@code classId} channel at
     * {@code primaryRelid} with {@link BufferHostLogic} (its {@code transport} set).
     */
    public static void run(Vertx vertx, GuestTransport guest, UUID classId, int primaryRelid) throws Exception {
        Plugin plugin = new Plugin(classId);
        DeviceRegistry registry = DeviceRegistry.of(List.of(plugin), Map.of(), TransportType.SIM);
        LocalCodec.register(vertx);
        Queue<ChannelEvent> opened = new ConcurrentLinkedQueue<>();
        vertx.eventBus().<ChannelEvent>localConsumer(Addresses.CHANNELS, m -> {
            if (m.body().state() == ChannelState.OPEN) {
                opened.add(m.body());
            }
        });
        vertx.deployVerticle(new VmbusVerticle(guest, registry, 0)).await(10, TimeUnit.SECONDS);
        ChannelEvent primary = next(opened, "the primary opened");
        assertEquals(primaryRelid, primary.relid());

        send(vertx, primaryRelid, "subchannels:2", 1);
        assertEquals("offered 2", text(next(plugin.packets, "the host's answer to 'subchannels:2'")));
        List<Integer> first = next(plugin.subchannels, "the device told of a subchannel");
        List<Integer> second = next(plugin.subchannels, "the device told of the second subchannel");
        List<List<Integer>> told = first.get(2) == 1 ? List.of(first, second) : List.of(second, first);
        assertEquals(List.of(List.of(primaryRelid, 20, 1), List.of(primaryRelid, 21, 2)), told);

        // Each subchannel carries its own packets to the same device, and shares the primary's buffers.
        send(vertx, primaryRelid, "names", 2);
        String names = text(next(plugin.packets, "the host's answer to 'names'"));
        // The device was given every channel with the device's one pair of buffers, by GPADL handle.
        java.util.Set<Integer> relids = new java.util.TreeSet<>();
        for (int i = 0; i < 3; i++) {
            dev.vmbus.spi.DeviceChannel channel = next(plugin.opened, "channelOpened " + i);
            relids.add(channel.relid());
            StringBuilder b = new StringBuilder();
            channel.buffers().forEach(x -> b.append(b.isEmpty() ? "" : " ").append(x.name()));
            assertEquals(names, b.toString(), "buffers of relid " + channel.relid());
            assertNotNull(channel.guestMemory());
        }
        assertEquals(java.util.Set.of(primaryRelid, 20, 21), relids);
        for (int relid : new int[] {20, 21}) {
            send(vertx, relid, "where", 10 + relid);
            Packet where = next(plugin.packets, "the answer to 'where' on relid " + relid);
            assertEquals(relid, where.relid());
            assertEquals(10L + relid, where.transactionId());
            assertEquals("relid " + relid + " subchannel " + (relid - 19), text(where));
            send(vertx, relid, "names", 3);
            assertEquals(names, text(next(plugin.packets, "the answer to 'names' on relid " + relid)));
        }
    }

    private static void send(Vertx vertx, int relid, String text, long id) throws Exception {
        vertx.eventBus().request(Addresses.channelSend(relid), new OutboundPacket(
                text.getBytes(StandardCharsets.US_ASCII), id, PacketType.DATA_INBAND, 0)).await(10, TimeUnit.SECONDS);
    }

    /** The next item {@code queue} gets, waiting up to 10 s for it. */
    private static <T> T next(Queue<T> queue, String what) {
        return await(what).atMost(10, TimeUnit.SECONDS).until(queue::poll, Objects::nonNull);
    }

    private static String text(Packet p) {
        assertNotNull(p, "no packet");
        return new String(p.payload(), StandardCharsets.US_ASCII).replace("\0", "").trim();
    }
}
