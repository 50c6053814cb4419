package dev.vmbus.host;

import dev.vmbus.transport.SettingsBinder;
import io.vertx.core.json.JsonObject;

/**
 * What a plug-in's host end is given for one offered channel ({@link HostPlugin#counterpart}): its name and its
 * settings, the entry's {@code settings} object from {@code host.offers}.
 *
 * @param name   the plug-in's host end ({@link HostPlugin#name})
 * @param config the entry's {@code settings} (empty when not given)
 */
public record CounterpartContext(String name, JsonObject config) {

    /**
     * Binds the settings into the record {@code type} in one call, as the guest end's
     * {@code spi.DeviceContext.settings} does: each key is the record component of that name, a key the record
     * lacks is refused by name, a key left out keeps its value in {@code defaults}, and a value of the wrong JSON
     * type is refused naming the key and the type wanted. The record's own (compact) constructor checks the values;
     * its {@link IllegalArgumentException} comes through as it is. The host prefixes every failure with
     * {@code host.offers[i].settings}. The component types are the guest end's.
     */
    public <S extends Record> S settings(Class<S> type, S defaults) {
        return SettingsBinder.bind(name, "", config, type, defaults);
    }
}
