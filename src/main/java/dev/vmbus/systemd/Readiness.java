package dev.vmbus.systemd;

import dev.vmbus.bus.Addresses;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import dev.vmbus.bus.AgentSnapshot;
import dev.vmbus.bus.ChannelView;
import dev.vmbus.channel.ChannelState;

import java.util.List;

/**
 * When the agent has finished starting, for systemd's {@code READY=1}: the transport has delivered every channel
 * the host offered at start (the future given to {@link #await}, {@code GuestTransport.offersDelivered()}: VMBus's
 * {@code ALLOFFERS_DELIVERED}; on {@code shm} the host's {@code allOffersDelivered} line), and every listed channel
 * whose class has an enabled handler has left the {@code offered} state (it is {@code open}, or its open failed
 * and it is {@code faulted}: a restart would not change what the host offers).
 *
 * <p>No poll count stands in for the first condition: an {@code shm} host still offering its devices (its NIC after
 * the integration services, or a host that starts after the agent) can leave the offer set unchanged for as long
 * as it likes, and an agent that called that "ready" served no channel.
 *
 * <p>Reads the agent's channel list over the event bus ({@link Addresses#CHANNEL_LIST}); its timer and replies
 * run on one context, which owns its state.
 */
public final class Readiness {
    static final long POLL_MS = 100;

    private final Vertx vertx;
    private final Promise<List<ChannelView>> ready = Promise.promise();

    private Readiness(Vertx vertx) {
        this.vertx = vertx;
    }

    /**
     * Completes with the channel list once the agent is ready; never fails (a lost reply is polled again).
     *
     * @param offersDelivered completes once the transport has reported the host's start-up offers
     */
    public static Future<List<ChannelView>> await(Vertx vertx, Future<Void> offersDelivered) {
        Readiness r = new Readiness(vertx);
        Context context = vertx.getOrCreateContext();
        offersDelivered.onComplete(x -> context.runOnContext(v -> r.poll()));
        return r.ready.future();
    }

    private void poll() {
        vertx.eventBus().<AgentSnapshot>request(Addresses.CHANNEL_LIST, null).onComplete(ar -> {
            if (ar.succeeded() && settled(ar.result().body().channels())) {
                ready.complete(ar.result().body().channels());
            } else {
                vertx.setTimer(POLL_MS, t -> poll());
            }
        });
    }

    /** No channel with an enabled handler is still waiting in {@code offered}. */
    static boolean settled(List<ChannelView> channels) {
        for (ChannelView c : channels) {
            if (Boolean.TRUE.equals(c.handled()) && c.state() == ChannelState.OFFERED) {
                return false;
            }
        }
        return true;
    }

    /** systemd's {@code STATUS=} line for a channel list: what is served, and what failed. */
    public static String status(List<ChannelView> channels) {
        StringBuilder open = new StringBuilder();
        StringBuilder failed = new StringBuilder();
        for (ChannelView c : channels) {
            if (!Boolean.TRUE.equals(c.handled())) {
                continue;
            }
            StringBuilder to = c.state() == ChannelState.OPEN ? open : failed;
            to.append(to.isEmpty() ? "" : ", ").append(c.className()).append(' ').append(c.relid());
        }
        return "serving " + (open.isEmpty() ? "no channel" : open) + (failed.isEmpty() ? "" : "; not open: " + failed);
    }
}
