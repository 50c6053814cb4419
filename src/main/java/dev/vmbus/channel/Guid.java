package dev.vmbus.channel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.UUID;

/**
 * GUIDs as Hyper-V puts them on the wire ({@code guid_t} built by {@code GUID_INIT}): the first three fields
 * (u32, u16, u16) little-endian, the last eight bytes in order. {@link UUID} is big-endian throughout, so
 * those three fields are byte-swapped between the two forms.
 */
public final class Guid {
    private Guid() {
    }

    /** The 16 wire bytes of {@code id}. */
    public static byte[] toWire(UUID id) {
        ByteBuffer b = ByteBuffer.allocate(16);
        long msb = id.getMostSignificantBits();
        b.order(ByteOrder.LITTLE_ENDIAN)
                .putInt((int) (msb >>> 32))
                .putShort((short) (msb >>> 16))
                .putShort((short) msb);
        b.order(ByteOrder.BIG_ENDIAN).putLong(id.getLeastSignificantBits());
        return b.array();
    }

    /** The GUID whose wire form is the 16 bytes at {@code offset}. */
    public static UUID fromWire(byte[] bytes, int offset) {
        if (offset < 0 || bytes.length - offset < 16) {
            throw new IllegalArgumentException("a GUID needs 16 bytes, " + Math.max(0, bytes.length - offset)
                    + " left at offset " + offset);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, offset, 16).order(ByteOrder.LITTLE_ENDIAN);
        long d1 = b.getInt() & 0xFFFF_FFFFL;
        long d2 = b.getShort() & 0xFFFFL;
        long d3 = b.getShort() & 0xFFFFL;
        long lsb = b.order(ByteOrder.BIG_ENDIAN).getLong();
        return new UUID(d1 << 32 | d2 << 16 | d3, lsb);
    }

    /**
     * Parses the textual forms found in sysfs and configuration: with or without braces, any case, with
     * surrounding whitespace (sysfs {@code class_id} prints {@code {xxxxxxxx-...}\n}).
     */
    public static UUID parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("GUID is missing");
        }
        String s = text.strip();
        if (s.startsWith("{") && s.endsWith("}")) {
            s = s.substring(1, s.length() - 1);
        }
        if (!s.matches("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")) {
            throw new IllegalArgumentException("not a GUID: '" + text.strip() + "'");
        }
        return UUID.fromString(s.toLowerCase(Locale.ROOT));
    }

    /** Lowercase, no braces: the form of sysfs directory names. */
    public static String format(UUID id) {
        return id.toString();
    }
}
