package dev.vmbus.host;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.ic.IcStatus;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.ic.timesync.TimesyncMessage;
import dev.vmbus.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The host's time sync driver, as OpenVMM's (spec sections 3.2 and 7): right after negotiation a SYNC, then a
 * SAMPLE each interval after the previous reply. Each message carries one coherent snapshot of (reference
 * counter, host UTC), taken just before it is sent; the host's UTC comes from a {@link HostClock} whose offset
 * and drift can be changed at any time, the counter from a {@link PartitionCounter} that runs ahead of the
 * guest's clock (as a real partition's does) and can be stepped (suspend, restore). Offers only 4.0 by default, as OpenVMM; a list with 3.0 or lower lets
 * a test drive the old layout.
 */
public final class TimesyncHostDevice extends IcHostDevice {
    /** OpenVMM's list. */
    public static final List<IcVersion> DEFAULT_VERSIONS = List.of(IcVersion.of(4, 0));

    /** One message the host sent and how the guest answered. */
    public record SampleSent(Instant sentAt, int flags, long parentTime, long referenceTime, boolean v4, IcStatus status) {
        public boolean answeredOk() {
            return status.isOk();
        }
    }

    private final long intervalMs;
    private final HostClock clock;
    private final PartitionCounter counter;
    private long timer = -1;
    private boolean busy;
    private final List<Promise<SampleSent>> syncWaiters = new ArrayList<>();
    private SampleSent last;
    private long sent;
    private long failures;
    private String lastFailure;

    public TimesyncHostDevice(Context context, Offer offer, long intervalMs, HostClock clock, PartitionCounter counter) {
        this(context, offer, intervalMs, clock, counter, DEFAULT_VERSIONS);
    }

    /** @param versions the service versions to offer, ascending */
    public TimesyncHostDevice(Context context, Offer offer, long intervalMs, HostClock clock, PartitionCounter counter,
                              List<IcVersion> versions) {
        super(DeviceClass.TIMESYNC.name(), context, offer, IcConstants.MSGTYPE_TIMESYNC, versions);
        this.intervalMs = intervalMs;
        this.clock = clock;
        this.counter = counter;
    }

    @Override
    protected void ready() {
        send(TimesyncMessage.FLAG_SYNC);
    }

    /** Sends one message now; the next SAMPLE is scheduled when it is answered. */
    private void send(int flags) {
        timer = -1;
        if (phase() != Phase.READY) {
            return;
        }
        busy = true;
        boolean v4 = TimesyncMessage.usesV4(negotiated().message());
        IcMessage request = newRequest(TimesyncMessage.hostBodyLength(v4));
        long mono = System.nanoTime();
        Stamp stamp = stamp();
        Instant wall = stamp.wall();
        long reference = stamp.reference();
        long unixNanos = wall.getEpochSecond() * 1_000_000_000L + wall.getNano();
        long parentTime = clock.fileTime(unixNanos, mono);
        TimesyncMessage.write(request, v4, parentTime, reference, flags);
        transact(request, IcConstants.MSGTYPE_TIMESYNC, DEFAULT_REPLY_TIMEOUT_MS).onComplete(ar -> {
            busy = false;
            SampleSent result = null;
            if (ar.succeeded()) {
                sent++;
                result = new SampleSent(wall, flags, parentTime, reference, v4, ar.result().status());
                last = result;
                if (!result.answeredOk()) {
                    failures++;
                    lastFailure = "status " + result.status();
                }
            } else {
                failures++;
                lastFailure = ar.cause().getMessage();
            }
            if ((flags & TimesyncMessage.FLAG_SYNC) != 0) {
                List<Promise<SampleSent>> waiting = List.copyOf(syncWaiters);
                syncWaiters.clear();
                for (Promise<SampleSent> p : waiting) {
                    if (result != null) {
                        p.tryComplete(result);
                    } else {
                        p.tryFail(ar.cause());
                    }
                }
            }
            if (phase() != Phase.READY) {
                return;
            }
            if (!syncWaiters.isEmpty()) {
                send(TimesyncMessage.FLAG_SYNC);
            } else {
                timer = context.owner().setTimer(intervalMs, t -> send(TimesyncMessage.FLAG_SAMPLE));
            }
        });
    }

    private record Stamp(Instant wall, long reference) {
    }

    /**
     * (UTC, counter) read together: the pair is the host's measurement. A pair read with the thread preempted
     * in between would be off by the preemption, so one read more than 20 us apart is read again (the closest
     * of four is kept).
     */
    private Stamp stamp() {
        Stamp best = null;
        long bestGap = Long.MAX_VALUE;
        for (int i = 0; i < 4 && bestGap > 200; i++) {
            long before = counter.ticks();
            Instant wall = Instant.now();
            long after = counter.ticks();
            if (after - before < bestGap) {
                bestGap = after - before;
                best = new Stamp(wall, before + (after - before) / 2);
            }
        }
        return best;
    }

    /**
     * Sends a SYNC now (after the message in flight, if any) and completes with what was sent once the guest
     * has answered; fails before negotiation.
     */
    public Future<SampleSent> sync() {
        return OnContext.call(context, () -> {
            if (phase() != Phase.READY) {
                return Future.failedFuture("the timesync channel is not ready (" + phase().name().toLowerCase() + ")");
            }
            Promise<SampleSent> p = Promise.promise();
            syncWaiters.add(p);
            if (!busy) {
                if (timer >= 0) {
                    context.owner().cancelTimer(timer);
                }
                send(TimesyncMessage.FLAG_SYNC);
            }
            return p.future();
        });
    }

    /** Jumps the host's clock by {@code deltaMs} from the next message on. */
    public Future<Void> shiftClock(long deltaMs) {
        return OnContext.call(context, () -> {
            clock.shiftMillis(deltaMs);
            return Future.succeededFuture();
        });
    }

    /** Sets the host's clock to this machine's clock plus {@code offsetMs} (drift built up so far is dropped). */
    public Future<Void> setClockOffset(long offsetMs) {
        return OnContext.call(context, () -> {
            clock.setOffsetMillis(offsetMs);
            return Future.succeededFuture();
        });
    }

    /** Makes the host's clock run fast (positive) or slow by {@code ppm} parts per million from now on. */
    public Future<Void> setDrift(double ppm) {
        return OnContext.call(context, () -> {
            clock.setDrift(ppm, System.nanoTime());
            return Future.succeededFuture();
        });
    }

    /**
     * Steps the partition reference counter by {@code deltaMs} against the guest's clock from the next message
     * on: forward as across a guest suspend (the counter runs on while the guest's clocks stop), back as after
     * a hibernation resumed in a new partition. Fails if the counter would go below zero.
     */
    public Future<Void> stepReferenceCounter(long deltaMs) {
        return OnContext.call(context, () -> {
            counter.stepMillis(deltaMs);
            return Future.succeededFuture();
        });
    }

    /** The last message sent and answered, or null. Call on the host context. */
    public SampleSent lastSample() {
        return last;
    }

    @Override
    protected void stopped(EndReason reason) {
        if (timer >= 0) {
            context.owner().cancelTimer(timer);
            timer = -1;
        }
        busy = false;
        syncWaiters.forEach(p -> p.tryFail("channel closed: " + reason.text()));
        syncWaiters.clear();
    }

    @Override
    public JsonObject state() {
        JsonObject json = super.state().put("intervalMs", intervalMs).put("sent", sent).put("failures", failures)
                .put("clockOffsetMs", clock.offsetNanos(System.nanoTime()) / 1e6).put("clockDriftPpm", clock.driftPpm())
                .put("referenceCounterAheadMs", counter.aheadMillis());
        if (last != null) {
            json.put("lastSent", last.sentAt().toString()).put("lastFlags", last.flags()).put("lastLayout", last.v4() ? "v4" : "v1-3");
        }
        if (lastFailure != null) {
            json.put("lastFailure", lastFailure);
        }
        return json;
    }
}
