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

    /**
     * A wire code numbered as a C enum without initialisers numbers its constants: from 0 in the order they are
     * declared ({@code hv_kvp_exchg_op}, {@code hv_vss_op}). An enum that implements it declares its constants in the
     * wire's order and has no number of its own to keep.
     */
    interface InOrder extends WireCode {
        /** The constant's place in its enum (an enum's own {@link Enum#ordinal()}). */
        int ordinal();

        @Override
        default int code() {
            return ordinal();
        }
    }
}
