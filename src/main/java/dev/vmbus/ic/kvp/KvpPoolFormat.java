package dev.vmbus.ic.kvp;

import java.util.ArrayList;
import java.util.List;

/**
 * The on-disk format of {@code hv_kvp_daemon}'s {@code .kvp_pool_N} files (spec ic-protocols.md section 4): no
 * header, a flat array of 2560-byte records, each {@code key[512]} then {@code value[2048]}, UTF-8 and
 * NUL-terminated. Bytes after a NUL are not guaranteed zero (the daemon reuses memory), so reading stops at
 * the first NUL; a trailing partial record is ignored. This project writes zeros after the NUL.
 */
public final class KvpPoolFormat {
    public static final int KEY_FIELD = 512;
    public static final int VALUE_FIELD = 2048;
    public static final int RECORD = KEY_FIELD + VALUE_FIELD;

    private KvpPoolFormat() {
    }

    /** The file name of pool {@code n}. */
    public static String fileName(int pool) {
        return ".kvp_pool_" + pool;
    }

    /** The whole records of a pool file, in file order. */
    public static List<KvpRecord> parse(byte[] file, int length) {
        List<KvpRecord> records = new ArrayList<>(length / RECORD);
        for (int at = 0; at + RECORD <= length; at += RECORD) {
            records.add(new KvpRecord(field(file, at, KEY_FIELD), field(file, at + KEY_FIELD, VALUE_FIELD)));
        }
        return records;
    }

    private static byte[] field(byte[] file, int from, int size) {
        int end = from;
        // the last byte of a field is its terminator even when a writer filled every byte before it
        while (end < from + size - 1 && file[end] != 0) {
            end++;
        }
        byte[] out = new byte[end - from];
        System.arraycopy(file, from, out, 0, out.length);
        return out;
    }

    /** The file bytes for these records: each field NUL-terminated and zero-padded. */
    public static byte[] serialize(List<KvpRecord> records) {
        byte[] out = new byte[records.size() * RECORD];
        int at = 0;
        for (KvpRecord r : records) {
            byte[] key = r.key();
            byte[] value = r.value();
            System.arraycopy(key, 0, out, at, key.length);
            System.arraycopy(value, 0, out, at + KEY_FIELD, value.length);
            at += RECORD;
        }
        return out;
    }
}
