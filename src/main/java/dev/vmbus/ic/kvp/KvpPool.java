package dev.vmbus.ic.kvp;

import dev.vmbus.ic.WireCode;

import java.util.Optional;

/**
 * KVP pools ({@code hv_kvp_exchg_pool}, the {@code pool} byte at payload offset 29), spec section 3.4.1. The host
 * writes EXTERNAL and AUTO_EXTERNAL and reads GUEST and AUTO; AUTO_INTERNAL is Linux's own.
 */
public enum KvpPool implements WireCode {
    EXTERNAL(KvpMessage.POOL_EXTERNAL, "external"), GUEST(KvpMessage.POOL_GUEST, "guest"),
    AUTO(KvpMessage.POOL_AUTO, "auto"), AUTO_EXTERNAL(KvpMessage.POOL_AUTO_EXTERNAL, "autoExternal"),
    AUTO_INTERNAL(KvpMessage.POOL_AUTO_INTERNAL, "autoInternal");

    private final int code;
    private final String label;

    KvpPool(int code, String label) {
        this.code = code;
        this.label = label;
    }

    /** The byte on the wire, also the number of the pool file ({@code .kvp_pool_N}). */
    @Override
    public int code() {
        return code;
    }

    /** How the dashboard names it ({@code external}, {@code autoExternal}, ...). */
    public String label() {
        return label;
    }

    /** The pool with this code, or empty for one beyond the five. */
    public static Optional<KvpPool> of(int code) {
        return WireCode.byCode(values(), code);
    }
}
