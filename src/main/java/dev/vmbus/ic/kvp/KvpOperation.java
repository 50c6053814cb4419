package dev.vmbus.ic.kvp;

import dev.vmbus.ic.WireCode;

import java.util.Optional;

/** KVP operations ({@code hv_kvp_exchg_op}, the {@code operation} byte at payload offset 28), spec section 3.4.1. */
public enum KvpOperation implements WireCode {
    GET(KvpMessage.OP_GET), SET(KvpMessage.OP_SET), DELETE(KvpMessage.OP_DELETE), ENUMERATE(KvpMessage.OP_ENUMERATE),
    GET_IP_INFO(KvpMessage.OP_GET_IP_INFO), SET_IP_INFO(KvpMessage.OP_SET_IP_INFO);

    private final int code;

    KvpOperation(int code) {
        this.code = code;
    }

    /** The byte on the wire. */
    @Override
    public int code() {
        return code;
    }

    /** The operation with this code, or empty for one the protocol does not define. */
    public static Optional<KvpOperation> of(int code) {
        return WireCode.byCode(values(), code);
    }

    /** The payload length this operation's layout needs. */
    public int requiredLength() {
        return KvpMessage.requiredLength(code);
    }
}
