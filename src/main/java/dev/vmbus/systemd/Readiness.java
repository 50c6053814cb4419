package dev.vmbus.systemd;

import dev.vmbus.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import dev.vmbus.bus.AgentSnapshot;
import dev.vmbus.bus.ChannelView;
import dev.vmbus.channel.ChannelState;

import java.util.List;

import java.util.Set;
import java.util.TreeSet;

/**
 * When the agent has finished starting, for systemd's {@code READY=1}: every channel the host offered whose
 * class has an enabled handler has left the {@code offered} state (it is {@code open}, or its open failed and it
 * is {@code faulted}: a restart would not change what the host offers), and the set of offered channels has
 * stayed the same for {@link #STABLE_POLLS} polls. The second condition is needed because no transport says when
 * the host's initial offers are complete ({@code shm} sends them one line at a time after connecting).
 *
 * <p>Reads the agent's channel list over the event bus ({@link Addresses#CHANNEL_LIST}); its timer and replies
 * run on the context it was created from, which owns its state.
 */
public final class Readiness {
    static final long POLL_MS = 100;
    static final int STABLE_POLLS = 3;

    private final Vertx vertx;
    private final Promise<List<ChannelView>> ready = Promise.promise();
    private Set<Integer> lastRelids = Set.of();
    private int stablePolls;

    private Readiness(Vertx vertx) {
        this.vertx = vertx;
    }

    /** Completes with the channel list once the agent is ready; never fails (a lost reply is polled again). */
    public static Future<List<ChannelView>> await(Vertx vertx) {
        Readiness r = new Readiness(vertx);
        vertx.runOnContext(v -> r.poll());
        return r.ready.future();
    }

    private void poll() {
        vertx.eventBus().<AgentSnapshot>request(Addresses.CHANNEL_LIST, null).onComplete(ar -> {
            if (ar.succeeded() && check(ar.result().body().channels())) {
                ready.complete(ar.result().body().channels());
            } else {
                vertx.setTimer(POLL_MS, t -> poll());
            }
        });
    }

    private boolean check(List<ChannelView> channels) {
        Set<Integer> relids = new TreeSet<>();
        boolean settled = true;
        for (ChannelView c : channels) {
            relids.add(c.relid());
            if (Boolean.TRUE.equals(c.handled()) && c.state() == ChannelState.OFFERED) {
                settled = false;
            }
        }
        stablePolls = relids.equals(lastRelids) ? stablePolls + 1 : 0;
        lastRelids = relids;
        return settled && stablePolls >= STABLE_POLLS;
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
