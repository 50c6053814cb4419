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

    /** One cached field offset; final fields, so it may be published through a plain array slot. */
    private record Offset(MemoryLayout layout, String field, int offset) {
    }

    /** Open addressing, well above the ~150 (layout, field) pairs the codecs name; a lost race only recomputes. */
    private static final Offset[] CACHE = new Offset[1024];
    /** Slots looked at from a pair's home slot before computing without caching. */
    private static final int PROBES = 8;

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

    /**
     * The byte offset of {@code field} in {@code layout}. The codecs name fields on every encode and decode, and
     * {@link MemoryLayout#byteOffset} walks a fresh layout path each time (about a microsecond with the agent's C1,
     * the largest share of the NIC's per-frame time in a profile), so each (layout, field) pair is computed once
     * and then found in {@link #CACHE} by the layout's identity and the field's name.
     */
    static int at(MemoryLayout layout, String field) {
        int home = (System.identityHashCode(layout) * 31 + field.hashCode()) & (CACHE.length - 1);
        for (int i = 0; i < PROBES; i++) {
            int slot = (home + i) & (CACHE.length - 1);
            Offset known = CACHE[slot];
            if (known == null) {
                Offset computed = new Offset(layout, field, compute(layout, field));
                CACHE[slot] = computed; // an immutable record: a racing reader sees it whole, or null and computes
                return computed.offset;
            }
            if (known.layout == layout && known.field.equals(field)) {
                return known.offset;
            }
        }
        return compute(layout, field); // a crowded neighbourhood: correct, only not cached
    }

    private static int compute(MemoryLayout layout, String field) {
        return Math.toIntExact(layout.byteOffset(PathElement.groupElement(field)));
    }

    static int size(MemoryLayout layout) {
        return Math.toIntExact(layout.byteSize());
    }
}
