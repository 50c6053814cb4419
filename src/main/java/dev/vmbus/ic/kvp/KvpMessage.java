package dev.vmbus.ic.kvp;

import dev.vmbus.ic.IcLayout;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.MalformedFieldException;
import dev.vmbus.ic.Utf16Field;

import java.lang.foreign.GroupLayout;
import java.util.Optional;

/**
 * KVP (Data Exchange, message type 2) layouts and field access, spec ic-protocols.md section 3.4.2. All offsets
 * are absolute payload offsets; the KVP header ({@code u8 operation}, {@code u8 pool}) is at 28 and the body
 * union starts 4-aligned at 32:
 *
 * <pre>
 *   GET / SET   32 value_type | 36 key_size | 40 value_size | 44 key[512] | 556 value[2048] | 2604
 *   DELETE      32 key_size   | 36 key[512] | 548
 *   ENUMERATE   32 index | 36 value_type | 40 key_size | 44 value_size | 48 key[512] | 560 value[2048] | 2608
 * </pre>
 *
 * Strings are UTF-16LE with the NUL counted in their size. Each layout is declared once ({@link #HEADER_LAYOUT},
 * {@link #VALUE_LAYOUT}, {@link #EXCHANGE_LAYOUT}, {@link #DELETE_LAYOUT}, {@link #ENUMERATE_LAYOUT}; IP info in
 * {@link KvpIpInfo}) and the offsets are read from them; the two places a value exchange lies are
 * {@link #GET_SET} and {@link #ENUMERATED}. The codes below are the wire values as compile-time constants (for switch
 * labels); {@link KvpOperation}, {@link KvpPool} and {@link KvpValueType} are their typed forms. Shared by the
 * guest handler and the simulated host. Stateless.
 */
public final class KvpMessage {
    public static final int OP_GET = 0;
    public static final int OP_SET = 1;
    public static final int OP_DELETE = 2;
    public static final int OP_ENUMERATE = 3;
    public static final int OP_GET_IP_INFO = 4;
    public static final int OP_SET_IP_INFO = 5;

    public static final int POOL_EXTERNAL = 0;
    public static final int POOL_GUEST = 1;
    public static final int POOL_AUTO = 2;
    public static final int POOL_AUTO_EXTERNAL = 3;
    public static final int POOL_AUTO_INTERNAL = 4;
    public static final int POOL_COUNT = 5;

    public static final int TYPE_STRING = 1;
    public static final int TYPE_EXPAND_STRING = 2;
    public static final int TYPE_DWORD = 4;
    /** 64-bit integer as Linux's uapi numbers it ({@code REG_U64}). */
    public static final int TYPE_U64 = 8;
    /** 64-bit integer as Windows and OpenVMM number it ({@code REG_QWORD}). */
    public static final int TYPE_QWORD = 11;

    /** {@code HV_KVP_EXCHANGE_MAX_KEY_SIZE}: key field bytes, NUL included. */
    public static final int KEY_BYTES = 512;
    /** {@code HV_KVP_EXCHANGE_MAX_VALUE_SIZE}: value field bytes, NUL included. */
    public static final int VALUE_BYTES = 2048;
    /** Linux converts keys for the host to at most this many UTF-16 units before the NUL. */
    public static final int MAX_KEY_UNITS = KEY_BYTES / 2 - 2;
    /** Linux converts values for the host to at most this many UTF-16 units before the NUL. */
    public static final int MAX_VALUE_UNITS = VALUE_BYTES / 2 - 2;

    /** {@code hv_kvp_hdr}: operation and pool; the body union that follows is 4-aligned. */
    public static final GroupLayout HEADER_LAYOUT = IcLayout.message("hv_kvp_hdr",
            IcLayout.U8.withName("operation"),
            IcLayout.U8.withName("pool"),
            IcLayout.bytes(2).withName("padding"));
    /**
     * {@code hv_kvp_exchg_msg_value}: a key and a typed value, the body of GET and SET and, after an index, of
     * ENUMERATE (Linux declares it once and nests it in {@code hv_kvp_msg_get}, {@code hv_kvp_msg_set} and
     * {@code hv_kvp_msg_enumerate}).
     */
    public static final GroupLayout VALUE_LAYOUT = IcLayout.struct(
            IcLayout.U32.withName("value_type"),
            IcLayout.U32.withName("key_size"),
            IcLayout.U32.withName("value_size"),
            IcLayout.bytes(KEY_BYTES).withName("key"),
            IcLayout.bytes(VALUE_BYTES).withName("value")).withName("hv_kvp_exchg_msg_value");
    /** GET and SET: {@code hv_kvp_msg_get} / {@code hv_kvp_msg_set}, the value exchange after the header. */
    public static final GroupLayout EXCHANGE_LAYOUT = IcLayout.struct(
            HEADER_LAYOUT.withName("kvp"),
            VALUE_LAYOUT.withName("data")).withName("hv_kvp_msg_get");
    /** DELETE: {@code hv_kvp_msg_delete}. */
    public static final GroupLayout DELETE_LAYOUT = IcLayout.struct(
            HEADER_LAYOUT.withName("kvp"),
            IcLayout.U32.withName("key_size"),
            IcLayout.bytes(KEY_BYTES).withName("key")).withName("hv_kvp_msg_delete");
    /** ENUMERATE: {@code hv_kvp_msg_enumerate}, an index then a value exchange. */
    public static final GroupLayout ENUMERATE_LAYOUT = IcLayout.struct(
            HEADER_LAYOUT.withName("kvp"),
            IcLayout.U32.withName("index"),
            VALUE_LAYOUT.withName("data")).withName("hv_kvp_msg_enumerate");

    public static final int OPERATION = IcLayout.offset(HEADER_LAYOUT, "operation");
    public static final int POOL = IcLayout.offset(HEADER_LAYOUT, "pool");

    /**
     * Where a message's {@link #VALUE_LAYOUT} lies, field by field (payload offsets), and its key and value read
     * and written there: GET's and SET's ({@link #GET_SET}) or ENUMERATE's, four bytes on ({@link #ENUMERATED}).
     */
    public record Exchange(int typeAt, int keySizeAt, int valueSizeAt, int keyAt, int valueAt) {
        static Exchange in(GroupLayout message) {
            return new Exchange(IcLayout.offset(message, "data", "value_type"),
                    IcLayout.offset(message, "data", "key_size"), IcLayout.offset(message, "data", "value_size"),
                    IcLayout.offset(message, "data", "key"), IcLayout.offset(message, "data", "value"));
        }

        public String key(IcMessage m) throws MalformedFieldException {
            return KvpMessage.key(m, keySizeAt, keyAt);
        }

        public void putKey(IcMessage m, String key) {
            KvpMessage.putKey(m, keySizeAt, keyAt, key);
        }

        /** Reads a typed value: strings decoded strictly, integers from the first 4 or 8 bytes. */
        public KvpValue value(IcMessage m) throws MalformedFieldException {
            int code = m.u32(typeAt);
            KvpValueType type = KvpValueType.of(code).orElseThrow(
                    () -> new MalformedFieldException("value type " + code + " is not 1, 2, 4, 8 or 11"));
            return switch (type) {
                case STRING, EXPAND_STRING -> new KvpValue(type,
                        Utf16Field.decodeSized(m.bytes(), valueAt, m.u32(valueSizeAt), VALUE_BYTES), 0);
                case DWORD -> new KvpValue(type, null, Integer.toUnsignedLong(m.u32(valueAt)));
                case U64, QWORD -> new KvpValue(type, null, m.u64(valueAt));
            };
        }

        /** Writes a typed value with its type and size. */
        public void putValue(IcMessage m, KvpValue v) {
            m.putU32(typeAt, v.type().code());
            if (v.type().isString()) {
                m.putU32(valueSizeAt, Utf16Field.encode(v.string(), m.bytes(), valueAt, MAX_VALUE_UNITS));
            } else if (v.type() == KvpValueType.DWORD) {
                m.putU32(valueAt, (int) v.number());
                m.putU32(valueSizeAt, 4);
            } else {
                m.putU64(valueAt, v.number());
                m.putU32(valueSizeAt, 8);
            }
        }
    }

    /** GET's and SET's value exchange. */
    public static final Exchange GET_SET = Exchange.in(EXCHANGE_LAYOUT);
    /** ENUMERATE's value exchange (after its index). */
    public static final Exchange ENUMERATED = Exchange.in(ENUMERATE_LAYOUT);
    public static final int EXCHANGE_END = IcLayout.size(EXCHANGE_LAYOUT);

    public static final int DELETE_KEY_SIZE = IcLayout.offset(DELETE_LAYOUT, "key_size");
    public static final int DELETE_KEY = IcLayout.offset(DELETE_LAYOUT, "key");
    public static final int DELETE_END = IcLayout.size(DELETE_LAYOUT);

    public static final int ENUM_INDEX = IcLayout.offset(ENUMERATE_LAYOUT, "index");
    public static final int ENUM_END = IcLayout.size(ENUMERATE_LAYOUT);

    /** OpenVMM's host sends every op 0-3 with this fixed body (2-byte header + 2578), zero-filled. */
    public static final int REQUEST_BODY_LENGTH = ENUM_END - IcMessage.HEADER_LENGTH;

    private KvpMessage() {
    }

    public static int operation(IcMessage m) {
        return m.bytes()[OPERATION] & 0xFF;
    }

    public static int pool(IcMessage m) {
        return m.bytes()[POOL] & 0xFF;
    }

    /** The operation, typed; empty for a code the protocol does not define. */
    public static Optional<KvpOperation> operationOf(IcMessage m) {
        return KvpOperation.of(operation(m));
    }

    /** The pool, typed; empty for one beyond the five. */
    public static Optional<KvpPool> poolOf(IcMessage m) {
        return KvpPool.of(pool(m));
    }

    /** The payload length an operation's layout needs, or -1 for an operation this codec does not know. */
    public static int requiredLength(int operation) {
        return switch (operation) {
            case OP_GET, OP_SET -> EXCHANGE_END;
            case OP_DELETE -> DELETE_END;
            case OP_ENUMERATE -> ENUM_END;
            case OP_GET_IP_INFO, OP_SET_IP_INFO -> KvpIpInfo.END;
            default -> -1;
        };
    }

    /** The key at {@code keyOffset} whose byte size is at {@code sizeOffset}. */
    public static String key(IcMessage m, int sizeOffset, int keyOffset) throws MalformedFieldException {
        return Utf16Field.decodeSized(m.bytes(), keyOffset, m.u32(sizeOffset), KEY_BYTES);
    }

    /** Writes a key and its size (Linux's limit of {@link #MAX_KEY_UNITS} units applies). */
    public static void putKey(IcMessage m, int sizeOffset, int keyOffset, String key) {
        m.putU32(sizeOffset, Utf16Field.encode(key, m.bytes(), keyOffset, MAX_KEY_UNITS));
    }

    /** Fills a host SET request: {@code m} is a new request with {@link #REQUEST_BODY_LENGTH} body bytes. */
    public static void fillSet(IcMessage m, int pool, String key, KvpValue value) {
        header(m, OP_SET, pool);
        GET_SET.putKey(m, key);
        GET_SET.putValue(m, value);
    }

    /** Fills a host GET request (the value is the guest's to fill). */
    public static void fillGet(IcMessage m, int pool, String key) {
        header(m, OP_GET, pool);
        GET_SET.putKey(m, key);
    }

    public static void fillDelete(IcMessage m, int pool, String key) {
        header(m, OP_DELETE, pool);
        putKey(m, DELETE_KEY_SIZE, DELETE_KEY, key);
    }

    public static void fillEnumerate(IcMessage m, int pool, int index) {
        header(m, OP_ENUMERATE, pool);
        m.putU32(ENUM_INDEX, index);
    }

    private static void header(IcMessage m, int operation, int pool) {
        if (pool < 0 || pool >= POOL_COUNT) {
            throw new IllegalArgumentException("KVP pool must be 0.." + (POOL_COUNT - 1) + ", got " + pool);
        }
        m.bytes()[OPERATION] = (byte) operation;
        m.bytes()[POOL] = (byte) pool;
    }
}
