package dev.vmbus.example;

import dev.vmbus.channel.Packet;
import dev.vmbus.ring.GpaRanges;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.TransferPageRanges;
import dev.vmbus.spi.BatchHandler;
import dev.vmbus.spi.ChannelPort;
import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceChannel;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.spi.OutboundPacket;
import dev.vmbus.spi.Reply;
import dev.vmbus.spi.SendSections;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.GuestPages;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The second example, in docs/PLUGIN-SPI.md: a device that uses what the synthetic NIC uses, each in a few lines. It
 * mirrors every message the host sends through its receive buffer back through its send buffer, on its primary
 * channel and on the subchannels it asks for. Its protocol (in-band words are little-endian 32-bit integers):
 * <ul>
 *   <li>guest to host, once the primary is open: {@code HELLO} ({@code [1]}), GPA-direct, transaction id
 *       {@link #HELLO_ID}: its range names a page of guest memory holding {@link #GREETING}; the host completes
 *       it, and the page goes back;</li>
 *   <li>guest to host, then: {@code SUBCHANNELS} ({@code [2, n]}) when {@code devices.mirror.subchannels} is n
 *       &gt; 0; the host offers n subchannels, and each mirrors as the primary does;</li>
 *   <li>host to guest: a transfer-page packet (completion requested), one message per range in the receive
 *       buffer;</li>
 *   <li>guest to host, for each of its messages: {@code MIRROR} ({@code [3, section, length]}), completion
 *       requested, transaction id = the section: the message is in that {@link #SECTION_SIZE}-byte section of
 *       the send buffer. Then the guest completes the transfer-page packet, and its slots go back;</li>
 *   <li>host to guest: the completion of each {@code MIRROR}: the section is free again.</li>
 * </ul>
 * The host keeps at most as many messages un-mirrored as the send buffer has sections: a message longer than a
 * section, or one more than the free sections hold, faults that channel, as any host mistake does.
 */
public final class MirrorHandler implements DevicePlugin<MirrorHandler.Settings> {
    public static final UUID CLASS_ID = UUID.fromString("a1b2c3d4-0000-4000-8000-0000000b0ff0");
    public static final int HELLO = 1;
    public static final int SUBCHANNELS = 2;
    public static final int MIRROR = 3;
    /** Bytes per send section; the send buffer holds {@code size / SECTION_SIZE} of them. */
    public static final int SECTION_SIZE = 4096;
    /** The HELLO packet's transaction id (a MIRROR's is its section, which is smaller). */
    public static final long HELLO_ID = 1L << 40;
    public static final String GREETING = "mirror 1.0";

    /** @param subchannels how many subchannels to ask for (0 to 64) */
    public record Settings(int subchannels) {
        static final Settings DEFAULTS = new Settings(0);

        public Settings {
            if (subchannels < 0 || subchannels > 64) {
                throw new IllegalArgumentException("'subchannels' must be 0..64, got " + subchannels);
            }
        }
    }

    @Override public String name() { return "mirror"; }
    @Override public List<UUID> classIds() { return List.of(CLASS_ID); }
    @Override public boolean enabledByDefault() { return false; }

    @Override public Settings settings(DeviceContext context) {
        return context.settings(Settings.class, Settings.DEFAULTS);
    }

    @Override public Device device(Settings settings, DeviceContext context) {
        return new Mirror(settings.subchannels());
    }

    /** Little-endian 32-bit words: this protocol's in-band messages. */
    static byte[] words(long... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putInt((int) v);
        }
        return b.array();
    }

    static final class Mirror implements Device {
        private final int subchannels;
        // The ports and the sections are used from each channel's context (batches) and the device's own.
        private final Map<Integer, ChannelPort> ports = new ConcurrentHashMap<>();
        private final Map<Integer, Integer> subchannelIndex = new ConcurrentHashMap<>();
        private final AtomicLong mirrored = new AtomicLong();
        // By instance: a primary's subchannels share its send buffer, so they share its sections.
        private final Map<UUID, SendSections> sections = new ConcurrentHashMap<>();
        private final Map<UUID, GuestPages> greetings = new ConcurrentHashMap<>();

        Mirror(int subchannels) { this.subchannels = subchannels; }

        @Override public Future<Reply> handle(Packet packet) {    // never called: every channel takes batches
            return Future.failedFuture("mirror takes its packets in batches");
        }

        // 1. Batches: each channel's packets a drain pass at a time, on that channel's context.
        @Override public BatchHandler batchHandler(ChannelPort port) {
            ports.put(port.relid(), port);
            if (port.channel().offer().subchannel() == 0) {
                sections.put(port.channel().offer().instanceId(), port.sendSections(SECTION_SIZE));
            }
            SendSections mine = sections.get(port.channel().offer().instanceId());
            return batch -> batch.forEach(packet -> received(port, mine, packet));
        }

        // 2. GPA-direct and subchannels: once the primary is open, greet the host from guest memory, ask for more.
        @Override public void channelOpened(DeviceChannel channel) {
            if (channel.offer().subchannel() != 0) {
                return;
            }
            ChannelPort port = ports.get(channel.relid());
            GuestPages page = channel.guestMemory().allocate(1);
            byte[] text = GREETING.getBytes(StandardCharsets.UTF_8);
            MemorySegment.copy(text, 0, page.memory(), ValueLayout.JAVA_BYTE, 0, text.length);
            greetings.put(channel.offer().instanceId(), page);
            GpaRanges range = new GpaRanges().addPage(text.length, 0, page.pfn(0));
            port.send(OutboundPacket.gpaDirect(range, words(HELLO), HELLO_ID));
            if (subchannels > 0) {
                port.send(new OutboundPacket(words(SUBCHANNELS, subchannels), 0, PacketType.DATA_INBAND, 0));
            }
        }

        @Override public void subchannelOpened(int primaryRelid, int relid, int index) {
            subchannelIndex.put(relid, index);
        }

        // 3. Transfer pages in, send sections out: read each range in place, copy it into a section, name it.
        private void received(ChannelPort port, SendSections sections, Packet packet) {
            switch (packet.type()) {
                case PacketType.DATA_USING_XFER_PAGES -> {
                    ChannelBuffer receive = port.channel().buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow();
                    TransferPageRanges ranges = packet.transferPages();     // the packet's own validated copy
                    for (int i = 0; i < ranges.count(); i++) {
                        long length = Integer.toUnsignedLong(ranges.byteCount(i));
                        if (length > SECTION_SIZE) {
                            throw new IllegalArgumentException("message " + i + " of transfer-page packet "
                                    + packet.transactionId() + " has " + length + " bytes, more than a section");
                        }
                        int section = sections.take();
                        if (section < 0) {
                            throw new IllegalStateException("the host sent more messages than the "
                                    + sections.count() + " send sections hold before completing their mirrors");
                        }
                        // In place (no copy out of the receive buffer); slice refuses a range outside it.
                        MemorySegment message = receive.slice(Integer.toUnsignedLong(ranges.byteOffset(i)), length);
                        sections.section(section).copyFrom(message);
                        port.send(new OutboundPacket(words(MIRROR, section, length), section, PacketType.DATA_INBAND,
                                PacketLayout.FLAG_COMPLETION_REQUESTED));
                        mirrored.incrementAndGet();
                    }
                    port.complete(packet, new byte[0]);                     // the slots go back to the host
                }
                case PacketType.COMP -> completed(port, sections, packet.transactionId());
                default -> throw new IllegalArgumentException("mirror does not expect " + packet);
            }
        }

        // 4. The host's completions: the greeting's page, or a section, is free again.
        private void completed(ChannelPort port, SendSections sections, long transactionId) {
            if (transactionId == HELLO_ID && port.channel().offer().subchannel() == 0) {
                GuestPages page = greetings.remove(port.channel().offer().instanceId());
                if (page == null) {
                    throw new IllegalArgumentException("the host completed HELLO twice");
                }
                page.close();
            } else if (transactionId >= 0 && transactionId < sections.count()) {
                sections.give((int) transactionId);                          // refuses a section not in use
            } else {
                throw new IllegalArgumentException("the host completed transaction id " + transactionId
                        + ", which this device never sent");
            }
        }

        @Override public JsonObject state() {
            JsonArray subs = new JsonArray();
            new java.util.TreeMap<>(subchannelIndex).forEach((relid, index) ->
                    subs.add(new JsonObject().put("relid", relid).put("index", index)));
            return new JsonObject().put("mirrored", mirrored.get())
                    .put("sectionsInUse", sections.values().stream().mapToInt(SendSections::inUse).sum())
                    .put("subchannels", subs);
        }

        @Override public void channelEnded(int relid) {
            ChannelPort port = ports.remove(relid);
            subchannelIndex.remove(relid);
            if (port != null && port.channel().offer().subchannel() == 0) {
                sections.remove(port.channel().offer().instanceId());
                GuestPages page = greetings.remove(port.channel().offer().instanceId());
                if (page != null) {
                    page.close();    // the host never completed the greeting; the channel is gone, so is the packet
                }
            }
        }
    }
}
