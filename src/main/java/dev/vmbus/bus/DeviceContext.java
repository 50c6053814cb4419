package dev.vmbus.bus;

import io.vertx.core.json.JsonObject;

/**
 * What a device handler is given: its config section and where it runs.
 *
 * @param name      the handler's name
 * @param config    its section of {@code devices} (a copy; {@code enabled} removed)
 * @param transport {@code sim}, {@code shm} or {@code uio}: handlers default to dry runs on {@code sim}
 */
public record DeviceContext(String name, JsonObject config, String transport) {

    /** True if actions with side effects on this machine should be simulated by default. */
    public boolean simulated() {
        return "sim".equals(transport);
    }
}
