package dev.vmbus.bus;

import dev.vmbus.spi.DevicePlugin;

import dev.vmbus.spi.OutboundPacket;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.HostComplaints;
import dev.vmbus.spi.Complaints;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.channel.RingUnmappedException;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.runtime.HandlerFailure;
import dev.vmbus.transport.GuestTransport;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

import java.util.logging.Logger;

/**
 * Wires one channel's runtime ({@link ChannelDriver}: drain, credit, parked sends, close) to the event bus
 * (DESIGN.md, "The data path"): each packet the driver takes goes to the device class's address as a request,
 * the handler's reply goes back onto the ring, {@code vmbus.channel.<relid>.send} sends, and the channel's life
 * is published on {@link Addresses#CHANNELS}.
 *
 * <p>Back-pressure: the driver gives the handler at most {@link DevicePlugin#credit()} packets at once (one per
 * outstanding request) and takes none while a reply waits for outbound space, so the event bus never buffers
 * (and so never drops) more than the credit.
 *
 * <p>Threads: everything is touched on this verticle's own context; the transport delivers the link's signals
 * and close there.
 */
public final class ChannelVerticle extends VerticleBase {
    private static final Logger LOG = Logger.getLogger(ChannelVerticle.class.getName());
    /** How long a handler may take to answer one packet before the channel is faulted (Linux: HV_UTIL_TIMEOUT). */
    public static final long DEFAULT_HANDLER_TIMEOUT_MS = 30_000;
    /** Local map of each open channel's {@link dev.vmbus.spi.DeviceChannel} by relid, for its device's verticle. */
    static final String RESOURCES = "vmbus.channel.resources";

    private final GuestTransport transport;
    private final Offer offer;
    private final DevicePlugin<?> handler;
    private final int credit;
    private final long handlerTimeoutMs;
    private ChannelDriver driver;
    /** What the device is told of this channel once it is open (buffers, guest memory). */
    private dev.vmbus.spi.DeviceChannel resources;
    private DeliveryOptions delivery;

    public ChannelVerticle(GuestTransport transport, Offer offer, DevicePlugin<?> handler) {
        this(transport, offer, handler, handler.credit(), DEFAULT_HANDLER_TIMEOUT_MS);
    }

    public ChannelVerticle(GuestTransport transport, Offer offer, DevicePlugin<?> handler, int credit,
                           long handlerTimeoutMs) {
        this.transport = transport;
        this.offer = offer;
        this.handler = handler;
        this.credit = credit;
        this.handlerTimeoutMs = handlerTimeoutMs;
    }

    @Override
    public Future<?> start() {
        LocalCodec.register(vertx);
        delivery = new DeliveryOptions().setSendTimeout(handlerTimeoutMs).setLocalOnly(true);
        MessageConsumer<Object> sends = vertx.eventBus().localConsumer(Addresses.channelSend(offer.relid()), this::onSend);
        MessageConsumer<Object> stats = vertx.eventBus().localConsumer(Addresses.channelStats(offer.relid()),
                m -> m.reply(stats()));
        return Future.all(sends.completion(), stats.completion())
                .compose(x -> transport.open(offer))
                .map(link -> {
                    driver = ChannelDriver.guest(link, context, handler.requestorSize(), credit, this::dispatch)
                            .endHandler(this::ended);
                    LOG.info("channel " + offer.relid() + " (" + handler.name() + ", instance "
                            + offer.instanceId() + ") opened on " + transport.name());
                    resources = new dev.vmbus.spi.DeviceChannel(offer, link.buffers(), transport.guestMemory());
                    vertx.sharedData().<Integer, dev.vmbus.spi.DeviceChannel>getLocalMap(RESOURCES)
                            .put(offer.relid(), resources);
                    publish(ChannelEvent.opened(offer, handler.name()));
                    return null;
                });
    }

    /**
     * One packet from the ring to the handler; its reply (if any) back to the ring. Completes when the handler
     * answered (the packet's credit comes back); fails, faulting the channel, if it failed or answered wrongly.
     */
    private Future<?> dispatch(Packet packet) {
        return vertx.eventBus().<Object>request(Addresses.device(handler.name()), packet, delivery).transform(ar -> {
            if (ar.failed()) {
                return Future.failedFuture(new HandlerFailure(handlerFailure(ar.cause())));
            }
            Message<Object> answer = ar.result();
            Object body = answer.body();
            if (body instanceof OutboundPacket reply) {
                var sent = driver.send(reply.payload(), reply.transactionId(), reply.type(), reply.flags(),
                        reply.transferPages(), reply.gpaRanges());
                if (answer.replyAddress() != null) {
                    // The handler replied with replyAndRequest: it wants to hear once its reply is on the ring
                    // (to act only after answering, as Linux does for shutdown), or that it never got there.
                    sent.whenComplete((v, e) -> {
                        if (e != null) {
                            answer.fail(503, e.getMessage());
                        } else {
                            answer.reply(null);
                        }
                    });
                }
            } else if (body != null) {
                return Future.failedFuture(new HandlerFailure(EndReason.of(EndReason.Kind.HANDLER_FAILED,
                        "handler '" + handler.name() + "': handler replied with a " + body.getClass().getName()
                                + " instead of an OutboundPacket or null")));
            }
            return Future.succeededFuture();
        });
    }

    private EndReason handlerFailure(Throwable cause) {
        if (cause instanceof ReplyException re) {
            return EndReason.of(re.failureType() == ReplyFailure.TIMEOUT ? EndReason.Kind.HANDLER_TIMED_OUT
                    : EndReason.Kind.HANDLER_FAILED, "handler '" + handler.name() + "' failed a packet ("
                    + re.failureType() + "): " + re.getMessage());
        }
        return EndReason.of(EndReason.Kind.HANDLER_FAILED, "handler '" + handler.name() + "': " + cause.getMessage());
    }

    private void onSend(Message<Object> m) {
        OutboundPacket p;
        try {
            p = m.body() instanceof OutboundPacket op ? op : PacketJson.outbound((JsonObject) m.body());
        } catch (IllegalArgumentException | ClassCastException e) {
            m.fail(400, "bad packet for channel " + offer.relid() + ": " + e.getMessage());
            return;
        }
        if (driver == null || !driver.open()) {
            m.fail(503, "channel " + offer.relid() + " is not open");
            return;
        }
        driver.send(p.payload(), p.transactionId(), p.type(), p.flags(), p.transferPages(), p.gpaRanges())
                .whenComplete((v, e) -> {
            if (e != null) {
                m.fail(503, e.getMessage());
            } else {
                m.reply(null);
            }
        });
    }

    /** The channel ended under us (rescind, peer gone, a fault, a failed handler) or by our close. */
    private void ended(EndReason reason) {
        switch (reason.state()) {
            case FAULTED -> {
                if (reason.kind() == EndReason.Kind.RING_FAULT) {
                    // The host broke the ring's rules; a host that re-offers and breaks them again must not flood the log.
                    Complaints.of(vertx).report(offer.relid(), HostComplaints.Kind.CHANNEL_FAULT, () -> "faulted: " + reason);
                } else {
                    LOG.warning("channel " + offer.relid() + " faulted: " + reason);
                }
                driver.close();
                publishAndUndeploy(reason);
            }
            case RESCINDED -> {
                LOG.info("channel " + offer.relid() + " rescinded: " + reason);
                publishAndUndeploy(reason);
            }
            default -> { } // closed by stop(), which publishes once the host confirmed
        }
    }

    private void publishAndUndeploy(EndReason reason) {
        publish(ChannelEvent.ended(offer, handler.name(), reason));
        vertx.undeploy(deploymentID());
    }

    private void publish(ChannelEvent event) {
        if (event.ended() && resources != null) {
            vertx.sharedData().<Integer, dev.vmbus.spi.DeviceChannel>getLocalMap(RESOURCES)
                    .removeIfPresent(offer.relid(), resources);
        }
        vertx.eventBus().publish(Addresses.CHANNELS, event);
    }

    @Override
    public Future<?> stop() {
        if (driver == null || !driver.open()) {
            return Future.succeededFuture();
        }
        EndReason closed = EndReason.of(EndReason.Kind.CLOSED, "closed by the guest");
        return driver.close(closed).recover(e -> Future.succeededFuture()).onComplete(ar -> {
            LOG.info("channel " + offer.relid() + " (" + handler.name() + ") closed");
            publish(ChannelEvent.ended(offer, handler.name(), closed));
        });
    }

    /**
     * The channel's live figures; call on this verticle's context. Null when there are none to show, including when
     * the transport unmapped the ring after a rescind (the snapshot then fails instead of reading freed pages).
     */
    public ChannelSample stats() {
        if (driver == null) {
            return null;
        }
        try {
            return new ChannelSample(driver.stats(), Complaints.of(vertx).tally(offer.relid()));
        } catch (RingUnmappedException e) {
            return null;
        }
    }
}
