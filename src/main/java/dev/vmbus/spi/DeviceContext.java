package dev.vmbus.spi;

import dev.vmbus.config.TransportType;
import dev.vmbus.transport.SettingsBinder;
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

    /**
     * Binds this section into the settings record {@code type} in one call: each key is the record component of
     * that name, a key the record lacks is refused by name, a key left out keeps its value in {@code defaults}, and
     * a value of the wrong JSON type is refused naming the key and the type wanted. The record's own (compact)
     * constructor checks the values; its {@link IllegalArgumentException} comes through as it is. The registry
     * prefixes every failure with {@code devices.<name>}. Component types: {@code boolean}, {@code int},
     * {@code long}, {@code double}, {@code String}, {@code Path}, an enum (its constant's name in lower case),
     * {@code JsonObject}, {@code JsonArray} and a {@code List} of these; JSON null reaches the constructor as null
     * (refused for a primitive).
     */
    public <S extends Record> S settings(Class<S> type, S defaults) {
        return SettingsBinder.bind(name, " besides 'enabled'", config, type, defaults);
    }
}
