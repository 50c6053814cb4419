package dev.vmbus.device.timesync;

import dev.vmbus.device.IcChannelState;
import dev.vmbus.ic.timesync.FileTime;
import dev.vmbus.ic.timesync.HostTimeSample;
import dev.vmbus.ic.timesync.TimesyncMessage;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.OptionalLong;

/** Per timesync channel: the kept sample, the last SYNC and SAMPLE, and the host's offset from our clock. */
public final class TimesyncState extends IcChannelState {
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

    /** The kept sample, or null before the first accepted one. */
    public HostTimeSample sample() {
        return sample;
    }

    /** Host time minus our clock when the last accepted sample arrived, in nanoseconds. */
    public long offsetNanos() {
        return offsetNanos;
    }

    public long refusedCount() {
        return refused;
    }

    /** Sets the counter reading {@link #toJson} extrapolates the host's time to. */
    void now(long referenceTicks) {
        readAt = referenceTicks;
    }

    @Override
    public JsonObject toJson() {
        JsonObject json = super.toJson().put("layout", lastV4 ? "v4" : "v1-3").put("syncs", syncs)
                .put("samples", samples).put("probes", probes).put("refused", refused);
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
