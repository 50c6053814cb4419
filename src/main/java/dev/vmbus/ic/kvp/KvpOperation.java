package dev.vmbus.ic.kvp;

import dev.vmbus.ic.WireCode;

import java.util.Optional;

/**
 * KVP operations ({@code hv_kvp_exchg_op}, the {@code operation} byte at payload offset 28), spec section 3.4.1, in
 * the wire's order: {@link #code()} is {@code KvpMessage.OP_GET} (0) to {@code OP_SET_IP_INFO} (5).
 */
public enum KvpOperation implements WireCode.InOrder {
    GET, SET, DELETE, ENUMERATE, GET_IP_INFO, SET_IP_INFO;

    /** The operation with this code, or empty for one the protocol does not define. */
    public static Optional<KvpOperation> of(int code) {
        return WireCode.byCode(values(), code);
    }

    /** The payload length this operation's layout needs. */
    public int requiredLength() {
        return KvpMessage.requiredLength(code());
    }
}
