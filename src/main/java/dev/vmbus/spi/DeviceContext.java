package dev.vmbus.spi;

import dev.vmbus.config.TransportType;
import com.fasterxml.jackson.databind.JsonMappingException;
import io.vertx.core.json.JsonObject;

import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

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
     * a value of the wrong JSON type is refused naming the key. The record's own (compact) constructor checks the
     * values; its {@link IllegalArgumentException} comes through as it is. The registry prefixes every failure
     * with {@code devices.<name>}.
     */
    public <S extends Record> S settings(Class<S> type, S defaults) {
        Set<String> known = Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName)
                .collect(Collectors.toCollection(TreeSet::new));
        for (String key : config.fieldNames()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException("unknown key '" + key + "' (" + name + " has " + known
                        + " besides 'enabled')");
            }
        }
        JsonObject merged = JsonObject.mapFrom(defaults).mergeIn(config, false);
        try {
            return merged.mapTo(type);
        } catch (IllegalArgumentException e) {
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof JsonMappingException m && c.getCause() instanceof IllegalArgumentException own) {
                    throw own; // the record's constructor refused the values
                }
            }
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof JsonMappingException m && !m.getPath().isEmpty()) {
                    String key = m.getPath().getFirst().getFieldName();
                    throw new IllegalArgumentException("'" + key + "' has the wrong type: got " + config.getValue(key)
                            + " (" + m.getOriginalMessage().lines().findFirst().orElse("") + ")", e);
                }
            }
            throw e;
        }
    }
}
