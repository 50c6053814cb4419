package dev.vmbus.bus;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.transport.GuestTransport;
import dev.vmbus.transport.OfferListener;
import dev.vmbus.transport.OnContext;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Logger;

/**
 * The agent: deploys every enabled device handler, watches the transport's offers, and deploys one
 * {@link ChannelVerticle} per channel whose class has an enabled handler. An offer with no handler is listed
 * (state {@code offered}) but not opened. A channel's state here is the agent's view of it, as the lifecycle events
 * on {@link Addresses#CHANNELS} tell it (the channel itself keeps its state once, on its own context). Rescinded or faulted channels go away; the rest keep running.
 * Undeploying this verticle closes every channel (the host sees {@code close} for each) and the transport.
 *
 * <p>Subchannels: an offer with subchannel index k ≥ 1 is the k-th subchannel of the primary with its class and
 * instance GUIDs; it is opened like any channel, with the same handler, once that primary is known (a subchannel
 * offered before its primary waits for it), and the device hears of it through {@code Device.subchannelOpened}.
 * A second primary of a device already offered (its class and instance on another relid) is listed as refused and
 * never opened, as Linux drops it: its subchannels and state would belong to two devices at once.
 *
 * <p>Threads: every field is touched on this verticle's context only; the transport calls its
 * offer listener there, and lifecycle events from channel verticles arrive there over the event bus.
 */
public final class VmbusVerticle extends VerticleBase {
    private static final Logger LOG = Logger.getLogger(VmbusVerticle.class.getName());

    private final GuestTransport transport;
    private final DeviceRegistry registry;
    /** relid to what we know of it, in relid order for listings. */
    private final Map<Integer, Entry> channels = new TreeMap<>();
    /**
     * Relids the transport rescinded whose {@code rescinded} event (from the channel's verticle, or published
     * here for a channel without one) is still to come: it must not remove a new offer of the same relid that
     * arrived meanwhile.
     */
    private final java.util.Set<Integer> rescindPending = new java.util.HashSet<>();
    /**
     * Set by {@link #closeChannels()}: the agent is stopping. A rescind the host sends now (the simulated host
     * rescinds a NIC's subchannels once the guest has closed its primary) is told to no one, since the devices and
     * the dashboard are going; told, it reached a consumer already gone and Vert.x logged "Discarding message".
     */
    private boolean closing;

    private static final class Entry {
        final Offer offer;
        ChannelState state = ChannelState.OFFERED;
        String deploymentId;
        /** A channel verticle is being deployed for it. */
        boolean deploying;
        /** Why it ended, or null while offered or open. */
        EndReason reason;
        /** A second primary of a device already offered: listed, never opened, and no device's primary. */
        boolean twin;

        Entry(Offer offer) {
            this.offer = offer;
        }
    }

    private final long statsIntervalMs;
    private static final io.vertx.core.eventbus.DeliveryOptions STATS_REQUEST =
            new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(1000);

    /**
     * @param statsIntervalMs how often to publish {@link Addresses#STATS} (the dashboard's
     *                        {@code dashboard.updateIntervalMs}, whose default is in the config's defaults); 0 for
     *                        never, as when no dashboard listens
     */
    public VmbusVerticle(GuestTransport transport, DeviceRegistry registry, long statsIntervalMs) {
        this.transport = transport;
        this.registry = registry;
        this.statsIntervalMs = statsIntervalMs;
    }

    @Override
    public Future<?> start() {
        LocalCodec.register(vertx);
        vertx.eventBus().<ChannelEvent>localConsumer(Addresses.CHANNELS, m -> onEvent(m.body()));
        vertx.eventBus().localConsumer(Addresses.CHANNEL_LIST, m -> m.reply(list()));
        vertx.eventBus().localConsumer(Addresses.STATS_NOW, m -> snapshot().onComplete(ar -> m.reply(ar.result())));
        if (statsIntervalMs > 0) {
            vertx.setPeriodic(statsIntervalMs, t -> snapshot().onSuccess(s -> vertx.eventBus().publish(Addresses.STATS, s)));
        }
        List<Future<String>> handlers = new ArrayList<>();
        registry.enabled().keySet().forEach(name ->
                handlers.add(vertx.deployVerticle(registry.newDevice(name), new DeploymentOptions())));
        return Future.all(handlers).compose(x -> transport.start(context, new OfferListener() {
            @Override
            public void offered(Offer offer) {
                VmbusVerticle.this.offered(offer);
            }

            @Override
            public void rescinded(int relid) {
                Entry e = channels.remove(relid);
                if (e != null) {
                    rescindPending.add(relid); // either its verticle or the line below publishes "rescinded"
                }
                // a channel still deploying says it itself (its link keeps the end for its driver), or its failed
                // deploy does: one "rescinded" either way
                if (e != null && e.deploymentId == null && !e.deploying && !closing) {
                    vertx.eventBus().publish(Addresses.CHANNELS, ChannelEvent.ended(e.offer,
                            registry.className(e.offer.classId()),
                            EndReason.of(EndReason.Kind.HOST_RESCINDED, "rescinded by the host")));
                }
            }

            @Override
            public void disconnected(String reason) {
                LOG.warning("transport " + transport.name() + " lost its host: " + reason);
            }
        }));
    }

    private void offered(Offer offer) {
        Entry entry = new Entry(offer);
        Entry old = channels.put(offer.relid(), entry);
        if (old != null && old.deploymentId != null) {
            vertx.undeploy(old.deploymentId); // the host re-offered a relid we still had: start over
        }
        vertx.eventBus().publish(Addresses.CHANNELS, ChannelEvent.offered(offer, registry.className(offer.classId())));
        if (registry.forClass(offer.classId()).isEmpty()) {
            LOG.info("channel " + offer.relid() + " (" + registry.className(offer.classId())
                    + ") offered; no handler enabled, not opening it");
            return;
        }
        Entry twin = offer.subchannel() == 0 ? otherPrimary(offer) : null;
        if (twin != null) {
            // Linux's vmbus_process_offer drops such an offer too (with a warning): which device would its
            // subchannels, and the device's state, belong to?
            EndReason reason = EndReason.of(EndReason.Kind.OPEN_FAILED, "refused: the host offered a second "
                    + registry.className(offer.classId()) + " device with instance " + offer.instanceId()
                    + ", which relid " + twin.offer.relid() + " already is; not opened");
            entry.state = reason.state();
            entry.reason = reason;
            entry.twin = true;
            LOG.warning("channel " + offer.relid() + ": " + reason.text());
            vertx.eventBus().publish(Addresses.CHANNELS, ChannelEvent.ended(offer,
                    registry.className(offer.classId()), reason));
            return;
        }
        if (offer.subchannel() > 0 && primaryOf(offer) == null) {
            LOG.info("subchannel " + offer.subchannel() + " (relid " + offer.relid() + ") of "
                    + registry.className(offer.classId()) + " instance " + offer.instanceId()
                    + " offered before its primary; it is opened once the primary is offered");
            return;
        }
        deploy(entry);
        if (offer.subchannel() == 0) {
            for (Entry waiting : channels.values()) {
                if (waiting.offer.subchannel() > 0 && !waiting.deploying && waiting.deploymentId == null
                        && waiting.state == ChannelState.OFFERED && sameDevice(waiting.offer, offer)) {
                    deploy(waiting);
                }
            }
        }
    }

    private static boolean sameDevice(Offer a, Offer b) {
        return a.classId().equals(b.classId()) && a.instanceId().equals(b.instanceId());
    }

    /** Another channel offered as the primary of {@code primary}'s device (its class and instance), if any. */
    private Entry otherPrimary(Offer primary) {
        for (Entry e : channels.values()) {
            if (e.offer.relid() != primary.relid() && e.offer.subchannel() == 0 && !e.twin
                    && sameDevice(e.offer, primary)) {
                return e;
            }
        }
        return null;
    }

    /** The primary of a subchannel's device, if offered. */
    private Entry primaryOf(Offer subchannel) {
        for (Entry e : channels.values()) {
            if (e.offer.subchannel() == 0 && !e.twin && sameDevice(e.offer, subchannel)) {
                return e;
            }
        }
        return null;
    }

    private void deploy(Entry entry) {
        Offer offer = entry.offer;
        var handler = registry.forClass(offer.classId()).orElseThrow();
        entry.deploying = true;
        ChannelVerticle verticle = new ChannelVerticle(transport, offer, handler);
        vertx.deployVerticle(verticle).onComplete(ar -> {
            entry.deploying = false;
            if (ar.succeeded()) {
                entry.deploymentId = ar.result();
                if (channels.get(offer.relid()) != entry || verticle.hasEnded()) {
                    // rescinded (or offered again) while it opened, or ended so early that it could not undeploy
                    // itself (Vert.x knows a deployment only once its start is done): nothing else would; a verticle
                    // that did undeploy itself makes this fail, which is fine
                    vertx.undeploy(ar.result()).onFailure(e -> LOG.fine("channel " + offer.relid()
                            + " was already undeployed: " + e.getMessage()));
                }
            } else if (channels.get(offer.relid()) != entry) {
                // it went while it opened (shm and uio unmap a rescinded ring at once, so the driver could not be
                // built): the rescind's one event, absorbed as its last word (rescindPending); an entry replaced
                // by a new offer without a rescind hears nothing of it
                LOG.info("channel " + offer.relid() + " went while it opened (" + ar.cause().getMessage() + ")");
                if (!closing && rescindPending.contains(offer.relid())) {
                    vertx.eventBus().publish(Addresses.CHANNELS, ChannelEvent.ended(offer,
                            registry.className(offer.classId()),
                            EndReason.of(EndReason.Kind.HOST_RESCINDED, "rescinded by the host while it opened")));
                }
            } else {
                EndReason reason = EndReason.of(EndReason.Kind.OPEN_FAILED, "open failed: " + ar.cause().getMessage());
                entry.state = reason.state();
                entry.reason = reason;
                LOG.warning("channel " + offer.relid() + " could not be opened: " + ar.cause().getMessage());
                vertx.eventBus().publish(Addresses.CHANNELS,
                        ChannelEvent.ended(offer, registry.className(offer.classId()), reason));
            }
        });
    }

    private void onEvent(ChannelEvent event) {
        if (event.state() == ChannelState.RESCINDED && rescindPending.remove(event.relid())) {
            return; // the old channel's last word; the entry (if any) is already a new offer
        }
        Entry e = channels.get(event.relid());
        if (e == null) {
            return;
        }
        if (event.state() != ChannelState.OFFERED) {
            e.state = event.state();
            e.reason = event.reason();
        }
        if (event.state() == ChannelState.RESCINDED) {
            channels.remove(event.relid());
        }
        if (event.ended()) {
            e.deploymentId = null;
        }
    }

    /** Every known channel's listing, without live figures. */
    private AgentSnapshot list() {
        List<ChannelView> out = new ArrayList<>(channels.size());
        for (Entry e : channels.values()) {
            out.add(ChannelView.listed(e.offer, registry.className(e.offer.classId()), e.state,
                    registry.forClass(e.offer.classId()).isPresent(), e.reason));
        }
        return new AgentSnapshot(System.currentTimeMillis(), out);
    }

    /**
     * Every known channel: the listing entry, plus the live figures of open ones (taken on each channel's own
     * context). A channel that does not answer in time is listed without them.
     */
    private Future<AgentSnapshot> snapshot() {
        List<ChannelView> listed = list().channels();
        List<Future<ChannelView>> parts = new ArrayList<>(listed.size());
        for (ChannelView view : listed) {
            Entry e = channels.get(view.relid());
            if (e == null || e.deploymentId == null) {
                parts.add(Future.succeededFuture(view));
                continue;
            }
            parts.add(vertx.eventBus().<ChannelView>request(Addresses.channelStats(view.relid()), null, STATS_REQUEST)
                    .map(m -> view.withFigures(m.body()))
                    .otherwise(view));
        }
        return Future.join(parts).map(x -> {
            List<ChannelView> out = new ArrayList<>(parts.size());
            parts.forEach(f -> out.add(f.result()));
            return new AgentSnapshot(System.currentTimeMillis(), out);
        });
    }

    /**
     * Closes every open channel (each channel verticle closes its channel with the host and says so on {@link
     * Addresses#CHANNELS}) while the device verticles are still there to hear it: the agent's orderly stop calls this
     * before it undeploys this verticle. Undeploying this verticle alone undeploys its children, the channel and the
     * device verticles, all at once, so a device's consumer could go before a channel's "closed" reached it (Vert.x
     * then logs "Discarding message since the consumer is not registered", once per device and channel). From any
     * thread; completes when every channel verticle has stopped.
     */
    public Future<Void> closeChannels() {
        return OnContext.call(context, () -> {
            closing = true;
            return undeployChannels();
        });
    }

    private Future<Void> undeployChannels() {
        List<Future<Void>> closing = new ArrayList<>();
        for (Entry e : channels.values()) {
            if (e.deploymentId != null && vertx.deploymentIDs().contains(e.deploymentId)) {
                closing.add(vertx.undeploy(e.deploymentId).recover(x -> Future.succeededFuture()));
            }
        }
        return Future.join(closing).mapEmpty();
    }

    @Override
    public Future<?> stop() {
        return undeployChannels().eventually(transport::close);
    }
}
