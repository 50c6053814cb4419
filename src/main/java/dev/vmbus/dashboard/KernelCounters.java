package dev.vmbus.dashboard;

import dev.vmbus.transport.uio.KernelChannelCounters;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.Map;

/**
 * Puts the kernel's per-channel sysfs attributes (see {@link KernelChannelCounters}) into the channel JSON as a
 * separate {@code kernel} object, so that the agent's counters ({@code stats}) and the kernel's are never confused.
 * Stateless; {@link #read} blocks (call it on a worker), {@link #merge} does not.
 */
final class KernelCounters {
    private KernelCounters() {
    }

    static Map<Integer, Map<String, Long>> read(Path sysfsRoot) {
        return KernelChannelCounters.read(sysfsRoot);
    }

    /** A copy of {@code snapshot} with {@code kernel} set on each channel the kernel describes. */
    static JsonObject merge(JsonObject snapshot, Map<Integer, Map<String, Long>> byRelid) {
        JsonObject out = snapshot.copy();
        JsonArray channels = out.getJsonArray("channels", new JsonArray());
        for (int i = 0; i < channels.size(); i++) {
            JsonObject c = channels.getJsonObject(i);
            Map<String, Long> k = c.getInteger("relid") == null ? null : byRelid.get(c.getInteger("relid"));
            if (k != null) {
                JsonObject kernel = new JsonObject();
                k.forEach(kernel::put);
                c.put("kernel", kernel);
            }
        }
        return out;
    }
}
