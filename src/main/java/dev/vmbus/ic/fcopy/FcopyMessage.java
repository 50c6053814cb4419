package dev.vmbus.ic.fcopy;

import dev.vmbus.ic.IcLayout;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.MalformedFieldException;
import dev.vmbus.ic.Utf16Field;

import java.lang.foreign.GroupLayout;

/**
 * File copy ("guest services", message type 7) layouts, spec ic-protocols.md section 3.6. Absolute payload
 * offsets; every message starts with {@code u32 operation} at 28 and two unused GUIDs:
 *
 * <pre>
 *   common  28 operation | 32 service id[16] | 48 session id[16] | 64
 *   START   64 file_name WCHAR[260] | 584 path_name WCHAR[260] | 1104 copy_flags u32 | 1108 file_size u64 | 1116
 *   WRITE   64 pad[4] | 68 offset u64 | 76 size u32 | 80 data[6144] | 6224
 * </pre>
 *
 * Declared once: {@link #START_LAYOUT} and {@link #WRITE_LAYOUT} (each starting with {@link #COMMON_LAYOUT}); the
 * offsets are read from them. Shared by the guest handler and the simulated host. Stateless.
 */
public final class FcopyMessage {
    public static final int OP_START_FILE_COPY = 0;
    public static final int OP_WRITE_TO_FILE = 1;
    public static final int OP_COMPLETE_FCOPY = 2;
    public static final int OP_CANCEL_FCOPY = 3;

    public static final int FLAG_OVER_WRITE = 1;
    public static final int FLAG_CREATE_PATH = 2;

    /** {@code W_MAX_PATH}: UTF-16 units of a name field, NUL included. */
    public static final int MAX_PATH_UNITS = 260;
    /** {@code DATA_FRAGMENT}: the most data one WRITE carries. */
    public static final int DATA_FRAGMENT = 6144;

    /** {@code hv_fcopy_hdr}: what every message starts with (COMPLETE and CANCEL are only this). */
    public static final GroupLayout COMMON_LAYOUT = IcLayout.message("hv_fcopy_hdr",
            IcLayout.U32.withName("operation"),
            IcLayout.bytes(16).withName("service_id"),
            IcLayout.bytes(16).withName("session_id"));
    /** {@code hv_start_fcopy}. */
    public static final GroupLayout START_LAYOUT = IcLayout.struct(
            COMMON_LAYOUT.withName("common"),
            IcLayout.bytes(2L * MAX_PATH_UNITS).withName("file_name"),
            IcLayout.bytes(2L * MAX_PATH_UNITS).withName("path_name"),
            IcLayout.U32.withName("copy_flags"),
            IcLayout.U64.withName("file_size")).withName("hv_start_fcopy");
    /** {@code hv_do_fcopy}: the pad is the natural alignment of the Windows struct's 64-bit offset. */
    public static final GroupLayout WRITE_LAYOUT = IcLayout.struct(
            COMMON_LAYOUT.withName("common"),
            IcLayout.bytes(4).withName("pad"),
            IcLayout.U64.withName("offset"),
            IcLayout.U32.withName("size"),
            IcLayout.bytes(DATA_FRAGMENT).withName("data")).withName("hv_do_fcopy");

    public static final int OPERATION = IcLayout.offset(COMMON_LAYOUT, "operation");
    public static final int SERVICE_ID = IcLayout.offset(COMMON_LAYOUT, "service_id");
    public static final int SESSION_ID = IcLayout.offset(COMMON_LAYOUT, "session_id");
    /** End of the common header: Linux's daemon needs at least this much. */
    public static final int COMMON_END = IcLayout.size(COMMON_LAYOUT);

    public static final int FILE_NAME = IcLayout.offset(START_LAYOUT, "file_name");
    public static final int PATH_NAME = IcLayout.offset(START_LAYOUT, "path_name");
    public static final int COPY_FLAGS = IcLayout.offset(START_LAYOUT, "copy_flags");
    public static final int FILE_SIZE = IcLayout.offset(START_LAYOUT, "file_size");
    public static final int START_END = IcLayout.size(START_LAYOUT);

    public static final int WRITE_OFFSET = IcLayout.offset(WRITE_LAYOUT, "offset");
    public static final int WRITE_SIZE = IcLayout.offset(WRITE_LAYOUT, "size");
    public static final int WRITE_DATA = IcLayout.offset(WRITE_LAYOUT, "data");
    public static final int WRITE_END = IcLayout.size(WRITE_LAYOUT);

    private static final int NAME_BYTES = MAX_PATH_UNITS * 2;

    private FcopyMessage() {
    }

    public static int operation(IcMessage m) {
        return m.u32(OPERATION);
    }

    /** The file name of a START, decoded as real UTF-16. */
    public static String fileName(IcMessage m) throws MalformedFieldException {
        return Utf16Field.decode(m.bytes(), FILE_NAME, NAME_BYTES);
    }

    /** The destination directory of a START. */
    public static String pathName(IcMessage m) throws MalformedFieldException {
        return Utf16Field.decode(m.bytes(), PATH_NAME, NAME_BYTES);
    }

    public static int copyFlags(IcMessage m) {
        return m.u32(COPY_FLAGS);
    }

    public static long fileSize(IcMessage m) {
        return m.u64(FILE_SIZE);
    }

    public static long writeOffset(IcMessage m) {
        return m.u64(WRITE_OFFSET);
    }

    /** The WRITE's data size, unsigned. */
    public static long writeSize(IcMessage m) {
        return Integer.toUnsignedLong(m.u32(WRITE_SIZE));
    }

    /** Body length of a host START request. */
    public static final int START_BODY_LENGTH = START_END - IcMessage.HEADER_LENGTH;
    /** Body length of a host WRITE request carrying {@code size} bytes. */
    public static int writeBodyLength(int size) {
        return WRITE_DATA + size - IcMessage.HEADER_LENGTH;
    }
    /** Body length of COMPLETE and CANCEL. */
    public static final int CONTROL_BODY_LENGTH = COMMON_END - IcMessage.HEADER_LENGTH;

    /** Fills a host START; names longer than 259 units are refused. */
    public static void fillStart(IcMessage m, String path, String name, int flags, long size) {
        if (path.length() >= MAX_PATH_UNITS || name.length() >= MAX_PATH_UNITS) {
            throw new IllegalArgumentException("path and file name must each be under " + MAX_PATH_UNITS
                    + " UTF-16 units");
        }
        m.putU32(OPERATION, OP_START_FILE_COPY);
        Utf16Field.encode(name, m.bytes(), FILE_NAME, MAX_PATH_UNITS - 1);
        Utf16Field.encode(path, m.bytes(), PATH_NAME, MAX_PATH_UNITS - 1);
        m.putU32(COPY_FLAGS, flags);
        m.putU64(FILE_SIZE, size);
    }

    /** Fills a host WRITE of {@code length} bytes of {@code data} from {@code from} at file {@code offset}. */
    public static void fillWrite(IcMessage m, long offset, byte[] data, int from, int length) {
        if (length > DATA_FRAGMENT) {
            throw new IllegalArgumentException("a WRITE carries at most " + DATA_FRAGMENT + " bytes, not " + length);
        }
        m.putU32(OPERATION, OP_WRITE_TO_FILE);
        m.putU64(WRITE_OFFSET, offset);
        m.putU32(WRITE_SIZE, length);
        System.arraycopy(data, from, m.bytes(), WRITE_DATA, length);
    }

    /** Fills a COMPLETE or CANCEL. */
    public static void fillControl(IcMessage m, int operation) {
        m.putU32(OPERATION, operation);
    }
}
