package dev.vmbus.bus;

import dev.vmbus.spi.DevicePlugin;

import dev.vmbus.spi.BatchHandler;
import dev.vmbus.spi.ChannelPort;
import dev.vmbus.spi.OutboundPacket;
import dev.vmbus.spi.Reply;
import dev.vmbus.transport.ChannelBuffer;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.HostComplaints;
import dev.vmbus.spi.Complaints;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.channel.RingUnmappedException;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.runtime.HandlerFailure;
import dev.vmbus.transport.GuestTransport;
import dev.vmbus.transport.OnContext;
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
 * Wires one channel's runtime ({@link ChannelDriver}: drain, credit, parked sends, close) to its device (DESIGN.md,
 * "The data path"): each packet the driver takes goes to the device's verticle over the direct line
 * ({@link DeviceVerticle#packet}, a context hop each way), or, when no device verticle attached, to the device
 * class's address {@code vmbus.device.<name>} as an event-bus request; the device's {@link dev.vmbus.spi.Reply}
 * goes back onto the ring the same way for both ({@link #toRing}), {@code vmbus.channel.<relid>.send} sends, and
 * the channel's life is published on {@link Addresses#CHANNELS}.
 *
 * <p>Back-pressure: the driver gives the device at most {@link DevicePlugin#credit()} packets at once (one per
 * outstanding packet) and takes none while a reply waits for outbound space, so neither line ever holds (and so
 * never drops) more than the credit.
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
    /** The clock of the handler timeout; null for Vert.x's timers. */
    private final HandlerDeadlines.Clock clock;
    private ChannelDriver driver;
    /** The device's batch handler of this channel, or null when its packets go one by one. */
    private BatchHandler batches;
    /** Set once {@link #stop} began: a close after it is the agent's own, which stop() publishes. */
    private boolean stopping;
    /** Whether the channel has ended (see {@link #hasEnded}). */
    private volatile boolean hasEnded;
    /** What the device is told of this channel once it is open (buffers, guest memory). */
    private dev.vmbus.spi.DeviceChannel resources;
    private DeliveryOptions delivery;
    /** The device's direct line to this channel, made once the channel is open. */
    private DevicePort port;
    /** The device's verticle, for packets one by one without the event bus; null when none attached (a test's bare consumer). */
    private DeviceVerticle line;
    /** Packets with the device over {@link #line}: each fails if its answer is not back by its deadline. */
    private HandlerDeadlines deadlines;

    public ChannelVerticle(GuestTransport transport, Offer offer, DevicePlugin<?> handler) {
        this(transport, offer, handler, handler.credit(), DEFAULT_HANDLER_TIMEOUT_MS);
    }

    public ChannelVerticle(GuestTransport transport, Offer offer, DevicePlugin<?> handler, int credit,
                           long handlerTimeoutMs) {
        this(transport, offer, handler, credit, handlerTimeoutMs, null);
    }

    /** As above, the direct line's handler timeout measured by {@code clock} (a test's, or null for Vert.x's). */
    ChannelVerticle(GuestTransport transport, Offer offer, DevicePlugin<?> handler, int credit, long handlerTimeoutMs,
                    HandlerDeadlines.Clock clock) {
        this.clock = clock;
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
        deadlines = new HandlerDeadlines(clock != null ? clock : HandlerDeadlines.Clock.of(vertx), handlerTimeoutMs,
                handler.name());
        MessageConsumer<Object> sends = vertx.eventBus().localConsumer(Addresses.channelSend(offer.relid()), this::onSend);
        MessageConsumer<Object> stats = vertx.eventBus().localConsumer(Addresses.channelStats(offer.relid()),
                m -> m.reply(stats()));
        // Everything from here to the driver's creation runs on this verticle's context: Future.all's listeners
        // run on whatever thread completes it, and the link's interrupts run here (owner). Built elsewhere, the
        // driver would drain here before this.driver was stored, and a reply read it null (an NPE, the channel
        // faulted at its first packet). deliver keeps that so even for a transport that completes elsewhere.
        return Future.all(sends.completion(), stats.completion())
                .compose(x -> OnContext.deliver(context, transport.open(offer, context)))
                .compose(link -> {
                    resources = new dev.vmbus.spi.DeviceChannel(offer, link.buffers(), transport.guestMemory());
                    port = new DevicePort(handler.name(), context, resources);
                    return OnContext.deliver(context, attach()).transform(ar -> {
                        if (ar.failed()) {
                            return link.close().transform(closed -> Future.failedFuture(ar.cause()));
                        }
                        BatchHandler batches = ar.result();
                        this.batches = batches;
                        driver = batches == null
                                ? ChannelDriver.guest(link, context, handler.requestorSize(), credit, this::dispatch)
                                : ChannelDriver.guestBatched(link, context, handler.requestorSize(), credit,
                                        batch -> deliverBatch(batches, batch));
                        driver.endHandler(this::ended).strictCompletions(handler.checkPeerPackets());
                        port.driver(driver);
                        if (!driver.open()) {
                            // it ended while the device attached (a rescind): ended() has said so, and the agent
                            // undeploys this verticle once its deploy completes
                            return Future.succeededFuture();
                        }
                        LOG.info("channel " + offer.relid() + " (" + handler.name() + ", instance "
                                + offer.instanceId() + ") opened on " + transport.name()
                                + (batches != null ? ", packets in batches" : ""));
                        vertx.sharedData().<Integer, dev.vmbus.spi.DeviceChannel>getLocalMap(RESOURCES)
                                .put(offer.relid(), resources);
                        publish(ChannelEvent.opened(offer, handler.name()));
                        return Future.succeededFuture();
                    });
                });
    }

    /**
     * Offers the device this channel's {@link ChannelPort}: its {@link BatchHandler}, or null for packets one by
     * one (also when nobody answers at the device's attach address, as for a bare consumer in a test). A device
     * verticle that attaches also becomes the direct line for packets one by one.
     */
    private Future<BatchHandler> attach() {
        DeliveryOptions local = new DeliveryOptions(delivery).setCodecName(LocalCodec.ANY);
        return vertx.eventBus().<Object>request(Addresses.deviceAttach(handler.name()), port, local).transform(ar -> {
            if (ar.succeeded()) {
                Object body = ar.result().body();
                if (body instanceof DeviceVerticle.Attached attached) {
                    line = attached.batches() == null ? attached.device() : null;
                    return Future.succeededFuture(attached.batches());
                }
                return body == null || body instanceof BatchHandler ? Future.succeededFuture((BatchHandler) body)
                        : Future.failedFuture(new IllegalStateException("handler '" + handler.name()
                        + "' answered attach with a " + body.getClass().getName()));
            }
            if (ar.cause() instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
                return Future.succeededFuture(null);
            }
            return Future.failedFuture(ar.cause());
        });
    }

    /** One drain pass's packets to the device's batch handler, here on the channel's context. */
    private void deliverBatch(BatchHandler batches, java.util.List<Packet> batch) {
        for (Packet p : batch) {
            EndReason refused = refusal(p);
            if (refused != null) {
                throw new HandlerFailure(refused);
            }
        }
        try {
            batches.packets(batch);
        } catch (HandlerFailure f) {
            throw f;
        } catch (RuntimeException e) {
            throw new HandlerFailure(EndReason.of(EndReason.Kind.HANDLER_FAILED, "handler '" + handler.name()
                    + "' failed a batch of " + batch.size() + ": " + describe(e)));
        }
    }

    /**
     * Why the framework refuses {@code p} before its device sees it ({@link DevicePlugin#checkPeerPackets()}), or
     * null: a transfer-page range that does not
     * lie wholly inside the channel's receive buffer (or a transfer-page packet on a channel without one). The
     * range's values are this packet's own validated copy, read once.
     */
    private EndReason refusal(Packet p) {
        if (p.transferPages() == null || !handler.checkPeerPackets()) {
            return null;
        }
        ChannelBuffer recv = resources.buffer(ChannelBuffer.Kind.RECEIVE).orElse(null);
        if (recv == null) {
            return EndReason.of(EndReason.Kind.BAD_PEER_PACKET, "the host sent transfer-page packet "
                    + Long.toUnsignedString(p.transactionId()) + " on a channel without a receive buffer");
        }
        for (int i = 0; i < p.transferPages().count(); i++) {
            long offset = Integer.toUnsignedLong(p.transferPages().byteOffset(i));
            long count = Integer.toUnsignedLong(p.transferPages().byteCount(i));
            if (!recv.contains(offset, count)) {
                return EndReason.of(EndReason.Kind.BAD_PEER_PACKET, "the host sent transfer-page packet "
                        + Long.toUnsignedString(p.transactionId()) + " whose range " + i + " (" + count
                        + " bytes at offset " + offset + ") lies outside the receive buffer's " + recv.size()
                        + " bytes (" + recv.name() + ")");
            }
        }
        return null;
    }

    /**
     * One packet from the ring to the handler; its reply (if any) back to the ring. Completes when the handler
     * answered (the packet's credit comes back); fails, faulting the channel, if it failed or answered wrongly.
     */
    private Future<?> dispatch(Packet packet) {
        EndReason refused = refusal(packet);
        if (refused != null) {
            return Future.failedFuture(new HandlerFailure(refused));
        }
        if (line != null) {
            return direct(packet);
        }
        return vertx.eventBus().<Object>request(Addresses.device(handler.name()), packet, delivery).transform(ar -> {
            if (ar.failed()) {
                return Future.failedFuture(new HandlerFailure(handlerFailure(ar.cause())));
            }
            Message<Object> answer = ar.result();
            Object body = answer.body();
            if (body instanceof DeviceVerticle.Answer device) { // a device verticle that did not attach (yet)
                toRing(packet, device.reply(), device.device());
            } else if (body instanceof OutboundPacket reply) { // a bare consumer
                var sent = toRing(packet, Reply.with(reply), null);
                if (answer.replyAddress() != null) {
                    // It replied with replyAndRequest: it wants to hear once its reply is on the ring, or that it
                    // never got there.
                    sent.onComplete(ar2 -> {
                        if (ar2.failed()) {
                            answer.fail(503, ar2.cause().getMessage());
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

    /**
     * One packet to the device over the direct line (its verticle's context and back, no event bus); its reply
     * (if any) back to the ring, then the reply's action on the device's context. As {@link #dispatch}.
     */
    private Future<?> direct(Packet packet) {
        io.vertx.core.Promise<Reply> answered = io.vertx.core.Promise.promise();
        deadlines.watch(answered);
        DeviceVerticle device = line;
        device.packet(packet, context, ar -> {
            if (ar.succeeded()) {
                answered.tryComplete(ar.result());
            } else {
                answered.tryFail(ar.cause());
            }
        });
        return answered.future().transform(ar -> {
            deadlines.unwatchAnswered();
            if (ar.failed()) {
                return Future.failedFuture(ar.cause() instanceof HandlerFailure f ? f
                        : new HandlerFailure(EndReason.of(EndReason.Kind.HANDLER_FAILED, "handler '" + handler.name()
                        + "' failed a packet: " + describe(ar.cause()))));
            }
            toRing(packet, ar.result(), device);
            return Future.succeededFuture();
        });
    }

    /**
     * The reply to {@code packet} onto the ring, whichever line it came by: nothing for {@link Reply.None}; a
     * {@link Reply.Send}'s packet, and once it is on the ring (or never will be) its action through
     * {@code device}, which runs it on its own context or counts it skipped. Returns the send (succeeded for none).
     */
    private Future<Void> toRing(Packet packet, Reply answer, DeviceVerticle device) {
        if (!(answer instanceof Reply.Send send)) {
            return Future.succeededFuture();
        }
        OutboundPacket reply = send.packet();
        var sent = driver.send(reply.payload(), reply.transactionId(), reply.type(), reply.flags(),
                reply.transferPages(), reply.gpaRanges());
        sent.onFailure(e -> {
            if (e instanceof IllegalArgumentException) { // refused as it stands (a ring could never hold it)
                LOG.warning("channel " + offer.relid() + ": handler '" + handler.name() + "''s reply to"
                        + " transaction " + reply.transactionId() + " was not sent: " + e.getMessage());
            }
        });
        if (send.afterWrite() != null) {
            sent.onComplete(w -> device.written(packet.relid(), send.afterWrite(), w.failed() ? w.cause() : null));
        }
        return sent;
    }

    /**
     * A device's failure as a channel's end reason reads it: the message of an exception of the device's own (or
     * a failed future's), which is the reason it gives; an exception of the JDK's, which no device throws to say
     * why, named with its class, so a slip (an index out of bounds, a null) reads as one.
     */
    static String describe(Throwable e) {
        String type = e.getClass().getName();
        boolean jdk = type.startsWith("java.") || type.startsWith("javax.") || type.startsWith("jdk.");
        return jdk || e.getMessage() == null ? e.toString() : e.getMessage();
    }

    private EndReason handlerFailure(Throwable cause) {
        if (cause instanceof ReplyException re) {
            return EndReason.of(re.failureType() == ReplyFailure.TIMEOUT ? EndReason.Kind.HANDLER_TIMED_OUT
                    : EndReason.Kind.HANDLER_FAILED, "handler '" + handler.name() + "' failed a packet ("
                    + re.failureType() + "): " + re.getMessage());
        }
        return EndReason.of(EndReason.Kind.HANDLER_FAILED, "handler '" + handler.name() + "': " + describe(cause));
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
                .onComplete(ar -> {
            if (ar.failed()) {
                m.fail(503, ar.cause().getMessage());
            } else {
                m.reply(null);
            }
        });
    }

    /**
     * Whether the channel has ended. One that ended before Vert.x knew this verticle's deployment (it registers one
     * once the start is done) could not undeploy itself: the agent undeploys it when its deploy completes.
     */
    boolean hasEnded() {
        return hasEnded;
    }

    /** The channel ended under us (rescind, peer gone, a fault, a failed handler) or by our close. */
    private void ended(EndReason reason) {
        hasEnded = true;
        switch (reason.state()) {
            case FAULTED -> {
                if (reason.kind() == EndReason.Kind.RING_FAULT || reason.kind() == EndReason.Kind.BAD_PEER_PACKET) {
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
                // our end lets the ring and buffers go, as Linux's driver closes a rescinded channel in its remove:
                // the shm transport would otherwise keep the files mapped, the host's deleted copies with them
                driver.close();
                publishAndUndeploy(reason);
            }
            default -> {
                if (!stopping) { // closed by its device (ChannelPort.close); stop() publishes its own close
                    LOG.info("channel " + offer.relid() + " closed: " + reason);
                    publishAndUndeploy(reason);
                }
            }
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
        stopping = true;
        if (driver == null || !driver.open()) {
            return Future.succeededFuture();
        }
        EndReason closed = EndReason.of(EndReason.Kind.CLOSED, "closed by the guest");
        return farewell().compose(v -> driver.close(closed)).recover(e -> Future.succeededFuture()).onComplete(ar -> {
            LOG.info("channel " + offer.relid() + " (" + handler.name() + ") closed");
            publish(ChannelEvent.ended(offer, handler.name(), closed));
        });
    }

    /**
     * What the device's batch handler tells the host before the guest closes the channel ({@link
     * BatchHandler#closing}), for {@link BatchHandler#FAREWELL_LIMIT_MS} at most; always succeeds.
     */
    private Future<Void> farewell() {
        BatchHandler b = batches;
        if (b == null) {
            return Future.succeededFuture();
        }
        Future<Void> said;
        try {
            said = b.closing();
        } catch (RuntimeException e) {
            said = Future.failedFuture(e);
        }
        return said.timeout(BatchHandler.FAREWELL_LIMIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS)
                .recover(e -> {
                    LOG.warning("channel " + offer.relid() + " (" + handler.name() + "): what the device tells the"
                            + " host before the close did not go out: " + e.getMessage() + "; closing anyway");
                    return Future.succeededFuture();
                });
    }

    /**
     * The channel's live figures; call on this verticle's context. Null when there are none to show, including when
     * the transport unmapped the ring after a rescind (the snapshot then fails instead of reading freed pages).
     */
    public ChannelView stats() {
        if (driver == null) {
            return null;
        }
        try {
            return new ChannelView(offer, handler.name(), driver.state(), true, driver.reason(), driver.stats(),
                    Complaints.of(vertx).tally(offer.relid()), driver.outstanding(), port.sectionUse(), null);
        } catch (RingUnmappedException e) {
            return null;
        }
    }
}
