package dev.vmbus.net;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The building blocks of the NVSP and RNDIS layouts: packed little-endian fields, and a field's offset read from
 * its layout so that each message is declared once. (The IC layer has its own twin; peers do not share code.)
 */
final class NetLayout {
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private NetLayout() {
    }

    static GroupLayout struct(String name, MemoryLayout... fields) {
        return MemoryLayout.structLayout(fields).withName(name);
    }

    static MemoryLayout u32(String name) {
        return U32.withName(name);
    }

    static MemoryLayout u16(String name) {
        return U16.withName(name);
    }

    static MemoryLayout u64(String name) {
        return U64.withName(name);
    }

    static int offset(MemoryLayout layout, String field) {
        return Math.toIntExact(layout.byteOffset(PathElement.groupElement(field)));
    }

    static int size(MemoryLayout layout) {
        return Math.toIntExact(layout.byteSize());
    }
}
