package dev.vmbus.host;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.ic.kvp.KvpValue;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;

import static dev.vmbus.host.SimulatedHostControl.boolParam;
import static dev.vmbus.host.SimulatedHostControl.longParam;
import static dev.vmbus.host.SimulatedHostControl.ok;
import static dev.vmbus.host.SimulatedHostControl.stringParam;

/**
 * The integration services' host actions, as the dashboard's host panel and {@code POST /api/host/actions/*}
 * offer them. Each maps JSON parameters onto the device driver's Java API.
 */
final class ServiceActions {
    private ServiceActions() {
    }

    static void register(SimulatedHost host, Map<String, Function<JsonObject, Future<JsonObject>>> actions) {
        actions.put("shutdown", p -> {
            ShutdownHostDevice d = host.device(DeviceClass.SHUTDOWN.name(), ShutdownHostDevice.class);
            String kind = p.getString("kind", "poweroff");
            Future<ShutdownHostDevice.Result> r = switch (kind) {
                case "poweroff" -> d.powerOff();
                case "reboot" -> d.reboot();
                case "hibernate" -> d.hibernate();
                default -> throw new IllegalArgumentException("\"kind\" must be poweroff, reboot or hibernate, got '" + kind + "'");
            };
            return r.map(ShutdownHostDevice.Result::toJson);
        });
        actions.put("shift-clock", p -> host.device(DeviceClass.TIMESYNC.name(), TimesyncHostDevice.class)
                .shiftClock(longParam(p, "ms", -86_400_000L * 365, 86_400_000L * 365))
                .map(v -> ok("host clock shifted by " + p.getValue("ms") + " ms")));
        actions.put("timesync-now", p -> host.device(DeviceClass.TIMESYNC.name(), TimesyncHostDevice.class).sync()
                .map(s -> ok("SYNC sent, guest status " + s.status())));
        actions.put("backup", p -> host.device(DeviceClass.VSS.name(), VssHostDevice.class).backup().map(VssHostDevice.Backup::toJson));
        actions.put("kvp-set", p -> {
            int pool = pool(p);
            String key = stringParam(p, "key");
            return host.device(DeviceClass.KVP.name(), KvpHostDevice.class).set(pool, key, KvpValue.string(stringParam(p, "value")))
                    .map(v -> ok("set " + key + " in pool " + pool));
        });
        actions.put("kvp-delete", p -> {
            int pool = pool(p);
            String key = stringParam(p, "key");
            return host.device(DeviceClass.KVP.name(), KvpHostDevice.class).delete(pool, key).map(v -> ok("deleted " + key + " from pool " + pool));
        });
        actions.put("kvp-enumerate", p -> host.device(DeviceClass.KVP.name(), KvpHostDevice.class).getAll(pool(p)).map(entries -> {
            JsonArray out = new JsonArray();
            entries.forEach(e -> out.add(new JsonObject().put("key", e.key()).put("value", e.value().text())));
            return new JsonObject().put("pool", p.getValue("pool")).put("entries", out);
        }));
        actions.put("copy-file", p -> host.device(DeviceClass.FCOPY.name(), FcopyHostDevice.class)
                .copy(Path.of(stringParam(p, "localFile")), stringParam(p, "guestPath"), stringParam(p, "name"),
                        boolParam(p, "overwrite", false), boolParam(p, "createPath", false))
                .map(r -> new JsonObject().put("guestPath", r.guestPath()).put("name", r.name())
                        .put("bytesSent", r.bytesSent()).put("writes", r.writes()).put("cancelled", r.cancelled())));
        actions.put("cancel-copy", p -> host.device(DeviceClass.FCOPY.name(), FcopyHostDevice.class).cancel()
                .map(c -> ok(c ? "copy cancelled" : "no copy in progress")));
    }

    private static int pool(JsonObject p) {
        return (int) longParam(p, "pool", 0, 4);
    }
}
