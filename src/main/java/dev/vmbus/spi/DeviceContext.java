package dev.vmbus.spi;

import dev.vmbus.config.TransportType;
import io.vertx.core.json.JsonObject;

/**
 * What a device handler is given: its config section and where it runs.
 *
 * @param name      the handler's name
 * @param config    its section of {@code devices} (a copy; {@code enabled} removed)
 * @param transport where the channels come from: handlers default to dry runs on {@link TransportType#SIM}
 */
public record DeviceContext(String name, JsonObject config, TransportType transport) {

    /** True if actions with side effects on this machine should be simulated by default. */
    public boolean simulated() {
        return transport == TransportType.SIM;
    }
}
