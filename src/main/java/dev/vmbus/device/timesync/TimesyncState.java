package dev.vmbus.device.timesync;

import dev.vmbus.spi.IcChannelState;
import dev.vmbus.ic.IcNegotiation;
import dev.vmbus.ic.timesync.CounterEpoch;
import dev.vmbus.ic.timesync.FileTime;
import dev.vmbus.ic.timesync.HostTimeSample;
import dev.vmbus.ic.timesync.TimesyncMessage;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.OptionalLong;

/**
 * Per timesync channel: the kept sample (anchored to the guest's CLOCK_MONOTONIC_RAW), the learnt lead of the
 * partition reference counter, the last SYNC and SAMPLE, and the host's offset from our clock. Used on the
 * timesync verticle's context only.
 */
public final class TimesyncState extends IcChannelState {
    private final CounterEpoch epoch = new CounterEpoch();
    private IcNegotiation.Negotiated epochNegotiation;
    private boolean stepPending;
    private long held;
    private HostTimeSample sample;
    private long offsetNanos;
    private Instant lastSync;
    private Instant lastSample;
    private long syncs;
    private long samples;
    private long probes;
    private long refused;
    private boolean lastV4;
    private long readAt = Long.MIN_VALUE;

    TimesyncState(int relid) {
        super(relid);
    }

    void accepted(TimesyncMessage.Sample message, HostTimeSample kept, long offsetNanos) {
        count(message);
        this.sample = kept;
        this.offsetNanos = offsetNanos;
    }

    void refused(TimesyncMessage.Sample message) {
        count(message);
        refused++;
    }

    /** Counted, answered, not used: the counter estimate cannot place it yet (see {@link CounterEpoch}). */
    void held(TimesyncMessage.Sample message) {
        count(message);
        held++;
    }

    /**
     * The counter estimate for this channel, started afresh whenever the channel has been negotiated again
     * since the last sample: a renegotiation means the host's timesync restarted (after a restore or resume),
     * when the counter may have moved against our clock.
     */
    CounterEpoch epoch() {
        if (negotiated() != epochNegotiation) {
            epoch.reset();
            epochNegotiation = negotiated();
        }
        return epoch;
    }

    /** A SYNC that could not be used yet: the next usable sample steps the clock in its place. */
    void stepPending(boolean pending) {
        stepPending = pending;
    }

    boolean stepPending() {
        return stepPending;
    }

    private void count(TimesyncMessage.Sample message) {
        lastV4 = message.v4();
        if (message.sync()) {
            syncs++;
            lastSync = Instant.now();
        }
        if (message.sample()) {
            samples++;
            lastSample = Instant.now();
        }
        if (!message.sync() && !message.sample()) {
            probes++;
        }
    }

    /** Sets the guest clock reading (CLOCK_MONOTONIC_RAW ticks) {@link #toJson} extrapolates the host's time to. */
    void now(long referenceTicks) {
        readAt = referenceTicks;
    }

    @Override
    public JsonObject toJson() {
        JsonObject json = super.toJson().put("layout", lastV4 ? "v4" : "v1-3").put("syncs", syncs)
                .put("samples", samples).put("probes", probes).put("refused", refused).put("held", held);
        if (epoch.known()) {
            json.put("referenceCounter", new JsonObject()
                    .put("aheadOfGuestClockMs", epoch.leadTicks() / 1e4)
                    .put("lastDelayMs", epoch.lastDelayTicks() / 1e4)
                    .put("boundsKept", epoch.boundsKept())
                    .put("raised", epoch.raisedCount())
                    .put("held", epoch.heldCount())
                    .put("relearnt", epoch.relearntCount())
                    .put("resets", epoch.resetCount()));
        }
        if (lastSync != null) {
            json.put("lastSync", lastSync.toString());
        }
        if (lastSample != null) {
            json.put("lastSample", lastSample.toString());
        }
        if (sample != null) {
            json.put("offsetMillis", offsetNanos / 1e6);
            OptionalLong host = readAt == Long.MIN_VALUE ? OptionalLong.empty() : sample.hostTimeAt(readAt);
            json.put("stale", host.isEmpty());
            host.ifPresent(t -> json.put("hostTime", Instant.ofEpochSecond(0, FileTime.toUnixNanos(t)).toString()));
        }
        return json;
    }
}
