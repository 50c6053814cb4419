package dev.vmbus.device.timesync;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.spi.IcDevice;
import dev.vmbus.spi.Reply;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.ic.timesync.CounterEpoch;
import dev.vmbus.ic.timesync.FileTime;
import dev.vmbus.ic.timesync.HostTimeSample;
import dev.vmbus.ic.timesync.ReferenceClock;
import dev.vmbus.ic.timesync.TimesyncMessage;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The guest's time sync (spec ic-protocols.md sections 3.2 and 5): reads each sample with the layout the
 * negotiated version calls for, keeps it as Linux does (host time extrapolated by the reference counter, whose
 * position against our CLOCK_MONOTONIC_RAW is learnt from the host's stamps by {@link CounterEpoch}), feeds
 * it to chronyd when a SOCK refclock is configured, and on SYNC steps the clock only when {@code stepClock} is
 * on. A sample the counter estimate cannot place yet (a suspected step of the counter) is answered but not
 * used; if it was a SYNC, the next usable sample steps the clock instead. Every well-formed message is answered
 * as Linux answers it: status untouched, flags 0x05, echoed; a message too short for its layout gets no reply;
 * any other message type gets {@code HV_E_FAIL}.
 */
public final class TimesyncDevice extends IcDevice<TimesyncState> {
    private static final Logger LOG = Logger.getLogger(TimesyncDevice.class.getName());
    /** Linux's lists (hv_util.c), most preferred first. */
    public static final List<IcVersion> FRAMEWORK_VERSIONS = List.of(IcVersion.of(3, 0), IcVersion.of(1, 0));
    public static final List<IcVersion> SERVICE_VERSIONS = List.of(IcVersion.of(4, 0), IcVersion.of(3, 0), IcVersion.of(1, 0));

    /** A clock pair read further apart than 20 us is read again, up to {@link #PAIR_TRIES} times. */
    private static final long PAIR_GAP_TICKS = 200;
    private static final int PAIR_TRIES = 4;

    private final TimesyncSettings settings;
    /** The guest's CLOCK_MONOTONIC_RAW in the agent; kept samples are anchored to it. */
    private final ReferenceClock local;
    private final ClockStepper stepper;
    private final ChronyFeed chrony;
    private long steps;
    private long stepFailures;
    private String lastStepError;
    private Instant lastStep;

    /**
     * @param local   the guest clock that stands in for the partition reference counter (CLOCK_MONOTONIC_RAW in
     *                the agent; a controlled clock in tests)
     */
    public TimesyncDevice(TimesyncSettings settings, ReferenceClock local, ClockStepper stepper) {
        super(DeviceClass.TIMESYNC.name(), FRAMEWORK_VERSIONS, SERVICE_VERSIONS, TimesyncState::new);
        this.settings = settings;
        this.local = local;
        this.stepper = stepper;
        this.chrony = settings.chronySocket() != null ? new ChronyFeed(settings.chronySocket()) : null;
    }

    @Override
    public Future<?> stop() {
        if (chrony != null) {
            chrony.close();
        }
        return Future.succeededFuture();
    }

    @Override
    protected Future<Reply> handle(TimesyncState state, IcMessage m) {
        if (m.msgType() != IcConstants.MSGTYPE_TIMESYNC) {
            return unexpectedType(m);
        }
        boolean v4 = TimesyncMessage.usesV4(state.negotiated() != null ? state.negotiated().message() : null);
        Optional<TimesyncMessage.Sample> read = TimesyncMessage.read(m, v4);
        if (read.isEmpty()) {
            return Future.succeededFuture(Reply.none()); // Linux stops processing: no reply for this packet
        }
        TimesyncMessage.Sample sample = read.get();
        // Our clock and our realtime clock, read as close together as we can: the pair is the measurement. A
        // pair with the thread preempted between the reads is read again (a few tries; the best one is kept).
        long now = 0;
        Instant wall = null;
        long bestGap = Long.MAX_VALUE;
        for (int i = 0; i < PAIR_TRIES && bestGap > PAIR_GAP_TICKS; i++) {
            long before = local.ticks();
            Instant w = Instant.now();
            long after = local.ticks();
            if (after - before < bestGap) {
                bestGap = after - before;
                now = before + (after - before) / 2;
                wall = w;
            }
        }
        // v4: the host stamped the partition reference counter, which we cannot read; place it by what the
        // host's stamps tell us of its lead over our clock (CounterEpoch). The old layout has no stamp.
        long counterNow = now;
        if (sample.v4()) {
            CounterEpoch.Observation seen = state.epoch().observe(sample.referenceTime(), now);
            if (!seen.usable()) {
                if (seen.outcome() == CounterEpoch.Outcome.REFUSED) {
                    state.refused(sample);
                } else {
                    state.held(sample);
                    state.stepPending(state.stepPending() || sample.sync());
                }
                LOG.fine(() -> "timesync: " + seen.outcome().name().toLowerCase() + " a " + sample.kind()
                        + " stamped at reference counter " + Long.toUnsignedString(sample.referenceTime()));
                return Future.succeededFuture(Reply.echo());
            }
            if (seen.outcome() == CounterEpoch.Outcome.RAISED || seen.outcome() == CounterEpoch.Outcome.RELEARNT) {
                long lead = state.epoch().leadTicks();
                LOG.info(() -> "timesync: the reference counter moved against our clock ("
                        + seen.outcome().name().toLowerCase() + "); it is now " + lead / 1e7
                        + " s ahead of CLOCK_MONOTONIC_RAW");
            }
            counterNow = seen.counterNow();
        }
        Optional<HostTimeSample> received = HostTimeSample.received(sample, counterNow);
        if (received.isEmpty()) {
            state.refused(sample);
            LOG.fine(() -> "timesync: refused a " + sample.kind() + " whose host time cannot be extrapolated to now");
            return Future.succeededFuture(Reply.echo());
        }
        // Kept against our own clock from here on: extrapolating later needs no counter estimate at all.
        HostTimeSample kept = received.get().anchoredAt(now);
        long tvMicros = Math.multiplyExact(wall.getEpochSecond(), 1_000_000L) + wall.getNano() / 1000;
        long hostNanos = FileTime.toUnixNanos(kept.hostTime());
        long offsetNanos = hostNanos - tvMicros * 1000;
        state.accepted(sample, kept, offsetNanos);
        if (chrony != null) {
            chrony.send(new SockSample(Math.floorDiv(tvMicros, 1_000_000L), Math.floorMod(tvMicros, 1_000_000L),
                    offsetNanos / 1e9, SockSample.leapOf(sample.leapFlags())));
        }
        boolean step = sample.sync() || state.stepPending();
        state.stepPending(false);
        if (step && settings.stepClock()) {
            stepTo(kept);
        }
        return Future.succeededFuture(Reply.echo());
    }

    /** Linux steps in process context after answering; we step on a worker, to the host's time at that moment. */
    private void stepTo(HostTimeSample sample) {
        vertx.executeBlocking(() -> {
            long target = sample.hostUnixNanosAt(local.ticks()).orElseThrow(
                    () -> new IllegalStateException("the sample went stale before the clock could be stepped"));
            stepper.step(target);
            return target;
        }, false).onComplete(ar -> {
            if (ar.succeeded()) {
                steps++;
                lastStep = Instant.now();
                LOG.info("timesync: stepped the clock to the host's time " + Instant.ofEpochSecond(0, ar.result()));
            } else {
                stepFailures++;
                lastStepError = ar.cause().getMessage();
                LOG.warning("timesync: could not step the clock: " + lastStepError);
            }
        });
    }

    @Override
    public JsonObject state() {
        JsonObject step = new JsonObject().put("enabled", settings.stepClock()).put("steps", steps)
                .put("failures", stepFailures);
        if (lastStep != null) {
            step.put("lastStep", lastStep.toString());
        }
        if (lastStepError != null) {
            step.put("lastError", lastStepError);
        }
        long now = local.ticks();
        channels().values().forEach(s -> s.now(now));
        return super.state().put("chrony", chrony != null ? chrony.toJson() : null).put("clockStep", step);
    }
}
