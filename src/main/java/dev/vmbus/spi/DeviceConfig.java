package dev.vmbus.spi;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks for device config sections: each failure is an {@link IllegalArgumentException} naming the key, which
 * the registry prefixes with {@code devices.<name>}.
 */
public final class DeviceConfig {
    private DeviceConfig() {
    }

    /** Refuses any key not in {@code known}. */
    public static void onlyKeys(JsonObject config, Set<String> known, String device) {
        for (String key : config.fieldNames()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException("unknown key '" + key + "' (" + device + " has "
                        + new TreeSet<>(known) + " besides 'enabled')");
            }
        }
    }

    /** A boolean key, or {@code fallback} when absent. */
    public static boolean bool(JsonObject config, String key, boolean fallback) {
        Object v = config.getValue(key);
        if (v == null) {
            if (config.containsKey(key)) {
                throw new IllegalArgumentException("'" + key + "' must be true or false, got null");
            }
            return fallback;
        }
        if (!(v instanceof Boolean b)) {
            throw new IllegalArgumentException("'" + key + "' must be true or false, got " + v);
        }
        return b;
    }

    /**
     * A command: a non-empty array of non-empty strings (program then arguments, no shell), or {@code fallback}
     * when absent; null when the key is present as null and {@code nullable}.
     */
    public static List<String> command(JsonObject config, String key, List<String> fallback, boolean nullable) {
        if (!config.containsKey(key)) {
            return fallback;
        }
        Object v = config.getValue(key);
        if (v == null) {
            if (nullable) {
                return null;
            }
            throw new IllegalArgumentException("'" + key + "' must be a command (an array of strings), got null");
        }
        if (!(v instanceof JsonArray array) || array.isEmpty()) {
            throw new IllegalArgumentException("'" + key + "' must be a non-empty array of strings"
                    + " (program, then arguments), got " + v);
        }
        return strings(array, key, false);
    }

    /** An array of strings; empty entries refused. */
    public static List<String> strings(JsonArray array, String key, boolean allowEmptyArray) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            Object item = array.getValue(i);
            if (!(item instanceof String s) || s.isEmpty()) {
                throw new IllegalArgumentException("'" + key + "[" + i + "]' must be a non-empty string, got " + item);
            }
            out.add(s);
        }
        if (out.isEmpty() && !allowEmptyArray) {
            throw new IllegalArgumentException("'" + key + "' must not be empty");
        }
        return List.copyOf(out);
    }

    /** An integer key within {@code [min, max]}, or {@code fallback} when absent. */
    public static long integer(JsonObject config, String key, long fallback, long min, long max) {
        if (!config.containsKey(key)) {
            return fallback;
        }
        Object v = config.getValue(key);
        if (!(v instanceof Integer || v instanceof Long)) {
            throw new IllegalArgumentException("'" + key + "' must be a whole number, got " + v);
        }
        long n = ((Number) v).longValue();
        if (n < min || n > max) {
            throw new IllegalArgumentException("'" + key + "' must be " + min + ".." + max + ", got " + n);
        }
        return n;
    }
}
