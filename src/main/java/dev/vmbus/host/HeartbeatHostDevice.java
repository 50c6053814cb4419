package dev.vmbus.host;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.heartbeat.HeartbeatMessage;
import dev.vmbus.ic.IcVersion;
import io.vertx.core.Context;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.logging.Logger;

/**
 * The host's heartbeat driver: after negotiation, a heartbeat every interval carrying a sequence number; the
 * guest is healthy while each reply carries that number plus one, and lost when a reply is wrong or missing.
 * OpenVMM has no heartbeat host; the interval follows Linux's comment (every two seconds).
 */
public final class HeartbeatHostDevice extends IcHostDevice {
    private static final Logger LOG = Logger.getLogger(HeartbeatHostDevice.class.getName());

    /** What the host believes about the guest. */
    public enum Health { UNKNOWN, HEALTHY, LOST }

    static final long MIN_REPLY_TIMEOUT_MS = 2_000;

    private final long intervalMs;
    private long timer = -1;
    private boolean halted;
    private long sequence;
    private Health health = Health.UNKNOWN;
    private Instant lastReply;
    private long replies;
    private long misses;
    private Consumer<Health> healthHandler = h -> { };
    private LongConsumer roundTrips = nanos -> { };

    public HeartbeatHostDevice(Context context, Offer offer, long intervalMs) {
        super(DeviceClass.HEARTBEAT.name(), context, offer, IcConstants.MSGTYPE_HEARTBEAT,
                List.of(IcVersion.of(1, 0), IcVersion.of(3, 0), IcVersion.of(3, 1)));
        this.intervalMs = intervalMs;
    }

    /** A reply may take the interval, but never less than two seconds: a fast test interval is not a deadline. */
    private long replyTimeoutMs() {
        return Math.max(intervalMs, MIN_REPLY_TIMEOUT_MS);
    }

    /**
     * Called on the host's context with each rightly answered heartbeat's round trip in nanoseconds, from just
     * before the request is sent to its reply reaching this device: what the dashboard benchmark reads as the guest's
     * responsiveness (docs/benchmarks/dashboard.md).
     */
    public void roundTripHandler(LongConsumer handler) {
        roundTrips = handler;
    }

    /** Called on every health change. */
    public void healthHandler(Consumer<Health> handler) {
        healthHandler = handler;
    }

    @Override
    protected void ready() {
        halted = false; // a re-offered channel starts beating again
        beat();
    }

    /**
     * Fault knob: the host stops sending heartbeats on this channel (the guest sees them late, then lost)
     * until the channel is opened again (re-offer).
     */
    public void halt() {
        halted = true;
        if (timer >= 0) {
            context.owner().cancelTimer(timer);
            timer = -1;
        }
    }

    /** One heartbeat; the next is scheduled when this one is answered or missed, so one is outstanding at most. */
    private void beat() {
        timer = -1;
        if (phase() != Phase.READY || halted) {
            return;
        }
        long started = System.nanoTime();
        long sent = ++sequence;
        IcMessage request = newRequest(HeartbeatMessage.HOST_BODY);
        request.putU64(HeartbeatMessage.SEQUENCE, sent);
        transact(request, IcConstants.MSGTYPE_HEARTBEAT, replyTimeoutMs()).onComplete(ar -> {
            if (phase() != Phase.READY) {
                return; // the channel closed under this heartbeat: not a miss, the guest went away
            }
            if (halted) {
                return; // halted while this one was outstanding: send no more
            }
            long elapsedMs = (System.nanoTime() - started) / 1_000_000;
            timer = context.owner().setTimer(Math.max(1, intervalMs - elapsedMs), t -> beat());
            if (ar.failed()) {
                misses++;
                health(Health.LOST, "no heartbeat reply: " + ar.cause().getMessage());
                return;
            }
            IcMessage reply = ar.result();
            long got = reply.hasBody(HeartbeatMessage.MIN_BODY) ? reply.u64(HeartbeatMessage.SEQUENCE) : -1;
            if (got != sent + 1 || !reply.status().isOk()) {
                misses++;
                health(Health.LOST, "heartbeat " + sent + " answered with sequence " + got + ", status "
                        + reply.status());
                return;
            }
            replies++;
            roundTrips.accept(System.nanoTime() - started);
            lastReply = Instant.now();
            health(Health.HEALTHY, "heartbeat " + sent + " answered with " + got);
        });
    }

    private void health(Health next, String why) {
        if (next != health) {
            health = next;
            LOG.info("host: guest heartbeat on channel " + offer.relid() + " is " + next.name().toLowerCase()
                    + " (" + why + ")");
            healthHandler.accept(next);
        }
    }

    @Override
    protected void stopped(EndReason reason) {
        if (timer >= 0) {
            context.owner().cancelTimer(timer);
            timer = -1;
        }
        health(Health.UNKNOWN, "channel closed: " + reason.text());
    }

    public Health health() {
        return health;
    }

    public long replies() {
        return replies;
    }

    public long misses() {
        return misses;
    }

    @Override
    public JsonObject state() {
        JsonObject json = super.state().put("health", health.name().toLowerCase()).put("sequence", sequence)
                .put("replies", replies).put("misses", misses).put("intervalMs", intervalMs).put("halted", halted);
        if (lastReply != null) {
            json.put("lastReply", lastReply.toString());
        }
        return json;
    }
}
