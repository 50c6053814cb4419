package dev.vmbus.bench;

import dev.vmbus.channel.Packet;
import dev.vmbus.spi.BatchHandler;
import dev.vmbus.spi.ChannelPort;
import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.spi.NoSettings;
import dev.vmbus.spi.Reply;
import dev.vmbus.transport.ChannelBuffer;
import io.vertx.core.Future;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.UUID;

/**
 * The guest device of {@code vmbus bench stream}: reads each transfer-page range in place in the receive buffer,
 * checks the message's sequence number (a lost, repeated or reordered message fails the run by faulting the
 * channel), and completes the packet. {@code batched}: a drain batch at a time on the channel's context through
 * its {@link ChannelPort}; otherwise one event-bus request per packet answered with {@link Reply#complete}.
 * Not installed in the agent; the bench passes it in.
 */
record StreamPlugin(boolean batched, int credit) implements DevicePlugin<NoSettings> {
    /** A class GUID of the bench's own. */
    static final UUID CLASS_ID = UUID.fromString("b3c5e1f0-5e7a-4d1e-9a2b-7c0d5e6f1a2b");
    private static final byte[] EMPTY = new byte[0];

    @Override
    public String name() {
        return "stream";
    }

    @Override
    public List<UUID> classIds() {
        return List.of(CLASS_ID);
    }

    @Override
    public NoSettings settings(DeviceContext context) {
        return NoSettings.of(context);
    }

    @Override
    public Device device(NoSettings settings, DeviceContext context) {
        return new StreamDevice(batched);
    }

    /** Checks each message's sequence; one instance per agent, one channel. */
    static final class StreamDevice implements Device {
        private final boolean batched;
        private volatile ChannelBuffer receive;
        private long expected;

        StreamDevice(boolean batched) {
            this.batched = batched;
        }

        @Override
        public void channelOpened(dev.vmbus.spi.DeviceChannel channel) {
            receive = channel.buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow();
        }

        @Override
        public BatchHandler batchHandler(ChannelPort port) {
            if (!batched) {
                return null;
            }
            ChannelBuffer recv = port.channel().buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow();
            return batch -> {
                for (Packet p : batch) {
                    check(recv, p);
                    port.complete(p, EMPTY);
                }
            };
        }

        @Override
        public Future<Reply> handle(Packet packet) {
            check(receive, packet);
            return Future.succeededFuture(Reply.complete(packet, EMPTY));
        }

        private void check(ChannelBuffer recv, Packet p) {
            if (p.transferPages() == null) {
                throw new IllegalStateException("expected transfer pages, got " + p);
            }
            for (int i = 0; i < p.transferPages().count(); i++) {
                MemorySegment m = recv.slice(Integer.toUnsignedLong(p.transferPages().byteOffset(i)),
                        p.transferPages().byteCount(i));
                long seq = m.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
                if (seq != expected) {
                    throw new IllegalStateException("message " + seq + " where " + expected + " was due");
                }
                expected++;
            }
        }
    }
}
