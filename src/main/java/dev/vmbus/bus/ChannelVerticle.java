package dev.vmbus.bus;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.HostComplaints;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.GuestTransport;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.CompletableFuture;
import java.util.logging.Logger;

/**
 * Owns one channel on its own event loop (DESIGN.md, "The data path"): the interrupt arrives on this
 * context, the driver masks, drains a bounded batch and commits once, each packet goes to the device class's
 * address as a request, and the handler's reply goes back onto the ring.
 *
 * <p>Back-pressure: at most {@link #DEFAULT_CREDIT} packets are with the handler at once, and nothing is taken
 * off the ring while a reply waits for outbound space. Beyond that the drain stops and packets stay in the ring,
 * which the host sees as a full ring: the protocol's own back-pressure. The event bus never buffers (and so
 * never drops) more than the credit.
 *
 * <p>Threads: everything (driver, credit, parked sends) is touched on this verticle's own context;
 * the transport delivers the link's signals and close there.
 */
public final class ChannelVerticle extends VerticleBase {
    private static final Logger LOG = Logger.getLogger(ChannelVerticle.class.getName());
    /** Packets in flight to the handler per channel. */
    public static final int DEFAULT_CREDIT = 64;
    /** How long a handler may take to answer one packet before the channel is faulted (Linux: HV_UTIL_TIMEOUT). */
    public static final long DEFAULT_HANDLER_TIMEOUT_MS = 30_000;

    private final GuestTransport transport;
    private final Offer offer;
    private final DeviceHandler handler;
    private final int credit;
    private final long handlerTimeoutMs;
    private ChannelDriver driver;
    private DeliveryOptions delivery;
    private int inFlight;
    private int blockedSends;
    private boolean ending;

    public ChannelVerticle(GuestTransport transport, Offer offer, DeviceHandler handler) {
        this(transport, offer, handler, handler.credit(), DEFAULT_HANDLER_TIMEOUT_MS);
    }

    public ChannelVerticle(GuestTransport transport, Offer offer, DeviceHandler handler, int credit,
                           long handlerTimeoutMs) {
        this.transport = transport;
        this.offer = offer;
        this.handler = handler;
        this.credit = credit;
        this.handlerTimeoutMs = handlerTimeoutMs;
    }

    @Override
    public Future<?> start() {
        delivery = new DeliveryOptions().setSendTimeout(handlerTimeoutMs).setLocalOnly(true);
        MessageConsumer<Object> sends = vertx.eventBus().localConsumer(Addresses.channelSend(offer.relid()), this::onSend);
        MessageConsumer<Object> stats = vertx.eventBus().localConsumer(Addresses.channelStats(offer.relid()),
                m -> m.reply(stats()));
        return Future.all(sends.completion(), stats.completion())
                .compose(x -> transport.open(offer))
                .map(link -> {
                    driver = ChannelDriver.guest(link, context, handler.requestorSize(), this::dispatch)
                            .stoppedHandler(this::stopped);
                    LOG.info("channel " + offer.relid() + " (" + handler.name() + ", instance "
                            + offer.instanceId() + ") opened on " + transport.name());
                    publish(ChannelEvent.OPENED, null);
                    return null;
                });
    }

    /** One packet from the ring to the handler; its reply (if any) back to the ring. */
    private void dispatch(Packet packet) {
        inFlight++;
        if (inFlight >= credit) {
            driver.pause();
        }
        vertx.eventBus().<Object>request(handler.address(), packet, delivery).onComplete(ar -> {
            inFlight--;
            if (ar.failed()) {
                handlerFailed(ar.cause());
                return;
            }
            Message<Object> answer = ar.result();
            Object body = answer.body();
            if (body instanceof OutboundPacket reply) {
                CompletableFuture<Void> sent = send(reply);
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
                handlerFailed(new IllegalStateException("handler replied with a " + body.getClass().getName()
                        + " instead of an OutboundPacket or null"));
                return;
            }
            maybeResume();
        });
    }

    private CompletableFuture<Void> send(OutboundPacket p) {
        CompletableFuture<Void> sent = driver.send(p.payload(), p.transactionId(), p.type(), p.flags());
        if (!sent.isDone()) {
            // The outbound ring is full: stop taking packets until the host frees space.
            blockedSends++;
            driver.pause();
            sent.whenComplete((v, e) -> {
                blockedSends--;
                maybeResume();
            });
        }
        return sent;
    }

    private void maybeResume() {
        if (driver.paused() && inFlight < credit && blockedSends == 0 && !ending) {
            driver.resume();
        }
    }

    private void onSend(Message<Object> m) {
        OutboundPacket p;
        try {
            p = m.body() instanceof OutboundPacket op ? op : PacketJson.outbound((JsonObject) m.body());
        } catch (IllegalArgumentException | ClassCastException e) {
            m.fail(400, "bad packet for channel " + offer.relid() + ": " + e.getMessage());
            return;
        }
        if (driver == null || driver.stopped()) {
            m.fail(503, "channel " + offer.relid() + " is not open");
            return;
        }
        send(p).whenComplete((v, e) -> {
            if (e != null) {
                m.fail(503, e.getMessage());
            } else {
                m.reply(null);
            }
        });
    }

    private void handlerFailed(Throwable cause) {
        String why = cause instanceof ReplyException re
                ? "handler '" + handler.name() + "' failed a packet (" + re.failureType() + "): " + re.getMessage()
                : "handler '" + handler.name() + "': " + cause.getMessage();
        if (ending || driver.stopped()) {
            return;
        }
        LOG.warning("channel " + offer.relid() + " faulted: " + why);
        ending = true; // the driver's stopped handler must not report this fault a second time, as "closed"
        driver.channel().fault(why);
        driver.close();
        end(ChannelEvent.FAULTED, why);
    }

    /** The driver stopped under us: rescind, peer gone, or a malformed packet. */
    private void stopped(String reason) {
        if (ending) {
            return;
        }
        ChannelState state = driver.channel().state();
        if (state == ChannelState.FAULTED) {
            // The host broke the ring's rules; a host that re-offers and breaks them again must not flood the log.
            Complaints.of(vertx).report(offer.relid(), HostComplaints.Kind.CHANNEL_FAULT, () -> "faulted: " + reason);
            driver.close();
            end(ChannelEvent.FAULTED, reason);
        } else if (state == ChannelState.RESCINDED) {
            LOG.info("channel " + offer.relid() + " rescinded: " + reason);
            end(ChannelEvent.RESCINDED, reason);
        }
    }

    private void end(String event, String reason) {
        ending = true;
        publish(event, reason);
        vertx.undeploy(deploymentID());
    }

    private void publish(String event, String reason) {
        vertx.eventBus().publish(Addresses.CHANNELS, ChannelEvent.of(event, offer, handler.name(), reason).toJson());
    }

    @Override
    public Future<?> stop() {
        if (driver == null || driver.stopped()) {
            return Future.succeededFuture();
        }
        ending = true;
        return driver.close().recover(e -> Future.succeededFuture()).onComplete(ar -> {
            LOG.info("channel " + offer.relid() + " (" + handler.name() + ") closed");
            publish(ChannelEvent.CLOSED, "closed by the guest");
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
            return new ChannelSample(driver.channel().stats(), Complaints.of(vertx).tally(offer.relid()));
        } catch (IllegalStateException e) {
            return null;
        }
    }
}
