package dev.vmbus.bench;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Packet;
import dev.vmbus.host.ReceiveSlots;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.TransferPageRanges;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.HostTransport;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The host end of {@code vmbus bench stream}: the simulated host's receive path ({@link ReceiveSlots}, as
 * {@code host.BufferedHostChannel} uses it) streaming one way. It copies each message, its sequence number in its
 * first 8 bytes, into a free receive-buffer slot, sends {@code ranges} messages per transfer-page packet (NVSP 107
 * in band, completion requested), and sends more as the guest's completions free slots: the guest's credit and
 * the slots are the only flow control. Everything on its context.
 */
final class StreamHost implements HostTransport.ChannelListener {
    static final byte[] NVSP_107 = {107, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, 0, 0, 0, 0};

    private final Context context;
    private final int slotSize;
    private final int payload;
    private final int ranges;
    private final Promise<Void> opened = Promise.promise();
    private final List<byte[]> messages = new ArrayList<>();
    /** The messages' first 8 bytes (their sequence numbers), viewed once. */
    private final ByteBuffer[] sequences;
    /** The ranges of the next batch, reused while each send goes on the ring at once. */
    private TransferPageRanges batchRanges;
    private ChannelDriver driver;
    private ReceiveSlots slots;
    private boolean running;
    private long nextSeq;
    /** Messages the guest completed (all of a packet's ranges at once). */
    private long completedMessages;
    private long completedPackets;
    private String failure;

    StreamHost(Context context, int payload, int ranges) {
        this.context = context;
        this.slotSize = RingStream.slotSize(payload);
        this.payload = payload;
        this.ranges = ranges;
        for (int i = 0; i < ranges; i++) {
            byte[] m = new byte[payload];
            for (int j = 8; j < payload; j++) {
                m[j] = (byte) j;
            }
            messages.add(m);
        }
        sequences = messages.stream().map(m -> ByteBuffer.wrap(m).order(ByteOrder.nativeOrder())).toArray(ByteBuffer[]::new);
        batchRanges = new TransferPageRanges(ranges);
    }

    Context context() {
        return context;
    }

    Future<Void> opened() {
        return opened.future();
    }

    @Override
    public void opened(ChannelLink link) {
        ChannelBuffer receive = link.buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow(() ->
                new IllegalStateException("the stream channel has no receive buffer"));
        slots = new ReceiveSlots(receive, slotSize);
        driver = ChannelDriver.host(link, context, 0, this::onPacket);
        opened.tryComplete();
    }

    @Override
    public void closed(int relid, EndReason reason) {
        running = false;
        if (failure == null) {
            failure = "the channel ended: " + reason;
        }
    }

    /** Starts (or restarts) streaming; returns the messages completed so far. */
    long start() {
        running = true;
        fill();
        return completedMessages;
    }

    /** Stops sending; what is out still completes. Returns the messages completed so far. */
    long stop() {
        running = false;
        return completedMessages;
    }

    long completedPackets() {
        return completedPackets;
    }

    /** Why the stream broke, or null. */
    String failure() {
        return failure;
    }

    private void onPacket(Packet packet) {
        if (packet.type() != PacketType.COMP || !slots.complete(packet.transactionId())) {
            failure = "the guest sent " + packet + ", not a completion of an outstanding batch";
            running = false;
            return;
        }
        completedPackets++;
        completedMessages += ranges;
        fill();
    }

    /** Sends while slots are free and nothing waits for ring space. */
    private void fill() {
        while (running && driver.open() && driver.parkedCount() == 0 && slots.free() >= ranges) {
            for (int i = 0; i < sequences.length; i++) {
                sequences[i].putLong(0, nextSeq++);
            }
            long id = slots.fill(messages, 0xCAFE, batchRanges);
            var sent = driver.send(NVSP_107, id, PacketType.DATA_USING_XFER_PAGES,
                    PacketLayout.FLAG_COMPLETION_REQUESTED, batchRanges, null);
            if (!sent.isComplete()) {
                batchRanges = new TransferPageRanges(ranges); // the parked send keeps these until it is written
                sent.onComplete(ar -> fill()); // parked on pending_send_sz: go on once it is on the ring
            }
        }
    }

    int payload() {
        return payload;
    }
}
