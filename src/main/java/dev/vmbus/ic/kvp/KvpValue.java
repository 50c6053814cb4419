package dev.vmbus.ic.kvp;

/**
 * A typed KVP value as it travels on the wire (spec ic-protocols.md section 3.4.1): a string (types 1 and 2),
 * a 32-bit integer (type 4), or a 64-bit integer (type 8 as Linux numbers it, 11 as Windows and OpenVMM do).
 * Pool files hold only text, so {@link #text()} is what a SET stores.
 *
 * @param type   the {@code value_type} on the wire
 * @param string the text for string types, else null
 * @param number the integer for types 4, 8 and 11 (unsigned; type 4 uses the low 32 bits)
 */
public record KvpValue(KvpValueType type, String string, long number) {

    public KvpValue {
        if (type == null) {
            throw new IllegalArgumentException("a KVP value needs its type");
        }
        if (type.isString() && string == null) {
            throw new IllegalArgumentException("a string value (type " + type.code() + ") needs its text");
        }
    }

    /** A {@code REG_SZ} value. */
    public static KvpValue string(String text) {
        return new KvpValue(KvpValueType.STRING, text, 0);
    }

    /** A {@code REG_DWORD} value (unsigned 32-bit). */
    public static KvpValue dword(int value) {
        return new KvpValue(KvpValueType.DWORD, null, Integer.toUnsignedLong(value));
    }

    /** A {@code REG_QWORD} value as Windows numbers it (type 11). */
    public static KvpValue qword(long value) {
        return new KvpValue(KvpValueType.QWORD, null, value);
    }

    /** Whether the wire code {@code type} is a string type (1 or 2). */
    public static boolean isString(int type) {
        return KvpValueType.of(type).map(KvpValueType::isString).orElse(false);
    }

    /** Whether the wire code {@code type} is an integer type (4, 8 or 11). */
    public static boolean isNumber(int type) {
        return KvpValueType.of(type).map(t -> !t.isString()).orElse(false);
    }

    /** The bytes the number occupies on the wire (4 or 8); 0 for strings. */
    public int numberSize() {
        return type.numberSize();
    }

    /** What the pool file stores: the string, or the number in unsigned decimal (as hv_kvp_daemon writes it). */
    public String text() {
        if (type.isString()) {
            return string;
        }
        return type == KvpValueType.DWORD ? Long.toString(number & 0xFFFF_FFFFL) : Long.toUnsignedString(number);
    }
}
