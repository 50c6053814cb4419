package dev.vmbus.device.netvsc;

import dev.vmbus.net.FramePort;
import dev.vmbus.net.Vlan;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.MessageConsumerOptions;

import java.util.concurrent.Executor;
import java.util.logging.Logger;

/**
 * The {@code eventbus} backend: every frame the NIC receives from the host is published as a {@link Buffer} on
 * {@link #rxAddress} ({@code vmbus.netvsc.<name>.rx}), and every {@link Buffer} sent to {@link #txAddress}
 * ({@code vmbus.netvsc.<name>.tx}) goes out through the NIC as one frame (docs/METRICS.md).
 *
 * <p>Back-pressure: {@link #pause()} pauses the consumer, which keeps up to {@link #MAX_BUFFERED} frames and drops
 * older ones beyond (Vert.x's rule), as a full NIC queue would. Frames shorter than an Ethernet header or longer
 * than the NIC's largest frame are dropped and counted; a body that is not a {@link Buffer} is dropped and logged
 * (once per port: it is the sender's bug, not traffic). A sender that asked for a reply ({@code request}) gets an
 * empty one when the frame is taken (queued for the host, not yet sent) and a failure, code
 * {@link #REFUSED}, with the reason when it is not.
 *
 * <p>Threads: made and used on the NIC's context; the counters are read by {@link #stats()} there too.
 */
final class EventBusPort implements FramePort {
    /** Frames the paused consumer keeps. */
    static final int MAX_BUFFERED = 1024;
    private static final int ETHERNET_HEADER = 14;
    /** The failure code of a refused frame's reply. */
    static final int REFUSED = 400;
    private static final Logger LOG = Logger.getLogger(EventBusPort.class.getName());

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
    private boolean wrongBodyLogged;

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
            if (!(body instanceof Buffer buffer)) {
                String why = "a frame for " + txAddress(name) + " is a Buffer, not "
                        + (body == null ? "null" : body.getClass().getName());
                if (!wrongBodyLogged) {
                    wrongBodyLogged = true;
                    LOG.warning(why + " (dropped; said once per NIC)");
                }
                refuse(m, why);
                return;
            }
            byte[] frame = buffer.getBytes();
            int length = frame.length;
            if (length < ETHERNET_HEADER || Vlan.tooLong(frame, 0, length, maxFrame)) {
                dropsTooLong++;
                refuse(m, "a frame of " + length + " bytes is outside " + ETHERNET_HEADER + ".." + (maxFrame - Vlan.TAG)
                        + " bytes (an Ethernet header to the NIC's largest frame; " + maxFrame + " with an 802.1Q tag)");
                return;
            }
            framesIn++;
            bytesIn += frame.length;
            deliver.execute(() -> toNic.frame(frame, frame.length, false));
            if (m.replyAddress() != null) {
                m.reply(null);
            }
        });
    }

    private static void refuse(Message<?> m, String why) {
        if (m.replyAddress() != null) {
            m.fail(REFUSED, why);
        }
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
