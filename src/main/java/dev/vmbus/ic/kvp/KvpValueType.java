package dev.vmbus.ic.kvp;

import dev.vmbus.ic.WireCode;

import java.util.Optional;

/**
 * KVP value types (the {@code value_type} u32), spec section 3.4.1. A 64-bit integer is 8 as Linux's uapi numbers it
 * ({@code REG_U64}) and 11 as Windows and OpenVMM do ({@code REG_QWORD}); both are read.
 */
public enum KvpValueType implements WireCode {
    STRING(KvpMessage.TYPE_STRING), EXPAND_STRING(KvpMessage.TYPE_EXPAND_STRING), DWORD(KvpMessage.TYPE_DWORD),
    U64(KvpMessage.TYPE_U64), QWORD(KvpMessage.TYPE_QWORD);

    private final int code;

    KvpValueType(int code) {
        this.code = code;
    }

    /** The u32 on the wire. */
    @Override
    public int code() {
        return code;
    }

    /** The type with this code, or empty for one that is not 1, 2, 4, 8 or 11. */
    public static Optional<KvpValueType> of(int code) {
        return WireCode.byCode(values(), code);
    }

    public boolean isString() {
        return this == STRING || this == EXPAND_STRING;
    }

    /** The bytes a number of this type occupies on the wire (4 or 8); 0 for strings. */
    public int numberSize() {
        return this == DWORD ? 4 : isString() ? 0 : 8;
    }
}
