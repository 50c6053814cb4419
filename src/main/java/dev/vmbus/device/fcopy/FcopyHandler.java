package dev.vmbus.device.fcopy;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.spi.DeviceGauge.Sample;
import dev.vmbus.spi.DeviceGauge;
import dev.vmbus.spi.DeviceProblem.Severity;
import dev.vmbus.spi.DeviceProblem;
import dev.vmbus.spi.HealthCheck;
import dev.vmbus.spi.IcPlugin;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The file copy (guest services) device class; settings in {@link FcopySettings}. */
public final class FcopyHandler extends IcPlugin<FcopySettings> {
    public FcopyHandler() {
        super(DeviceClass.FCOPY, context -> context.settings(FcopySettings.class, FcopySettings.DEFAULTS), (settings, context) -> new FcopyDevice(settings));
    }

    /** A copy on an open channel that received no data for longer than {@code fcopyStuckMs} is stuck. */
    @Override
    public List<DeviceProblem> health(JsonObject state, HealthCheck check) {
        JsonArray transfers = state.getJsonArray("transfers");
        List<DeviceProblem> out = new ArrayList<>();
        check.openChannels().forEach((relid, label) -> {
            for (int i = 0; transfers != null && i < transfers.size(); i++) {
                JsonObject x = transfers.getJsonObject(i);
                if (x.getInteger("relid", relid) == (int) relid && "copying".equals(x.getString("state"))
                        && x.getLong("idleMs", 0L) > check.thresholds().fcopyStuckMs()) {
                    out.add(new DeviceProblem(relid, "fcopy_stuck", Severity.WARNING, label + ": copy to "
                            + x.getString("target") + " stuck, no data for " + HealthCheck.seconds(x.getLong("idleMs"))));
                }
            }
        });
        return out;
    }

    @Override
    public List<DeviceGauge> gauges() {
        return List.of(new DeviceGauge("vmbus_fcopy_transfer_idle_seconds",
                "Seconds since a running file copy last received data.", List.of("relid", "target"), (state, now) -> {
                    JsonArray transfers = state.getJsonArray("transfers", new JsonArray());
                    Set<String> seen = new HashSet<>();
                    List<Sample> out = new ArrayList<>();
                    for (int k = 0; k < transfers.size(); k++) {
                        JsonObject x = transfers.getJsonObject(k);
                        String relid = Integer.toString(x.getInteger("relid", -1));
                        String target = x.getString("target", "");
                        // one series per (relid, target): the library refuses a duplicate label set
                        if ("copying".equals(x.getString("state")) && x.containsKey("idleMs")
                                && seen.add(relid + "\0" + target)) {
                            out.add(Sample.of(x.getLong("idleMs") / 1000.0, relid, target));
                        }
                    }
                    return out;
                }));
    }
}
