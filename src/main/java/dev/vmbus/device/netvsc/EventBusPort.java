package dev.vmbus.device.netvsc;

import dev.vmbus.net.FramePort;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.MessageConsumerOptions;

import java.util.concurrent.Executor;

/**
 * The {@code eventbus} backend: every frame the NIC receives from the host is published as a {@link Buffer} on
 * {@link #rxAddress} ({@code vmbus.netvsc.<name>.rx}), and every {@link Buffer} sent to {@link #txAddress}
 * ({@code vmbus.netvsc.<name>.tx}) goes out through the NIC as one frame (docs/METRICS.md).
 *
 * <p>Back-pressure: {@link #pause()} pauses the consumer, which keeps up to {@link #MAX_BUFFERED} frames and drops
 * older ones beyond (Vert.x's rule), as a full NIC queue would. Frames shorter than an Ethernet header or longer
 * than the NIC's largest frame are dropped and counted.
 *
 * <p>Threads: made and used on the NIC's context; the counters are read by {@link #stats()} there too.
 */
final class EventBusPort implements FramePort {
    /** Frames the paused consumer keeps. */
    static final int MAX_BUFFERED = 1024;
    private static final int ETHERNET_HEADER = 14;

    /** The port's only tie to Vert.x. */
    private final EventBus bus;
    private final String name;
    /** {@link #rxAddress} of the name, made once: every frame sent is published there. */
    private final String rx;
    private final int maxFrame;
    private MessageConsumer<Buffer> consumer;
    private long framesIn;
    private long bytesIn;
    private long framesOut;
    private long bytesOut;
    private long dropsTooLong;
    private boolean closed;

    EventBusPort(Vertx vertx, String name, int maxFrame) {
        this.bus = vertx.eventBus();
        this.name = name;
        this.rx = rxAddress(name);
        this.maxFrame = maxFrame;
    }

    /** Where the NIC's received frames are published. */
    static String rxAddress(String name) {
        return "vmbus.netvsc." + name + ".rx";
    }

    /** Where frames to send through the NIC are consumed. */
    static String txAddress(String name) {
        return "vmbus.netvsc." + name + ".tx";
    }

    @Override
    public void startBursts(Executor deliver, Receiver toNic) {
        if (consumer != null) {
            throw new IllegalStateException("event-bus port " + name + " already started");
        }
        consumer = bus.consumer(new MessageConsumerOptions().setAddress(txAddress(name))
                .setLocalOnly(true).setMaxBufferedMessages(MAX_BUFFERED), m -> {
            Object body = m.body();
            if (!(body instanceof Buffer buffer) || buffer.length() < ETHERNET_HEADER || buffer.length() > maxFrame) {
                dropsTooLong++;
                return;
            }
            byte[] frame = buffer.getBytes();
            framesIn++;
            bytesIn += frame.length;
            deliver.execute(() -> toNic.frame(frame, frame.length, false));
        });
    }

    @Override
    public boolean send(byte[] frame, int offset, int length) {
        if (closed) {
            return false;
        }
        bus.publish(rx, Buffer.buffer(length).appendBytes(frame, offset, length));
        framesOut++;
        bytesOut += length;
        return true;
    }

    @Override
    public void pause() {
        if (consumer != null) {
            consumer.pause();
        }
    }

    @Override
    public void resume() {
        if (consumer != null) {
            consumer.resume();
        }
    }

    @Override
    public Stats stats() {
        return new Stats(framesIn, bytesIn, framesOut, bytesOut, 0, dropsTooLong);
    }

    @Override
    public void close() {
        closed = true;
        if (consumer != null) {
            consumer.unregister();
        }
    }
}
