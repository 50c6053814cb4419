package dev.vmbus.ic.kvp;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One record of a KVP pool file: the key and value bytes (UTF-8, without their NUL). Kept as bytes so that a
 * record another program wrote is rewritten exactly as it was, and keys compare byte for byte (exact,
 * case-sensitive), as {@code hv_kvp_daemon} compares them.
 */
public record KvpRecord(byte[] key, byte[] value) {

    public KvpRecord {
        if (key.length >= KvpPoolFormat.KEY_FIELD || value.length >= KvpPoolFormat.VALUE_FIELD) {
            throw new IllegalArgumentException("a pool record holds at most " + (KvpPoolFormat.KEY_FIELD - 1)
                    + " key bytes and " + (KvpPoolFormat.VALUE_FIELD - 1) + " value bytes, got " + key.length
                    + " and " + value.length);
        }
        key = key.clone();
        value = value.clone();
    }

    /** A record from text (UTF-8 encoded). */
    public static KvpRecord of(String key, String value) {
        return new KvpRecord(key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public byte[] key() {
        return key.clone();
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    public boolean hasKey(byte[] other) {
        return Arrays.equals(key, other);
    }

    /** The key as text (invalid UTF-8 shown with replacement characters; for display only). */
    public String keyText() {
        return new String(key, StandardCharsets.UTF_8);
    }

    /** The value as text (for display only). */
    public String valueText() {
        return new String(value, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KvpRecord r && Arrays.equals(key, r.key) && Arrays.equals(value, r.value);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(key) + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return keyText() + "=" + valueText();
    }
}
