package dev.vmbus.device.vss;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.spi.DeviceGauge.Sample;
import dev.vmbus.spi.DeviceGauge;
import dev.vmbus.spi.DeviceProblem.Severity;
import dev.vmbus.spi.DeviceProblem;
import dev.vmbus.spi.HealthCheck;
import dev.vmbus.spi.IcPlugin;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The VSS (backup) device class; settings in {@link VssSettings}. */
public final class VssHandler extends IcPlugin<VssSettings> {
    public VssHandler() {
        super(DeviceClass.VSS, context -> context.settings(VssSettings.class, VssSettings.DEFAULTS), (settings, context) -> new VssDevice(settings));
    }

    /**
     * File systems frozen for longer than {@code vssFrozenMs} are critical; shorter, a note (a backup running). Said
     * on each open vss channel, or on the device when none is open.
     */
    @Override
    public List<DeviceProblem> health(JsonObject state, HealthCheck check) {
        if (!state.getBoolean("frozen", false)) {
            return List.of();
        }
        long ms = state.getLong("frozenForMs", 0L);
        boolean tooLong = ms > check.thresholds().vssFrozenMs();
        Map<Integer, String> where = check.openChannels().isEmpty() ? Map.of(DeviceProblem.DEVICE, name())
                : check.openChannels();
        List<DeviceProblem> out = new ArrayList<>();
        where.forEach((relid, label) -> out.add(tooLong
                ? new DeviceProblem(relid, "vss_frozen", Severity.CRITICAL,
                        label + ": file systems frozen for " + HealthCheck.seconds(ms))
                : new DeviceProblem(relid, "vss_frozen", Severity.NOTE,
                        label + ": file systems frozen for " + HealthCheck.seconds(ms) + " (backup running)")));
        return out;
    }

    @Override
    public List<DeviceGauge> gauges() {
        return List.of(
                new DeviceGauge("vmbus_vss_frozen", "1 while file systems are frozen for a backup.", List.of(),
                        (state, now) -> state.containsKey("frozen")
                                ? List.of(Sample.of(state.getBoolean("frozen", false) ? 1 : 0)) : List.of()),
                new DeviceGauge("vmbus_vss_frozen_seconds", "Seconds the file systems have been frozen (0 when thawed).",
                        List.of(), (state, now) -> state.containsKey("frozen")
                                ? List.of(Sample.of(state.getBoolean("frozen", false)
                                        ? state.getLong("frozenForMs", 0L) / 1000.0 : 0)) : List.of()));
    }
}
