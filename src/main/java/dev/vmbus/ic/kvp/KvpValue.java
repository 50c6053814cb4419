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
public record KvpValue(int type, String string, long number) {

    public KvpValue {
        if (isString(type) && string == null) {
            throw new IllegalArgumentException("a string value (type " + type + ") needs its text");
        }
        if (!isString(type) && !isNumber(type)) {
            throw new IllegalArgumentException("KVP value type " + type + " is not 1, 2, 4, 8 or 11");
        }
    }

    /** A {@code REG_SZ} value. */
    public static KvpValue string(String text) {
        return new KvpValue(KvpMessage.TYPE_STRING, text, 0);
    }

    /** A {@code REG_DWORD} value (unsigned 32-bit). */
    public static KvpValue dword(int value) {
        return new KvpValue(KvpMessage.TYPE_DWORD, null, Integer.toUnsignedLong(value));
    }

    /** A {@code REG_QWORD} value as Windows numbers it (type 11). */
    public static KvpValue qword(long value) {
        return new KvpValue(KvpMessage.TYPE_QWORD, null, value);
    }

    public static boolean isString(int type) {
        return type == KvpMessage.TYPE_STRING || type == KvpMessage.TYPE_EXPAND_STRING;
    }

    public static boolean isNumber(int type) {
        return type == KvpMessage.TYPE_DWORD || type == KvpMessage.TYPE_U64 || type == KvpMessage.TYPE_QWORD;
    }

    /** The bytes the number occupies on the wire (4 or 8); 0 for strings. */
    public int numberSize() {
        return type == KvpMessage.TYPE_DWORD ? 4 : isNumber(type) ? 8 : 0;
    }

    /** What the pool file stores: the string, or the number in unsigned decimal (as hv_kvp_daemon writes it). */
    public String text() {
        if (isString(type)) {
            return string;
        }
        return type == KvpMessage.TYPE_DWORD ? Long.toString(number & 0xFFFF_FFFFL) : Long.toUnsignedString(number);
    }
}
