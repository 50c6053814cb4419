package dev.vmbus.bus;

import dev.vmbus.spi.BatchHandler;
import dev.vmbus.spi.ChannelPort;
import dev.vmbus.spi.Device;
import dev.vmbus.spi.Reply;

import dev.vmbus.channel.Packet;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs one {@link Device} for the framework: answers the packets its channel verticles hand it over the direct line
 * ({@link #packet}: a context hop each way, no event bus) and those sent to {@code vmbus.device.<name>} (the test
 * kit's probe, a channel whose device did not attach),
 * turns each {@link Reply} into the channel's answer (an {@link Reply#echo() echo} into a response carrying the request's own payload), serves {@code vmbus.device.<name>.state}, and tells the device
 * when one of its channels ends.
 *
 * <p>The answer a channel verticle gets over the direct line is the device's own {@link Reply}, passed through as it
 * is: {@link Reply.None} for no packet, else a {@link Reply.Send} (an {@link Reply.Echo} becomes the one it stands
 * for), whose action runs here once the channel says through {@link #written} that the packet is on the ring (or
 * never will be: then it is skipped and counted). An event-bus sender gets the same reply by reference, in an
 * {@link Answer} whose {@link Answer#written} it calls once the packet is on its ring or never will be (a channel
 * that took the packet over the event bus puts it on the ring with the same code as the direct line); a failed
 * future becomes {@code fail(500, message)}. Either way a failure faults the channel.
 *
 * <p>Threads: the device and {@link #actionsSkipped} are touched on this verticle's context only.
 */
public final class DeviceVerticle extends VerticleBase {
    private static final Logger LOG = Logger.getLogger(DeviceVerticle.class.getName());

    private final String name;
    private final Device device;
    private long actionsSkipped;
    /** Open primary channels of this device's class by instance GUID: where a subchannel belongs. */
    private final java.util.Map<java.util.UUID, Integer> primaries = new java.util.HashMap<>();
    /** Subchannels that opened before their primary did, by instance GUID. */
    private final java.util.Map<java.util.UUID, java.util.List<dev.vmbus.channel.Offer>> early = new java.util.HashMap<>();

    public DeviceVerticle(String name, Device device) {
        this.name = name;
        this.device = device;
    }

    @Override
    public Future<?> start() {
        LocalCodec.register(vertx);
        MessageConsumer<Packet> packets = vertx.eventBus().localConsumer(Addresses.device(name), this::onPacket);
        MessageConsumer<Object> state = vertx.eventBus().localConsumer(Addresses.deviceState(name), this::onState);
        MessageConsumer<ChannelPort> attach = vertx.eventBus().localConsumer(Addresses.deviceAttach(name),
                this::onAttach);
        MessageConsumer<ChannelEvent> channels = vertx.eventBus().localConsumer(Addresses.CHANNELS, m -> {
            if (!name.equals(m.body().className())) {
                return;
            }
            if (m.body().ended()) {
                primaries.values().remove(m.body().relid());
                device.channelEnded(m.body().relid());
            } else if (m.body().state() == dev.vmbus.channel.ChannelState.OPEN) {
                opened(m.body().offer());
            }
        });
        return Future.all(List.of(packets.completion(), state.completion(), channels.completion(), attach.completion()))
                .compose(x -> device.start(vertx));
    }

    /** A channel of this class opened: a primary is remembered, a subchannel is handed to the device with its index. */
    private void opened(dev.vmbus.channel.Offer offer) {
        dev.vmbus.spi.DeviceChannel resources = vertx.sharedData()
                .<Integer, dev.vmbus.spi.DeviceChannel>getLocalMap(ChannelVerticle.RESOURCES).get(offer.relid());
        if (resources != null && resources.offer().equals(offer)) {
            try {
                device.channelOpened(resources);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, name + ": channelOpened failed for relid " + offer.relid(), e);
            }
        }
        openedChannel(offer);
    }

    private void openedChannel(dev.vmbus.channel.Offer offer) {
        if (offer.subchannel() == 0) {
            primaries.put(offer.instanceId(), offer.relid());
            java.util.List<dev.vmbus.channel.Offer> waiting = early.remove(offer.instanceId());
            if (waiting != null) {
                waiting.forEach(this::openedChannel);
            }
            return;
        }
        Integer primary = primaries.get(offer.instanceId());
        if (primary == null) {
            early.computeIfAbsent(offer.instanceId(), k -> new java.util.ArrayList<>()).add(offer);
            return;
        }
        try {
            device.subchannelOpened(primary, offer.relid(), offer.subchannel());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, name + ": subchannelOpened failed for relid " + offer.relid(), e);
        }
    }

    @Override
    public Future<?> stop() {
        return device.stop();
    }

    /** How an {@link Answer} and an {@link Attached} travel: by reference, local only. */
    private static final DeliveryOptions BY_REFERENCE = new DeliveryOptions().setCodecName(LocalCodec.ANY);

    /**
     * What {@code vmbus.device.<name>} answers a packet with: the device's {@link Reply} as the direct line hands it
     * to a channel ({@link Reply.None}, or a {@link Reply.Send}: an echo as the send it stands for), and
     * {@link #written} for the sender that puts it on a ring to say whether it got there. By reference; local only.
     */
    public static final class Answer {
        private final Reply reply;
        private final DeviceVerticle device;
        private final int relid;

        Answer(Reply reply, DeviceVerticle device, int relid) {
            this.reply = reply;
            this.device = device;
            this.relid = relid;
        }

        /** {@link Reply.None} or a {@link Reply.Send}. */
        public Reply reply() {
            return reply;
        }

        /**
         * The reply is on the ring ({@code failure} null) or never will be: runs its action on the device's context,
         * or counts it skipped; nothing for a reply without an action. Call it once. Any thread.
         */
        public void written(Throwable failure) {
            if (reply.afterWrite() != null) {
                device.written(relid, reply.afterWrite(), failure);
            }
        }

        DeviceVerticle device() {
            return device;
        }
    }

    /**
     * What a channel gets when it attaches: the device's batch handler (null for packets one by one) and this
     * verticle, the direct line for packets one by one ({@link #packet}).
     */
    record Attached(BatchHandler batches, DeviceVerticle device) {
    }

    /**
     * One packet from a channel straight to the device, on this verticle's context, without the event bus: a hop
     * there and a hop back, where an event-bus request and its reply cost a reply registration, a timer and two
     * messages each way (issue 19 item 9: on an idle agent, run in the interpreter every 2 s, they were most of its
     * CPU). {@code done} hears the answer on {@code caller}'s context: a {@link Reply.Send} or {@link Reply.None}.
     * Any thread.
     */
    void packet(Packet p, Context caller, Handler<AsyncResult<Reply>> done) {
        context.runOnContext(v -> answer(p, ar -> caller.runOnContext(w -> done.handle(ar))));
    }

    /**
     * The reply to a packet of relid {@code relid} reached the ring ({@code failure} null) or never will: runs its
     * action or counts it skipped, on this verticle's context. Any thread.
     */
    void written(int relid, Runnable action, Throwable failure) {
        context.runOnContext(v -> runAfterWrite(relid, action, failure));
    }

    /**
     * A packet from an event-bus sender: the device's answer goes back by reference as an {@link Answer}, the
     * {@link Reply} the direct line hands a channel, with the way to say whether it reached the ring; a failure as
     * {@code fail(500, message)}.
     */
    private void onPacket(Message<Packet> m) {
        int relid = m.body().relid();
        answer(m.body(), ar -> {
            if (ar.failed()) {
                Throwable cause = ar.cause();
                m.fail(500, ChannelVerticle.describe(cause));
            } else {
                m.reply(new Answer(ar.result(), this, relid), BY_REFERENCE);
            }
        });
    }

    /**
     * The device's answer to {@code p}: its {@link Reply.Send} or {@link Reply.None} as it gave it, an
     * {@link Reply.Echo} as the send it stands for, or a failure for a device that threw or answered with nothing.
     */
    private void answer(Packet p, Handler<AsyncResult<Reply>> done) {
        Future<Reply> answer;
        try {
            answer = device.handle(p);
            if (answer == null) {
                answer = Future.failedFuture(new IllegalStateException(name + " returned no Future<Reply>"));
            }
        } catch (RuntimeException e) {
            answer = Future.failedFuture(e);
        }
        answer.onComplete(ar -> {
            if (ar.failed() || ar.result() instanceof Reply.Send || ar.result() instanceof Reply.None) {
                done.handle(ar);
            } else if (ar.result() instanceof Reply.Echo echo) {
                done.handle(Future.succeededFuture(echo.to(p)));
            } else {
                done.handle(Future.failedFuture(new IllegalStateException(name
                        + " completed its Future<Reply> with null instead of Reply.none()")));
            }
        });
    }

    private void runAfterWrite(int relid, Runnable action, Throwable failure) {
        if (failure != null) {
            actionsSkipped++;
            LOG.warning(name + " channel " + relid + ": the reply never reached the ring, so its"
                    + " action was skipped: " + failure.getMessage());
            return;
        }
        try {
            action.run();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, name + ": the action after a reply failed", e);
        }
    }

    /** A channel of this class is opening: the device says whether it takes its packets in batches. */
    private void onAttach(Message<ChannelPort> m) {
        BatchHandler batches;
        try {
            batches = device.batchHandler(m.body());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, name + ": batchHandler failed for relid " + m.body().relid(), e);
            m.fail(500, name + ": batchHandler failed: " + e);
            return;
        }
        m.reply(new Attached(batches, this), BY_REFERENCE);
    }

    private void onState(Message<Object> m) {
        try {
            m.reply(device.state().put("actionsSkipped", actionsSkipped));
        } catch (RuntimeException e) {
            m.fail(500, name + " could not give its state: " + e);
        }
    }
}
