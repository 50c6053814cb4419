package dev.vmbus.device.timesync;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.ic.timesync.ReferenceClock;
import dev.vmbus.os.Clocks;
import dev.vmbus.spi.DeviceGauge.Sample;
import dev.vmbus.spi.DeviceGauge;
import dev.vmbus.spi.DeviceSeries;
import dev.vmbus.spi.DeviceProblem.Severity;
import dev.vmbus.spi.DeviceProblem;
import dev.vmbus.spi.HealthCheck;
import dev.vmbus.spi.IcChannelState;
import dev.vmbus.spi.IcPlugin;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;

/** The time sync device class; settings in {@link TimesyncSettings}. */
public final class TimesyncHandler extends IcPlugin<TimesyncSettings> {
    public TimesyncHandler() {
        super(DeviceClass.TIMESYNC, context -> context.settings(TimesyncSettings.class, TimesyncSettings.DEFAULTS),
                (settings, context) -> new TimesyncDevice(settings, ReferenceClock.MONOTONIC_RAW, Clocks::setRealtime));
    }

    /**
     * A channel whose last accepted sample is off by more than {@code timesyncOffsetMs}, or older than
     * {@code timesyncStaleMs}, needs attention.
     */
    @Override
    public List<DeviceProblem> health(JsonObject state, HealthCheck check) {
        return IcChannelState.openChannelProblems(state, check, (ch, relid, label, out) -> {
            Double offset = ch.getDouble("offsetMillis");
            double limit = check.thresholds().timesyncOffsetMs();
            if (offset != null && Math.abs(offset) > limit) {
                out.add(new DeviceProblem(relid, "timesync_offset", Severity.WARNING, String.format(Locale.ROOT,
                        "%s offset %.3f ms (host - guest), beyond %.3f ms", label, offset, limit)));
            }
            Instant last = instant(ch.getString("lastSample"));
            if (last != null && check.nowMillis() - last.toEpochMilli() > check.thresholds().timesyncStaleMs()) {
                out.add(new DeviceProblem(relid, "timesync_stale", Severity.WARNING, label + ": no time sample for "
                        + HealthCheck.seconds(check.nowMillis() - last.toEpochMilli())));
            }
        });
    }

    @Override
    public List<DeviceGauge> gauges() {
        return List.of(
                new DeviceGauge("vmbus_timesync_offset_seconds", "Host time minus guest time at the last accepted sample.",
                        List.of("relid"), (state, now) -> IcChannelState.channels(state).stream()
                        .filter(ch -> ch.getDouble("offsetMillis") != null)
                        .map(ch -> Sample.of(ch.getDouble("offsetMillis") / 1000.0,
                                Integer.toString(ch.getInteger("relid", -1)))).toList()),
                new DeviceGauge("vmbus_timesync_sample_age_seconds", "Seconds since the last time sample from the host.",
                        List.of("relid"), (state, now) -> IcChannelState.channels(state).stream()
                        .filter(ch -> ch.getDouble("offsetMillis") != null && instant(ch.getString("lastSample")) != null)
                        .map(ch -> Sample.of(Math.max(0, now - instant(ch.getString("lastSample")).toEpochMilli()) / 1000.0,
                                Integer.toString(ch.getInteger("relid", -1)))).toList()));
    }

    /** The dashboard's offset chart: the first channel's offset at its last accepted sample, in ms. */
    @Override
    public List<DeviceSeries> series() {
        return List.of(new DeviceSeries("offsetMs", "offset (host − guest)", "ms", state -> IcChannelState.channels(state).stream()
                .map(ch -> ch.getDouble("offsetMillis")).filter(v -> v != null).findFirst().orElse(Double.NaN)));
    }

    private static Instant instant(String iso) {
        try {
            return iso == null ? null : Instant.parse(iso);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
