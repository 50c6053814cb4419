package dev.vmbus.ic;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The building blocks of the IC message layouts: little-endian fields without alignment padding (the wire
 * structs are packed as Windows lays them out; a u64 at payload offset 28 is legal there), and the derivation of
 * a field's offset from its layout, so that each message's layout is declared once, as an FFM
 * {@link MemoryLayout} with named fields, and every offset constant is read from it. Stateless.
 */
public final class IcLayout {
    public static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private IcLayout() {
    }

    /** {@code n} opaque bytes (reserved space, GUIDs, UTF-16 text, data). */
    public static MemoryLayout bytes(long n) {
        return MemoryLayout.sequenceLayout(n, U8);
    }

    /** A packed struct of named fields, in order. */
    public static GroupLayout struct(MemoryLayout... fields) {
        return MemoryLayout.structLayout(fields);
    }

    /**
     * An IC message's struct: both headers ({@link IcMessage#LAYOUT}) as its {@code header}, as every service's
     * message starts, then the body's fields in order.
     */
    public static GroupLayout message(String name, MemoryLayout... body) {
        MemoryLayout[] fields = new MemoryLayout[body.length + 1];
        fields[0] = IcMessage.LAYOUT.withName("header");
        System.arraycopy(body, 0, fields, 1, body.length);
        return struct(fields).withName(name);
    }

    /** The body bytes of a {@link #message} struct: its size past the headers. */
    public static int bodySize(MemoryLayout message) {
        return size(message) - IcMessage.HEADER_LENGTH;
    }

    /** The payload offset of the field at {@code path} (group element names, outermost first). */
    public static int offset(MemoryLayout layout, String... path) {
        PathElement[] elements = new PathElement[path.length];
        for (int i = 0; i < path.length; i++) {
            elements[i] = PathElement.groupElement(path[i]);
        }
        return Math.toIntExact(layout.byteOffset(elements));
    }

    /** The offset just past the field at {@code path}. */
    public static int end(MemoryLayout layout, String... path) {
        PathElement[] elements = new PathElement[path.length];
        for (int i = 0; i < path.length; i++) {
            elements[i] = PathElement.groupElement(path[i]);
        }
        return Math.toIntExact(layout.byteOffset(elements) + layout.select(elements).byteSize());
    }

    /** The byte size of {@code layout}. */
    public static int size(MemoryLayout layout) {
        return Math.toIntExact(layout.byteSize());
    }
}
