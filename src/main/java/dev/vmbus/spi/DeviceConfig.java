package dev.vmbus.spi;

import java.util.List;

/**
 * Checks for the values of a settings record, to call from its compact constructor after
 * {@link DeviceContext#settings} has bound the section: each failure is an {@link IllegalArgumentException} naming
 * the key, which the registry prefixes with {@code devices.<name>}.
 */
public final class DeviceConfig {
    private DeviceConfig() {
    }

    /**
     * A command: a non-empty list of non-empty strings (program then arguments, no shell); null passes when
     * {@code nullable} (the command is optional). Returns an unmodifiable copy.
     */
    public static List<String> command(String key, List<String> command, boolean nullable) {
        if (command == null) {
            if (nullable) {
                return null;
            }
            throw new IllegalArgumentException("'" + key + "' must be a command (an array of strings), got null");
        }
        if (command.isEmpty()) {
            throw new IllegalArgumentException("'" + key + "' must be a non-empty array of strings"
                    + " (program, then arguments), got []");
        }
        return strings(key, command);
    }

    /** A list of non-empty strings (it may be empty itself); returns an unmodifiable copy. */
    public static List<String> strings(String key, List<String> list) {
        if (list == null) {
            throw new IllegalArgumentException("'" + key + "' must be an array of strings, got null");
        }
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) == null || list.get(i).isEmpty()) {
                throw new IllegalArgumentException("'" + key + "[" + i + "]' must be a non-empty string, got "
                        + (list.get(i) == null ? "null" : "''"));
            }
        }
        return List.copyOf(list);
    }

    /** A whole number within {@code [min, max]}. */
    public static long range(String key, long n, long min, long max) {
        if (n < min || n > max) {
            throw new IllegalArgumentException("'" + key + "' must be " + min + ".." + max + ", got " + n);
        }
        return n;
    }

    /** A value that must be given: null (JSON null) refused as {@code '<key>' must be <what>, got null}. */
    public static <T> T required(String key, T value, String what) {
        if (value == null) {
            throw new IllegalArgumentException("'" + key + "' must be " + what + ", got null");
        }
        return value;
    }
}
