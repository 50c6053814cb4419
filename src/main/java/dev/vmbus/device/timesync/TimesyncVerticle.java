package dev.vmbus.device.timesync;

import dev.vmbus.device.IcDeviceVerticle;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;
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
 * negotiated version calls for, keeps it as Linux does (host time extrapolated by the reference counter), feeds
 * it to chronyd when a SOCK refclock is configured, and on SYNC steps the clock only when {@code stepClock} is
 * on. Every well-formed message is answered as Linux answers it: status untouched, flags 0x05, echoed; a message
 * too short for its layout gets no reply; any other message type gets {@code HV_E_FAIL}.
 */
public final class TimesyncVerticle extends IcDeviceVerticle<TimesyncState> {
    private static final Logger LOG = Logger.getLogger(TimesyncVerticle.class.getName());
    /** Linux's lists (hv_util.c), most preferred first. */
    public static final List<IcVersion> FRAMEWORK_VERSIONS = List.of(IcVersion.of(3, 0), IcVersion.of(1, 0));
    public static final List<IcVersion> SERVICE_VERSIONS = List.of(IcVersion.of(4, 0), IcVersion.of(3, 0), IcVersion.of(1, 0));

    private final TimesyncSettings settings;
    private final ReferenceClock reference;
    private final ClockStepper stepper;
    private final ChronyFeed chrony;
    private long steps;
    private long stepFailures;
    private String lastStepError;
    private Instant lastStep;

    public TimesyncVerticle(TimesyncSettings settings, ReferenceClock reference, ClockStepper stepper) {
        super("timesync", FRAMEWORK_VERSIONS, SERVICE_VERSIONS, TimesyncState::new);
        this.settings = settings;
        this.reference = reference;
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
    protected Future<Answer> handle(TimesyncState state, IcMessage m) {
        if (m.msgType() != IcConstants.MSGTYPE_TIMESYNC) {
            m.status(IcConstants.E_FAIL);
            return Future.succeededFuture(Answer.REPLY);
        }
        boolean v4 = TimesyncMessage.usesV4(state.negotiated() != null ? state.negotiated().message() : null);
        Optional<TimesyncMessage.Sample> read = TimesyncMessage.read(m, v4);
        if (read.isEmpty()) {
            return Future.succeededFuture(Answer.DROP); // Linux stops processing: no reply for this packet
        }
        TimesyncMessage.Sample sample = read.get();
        // Our clock and the reference counter, read as close together as we can: the pair is the measurement.
        long before = reference.ticks();
        Instant wall = Instant.now();
        long after = reference.ticks();
        long now = before + (after - before) / 2;
        Optional<HostTimeSample> kept = HostTimeSample.received(sample, now);
        if (kept.isEmpty()) {
            state.refused(sample);
            LOG.fine(() -> "timesync: refused a " + sample.kind() + " whose host time cannot be extrapolated to now");
            return Future.succeededFuture(Answer.REPLY);
        }
        long tvMicros = Math.multiplyExact(wall.getEpochSecond(), 1_000_000L) + wall.getNano() / 1000;
        long hostNanos = FileTime.toUnixNanos(kept.get().hostTime());
        long offsetNanos = hostNanos - tvMicros * 1000;
        state.accepted(sample, kept.get(), offsetNanos);
        if (chrony != null) {
            chrony.send(new SockSample(Math.floorDiv(tvMicros, 1_000_000L), Math.floorMod(tvMicros, 1_000_000L),
                    offsetNanos / 1e9, SockSample.leapOf(sample.leapFlags())));
        }
        if (sample.sync() && settings.stepClock()) {
            stepTo(kept.get());
        }
        return Future.succeededFuture(Answer.REPLY);
    }

    /** Linux steps in process context after answering; we step on a worker, to the host's time at that moment. */
    private void stepTo(HostTimeSample sample) {
        vertx.executeBlocking(() -> {
            long target = sample.hostUnixNanosAt(reference.ticks()).orElseThrow(
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
        long now = reference.ticks();
        channels().values().forEach(s -> s.now(now));
        return super.state().put("chrony", chrony != null ? chrony.toJson() : null).put("clockStep", step);
    }
}
