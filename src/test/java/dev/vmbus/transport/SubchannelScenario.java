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
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

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
        public final LinkedBlockingQueue<Packet> packets = new LinkedBlockingQueue<>();
        public final LinkedBlockingQueue<List<Integer>> subchannels = new LinkedBlockingQueue<>();
        public final LinkedBlockingQueue<dev.vmbus.spi.DeviceChannel> opened = new LinkedBlockingQueue<>();

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
        LinkedBlockingQueue<ChannelEvent> opened = new LinkedBlockingQueue<>();
        vertx.eventBus().<ChannelEvent>localConsumer(Addresses.CHANNELS, m -> {
            if (m.body().state() == ChannelState.OPEN) {
                opened.add(m.body());
            }
        });
        vertx.deployVerticle(new VmbusVerticle(guest, registry, 0)).await(10, TimeUnit.SECONDS);
        ChannelEvent primary = opened.poll(10, TimeUnit.SECONDS);
        assertNotNull(primary, "primary not opened");
        assertEquals(primaryRelid, primary.relid());

        send(vertx, primaryRelid, "subchannels:2", 1);
        assertEquals("offered 2", text(plugin.packets.poll(10, TimeUnit.SECONDS)));
        List<Integer> first = plugin.subchannels.poll(10, TimeUnit.SECONDS);
        List<Integer> second = plugin.subchannels.poll(10, TimeUnit.SECONDS);
        assertNotNull(second, "the device was not told of both subchannels: " + first);
        List<List<Integer>> told = first.get(2) == 1 ? List.of(first, second) : List.of(second, first);
        assertEquals(List.of(List.of(primaryRelid, 20, 1), List.of(primaryRelid, 21, 2)), told);

        // Each subchannel carries its own packets to the same device, and shares the primary's buffers.
        send(vertx, primaryRelid, "names", 2);
        String names = text(plugin.packets.poll(10, TimeUnit.SECONDS));
        // The device was given every channel with the device's one pair of buffers, by GPADL handle.
        java.util.Set<Integer> relids = new java.util.TreeSet<>();
        for (int i = 0; i < 3; i++) {
            dev.vmbus.spi.DeviceChannel channel = plugin.opened.poll(10, TimeUnit.SECONDS);
            assertNotNull(channel, "channelOpened " + i);
            relids.add(channel.relid());
            StringBuilder b = new StringBuilder();
            channel.buffers().forEach(x -> b.append(b.isEmpty() ? "" : " ").append(x.name()));
            assertEquals(names, b.toString(), "buffers of relid " + channel.relid());
            assertNotNull(channel.guestMemory());
        }
        assertEquals(java.util.Set.of(primaryRelid, 20, 21), relids);
        for (int relid : new int[] {20, 21}) {
            send(vertx, relid, "where", 10 + relid);
            Packet where = plugin.packets.poll(10, TimeUnit.SECONDS);
            assertNotNull(where);
            assertEquals(relid, where.relid());
            assertEquals(10L + relid, where.transactionId());
            assertEquals("relid " + relid + " subchannel " + (relid - 19), text(where));
            send(vertx, relid, "names", 3);
            assertEquals(names, text(plugin.packets.poll(10, TimeUnit.SECONDS)));
        }
    }

    private static void send(Vertx vertx, int relid, String text, long id) throws Exception {
        vertx.eventBus().request(Addresses.channelSend(relid), new OutboundPacket(
                text.getBytes(StandardCharsets.US_ASCII), id, PacketType.DATA_INBAND, 0)).await(10, TimeUnit.SECONDS);
    }

    private static String text(Packet p) {
        assertNotNull(p, "no packet");
        return new String(p.payload(), StandardCharsets.US_ASCII).replace("\0", "").trim();
    }
}
