package dev.vmbus.ic;

import java.util.Optional;

/** A constant that stands for a number on the wire: a KVP operation, value type or pool, a VSS operation. */
public interface WireCode {
    /** The number on the wire. */
    int code();

    /** The one of {@code values} whose {@link #code} is {@code code}, or empty for a number none of them stands for. */
    static <E extends WireCode> Optional<E> byCode(E[] values, int code) {
        for (E v : values) {
            if (v.code() == code) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }
}
