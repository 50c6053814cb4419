package dev.vmbus.device.heartbeat;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.spi.DeviceGauge.Sample;
import dev.vmbus.spi.DeviceGauge;
import dev.vmbus.spi.DeviceProblem.Severity;
import dev.vmbus.spi.DeviceProblem;
import dev.vmbus.spi.HealthCheck;
import dev.vmbus.spi.IcChannelState;
import dev.vmbus.spi.IcPlugin;
import dev.vmbus.spi.NoSettings;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** The heartbeat device class: {@code devices.heartbeat} has no settings besides {@code enabled}. */
public final class HeartbeatHandler extends IcPlugin<NoSettings> {
    public HeartbeatHandler() {
        super(DeviceClass.HEARTBEAT, NoSettings::of, (settings, context) -> new HeartbeatDevice());
    }

    /** A channel whose last heartbeat is older than {@code heartbeatLateMs} is late, older than {@code heartbeatLostMs} lost. */
    @Override
    public List<DeviceProblem> health(JsonObject state, HealthCheck check) {
        return IcChannelState.openChannelProblems(state, check, (ch, relid, label, out) -> {
            if (!ch.containsKey("ageMillis")) {
                return;
            }
            long age = ch.getLong("ageMillis");
            if (age > check.thresholds().heartbeatLostMs()) {
                out.add(new DeviceProblem(relid, "heartbeat_lost", Severity.CRITICAL,
                        label + " lost: no heartbeat for " + HealthCheck.seconds(age)));
            } else if (age > check.thresholds().heartbeatLateMs()) {
                out.add(new DeviceProblem(relid, "heartbeat_late", Severity.WARNING,
                        label + " late: no heartbeat for " + HealthCheck.seconds(age)));
            }
        });
    }

    @Override
    public List<DeviceGauge> gauges() {
        return List.of(new DeviceGauge("vmbus_heartbeat_age_seconds",
                "Seconds since the host's last heartbeat on the channel.", List.of("relid"),
                (state, now) -> IcChannelState.channels(state).stream().filter(ch -> ch.containsKey("ageMillis"))
                        .map(ch -> Sample.of(ch.getLong("ageMillis") / 1000.0,
                                Integer.toString(ch.getInteger("relid", -1)))).toList()));
    }
}
