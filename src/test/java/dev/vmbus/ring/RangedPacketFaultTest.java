package dev.vmbus.ring;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.stream.Stream;

import static dev.vmbus.ring.RingFault.Kind.*;
import static dev.vmbus.ring.TestRings.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A hostile peer's type-specific headers: each malformation faults the reader with its own kind, the detail
 * names the offending values, nothing is consumed, and nothing outside the ring is read or written (the ring is
 * a slice of a larger segment full of sentinels).
 */
class RangedPacketFaultTest {
    static final int DSIZE = 8192;
    static final byte SENTINEL = (byte) 0xA5;

    /** A ring in the middle of a sentinel-filled segment: returns {outer, ring}. */
    private static Object[] sentinelRing(Arena arena) {
        MemorySegment outer = arena.allocate(4096 + 4096 + DSIZE + 4096, 4096);
        outer.fill(SENTINEL);
        MemorySegment inner = outer.asSlice(4096, 4096 + DSIZE);
        inner.fill((byte) 0);
        Ring ring = new Ring(inner, 4096);
        ring.initialize();
        return new Object[] {outer, ring};
    }

    /** A packet of {@code words} u64 words, the first two being the descriptor; the rest as given. */
    static long[] packet(int type, int offset8, int flags, long... body) {
        long[] w = new long[2 + body.length];
        w[0] = PacketLayout.word0(type, offset8, w.length, flags);
        w[1] = 77;
        System.arraycopy(body, 0, w, 2, body.length);
        return w;
    }

    static long range(long byteCount, long byteOffset) {
        return (byteCount & 0xFFFF_FFFFL) | byteOffset << 32;
    }

    static Arguments c(String name, RingFault.Kind kind, String mustMention, long[] words) {
        return Arguments.of(name, kind, mustMention, words);
    }

    static Stream<Arguments> malformations() {
        return Stream.of(
            c("type 0 (invalid)", UNKNOWN_TYPE, "type=0x0", packet(0, 2, 0)),
            c("type 8 (GPADL, no sender)", UNKNOWN_TYPE, "type=0x8", packet(8, 2, 0, 0)),
            c("type 0xD", UNKNOWN_TYPE, "type=0xd", packet(0xD, 2, 0)),
            c("type 0xFFFF", UNKNOWN_TYPE, "type=0xffff", packet(0xFFFF, 2, 0)),
            c("flag bit 1", INVALID_FLAGS, "flags=0x2", packet(6, 2, 2)),
            c("flags 0x8001 on a completion", INVALID_FLAGS, "flags=0x8001", packet(0xB, 2, 0x8001)),
            c("transfer pages with a bare descriptor", HEADER_TOO_SHORT, "offset8*8=16", packet(7, 2, 1, 0)),
            c("GPA-direct with a bare descriptor", HEADER_TOO_SHORT, "offset8*8=16", packet(9, 2, 1, 0)),
            c("transfer pages, range_cnt 0", RANGE_COUNT_ZERO, "range_cnt=0", packet(7, 3, 1, 0xCAFE)),
            c("GPA-direct, range_cnt 0", RANGE_COUNT_ZERO, "range_cnt=0", packet(9, 3, 1, 0)),
            c("transfer pages, range_cnt 2 in room for 1", RANGE_COUNT_OVERRUNS_HEADER, "range_cnt=2",
                    packet(7, 4, 1, 0xCAFE | 2L << 32, range(10, 0), range(10, 10))),
            c("transfer pages, range_cnt 0xFFFFFFFF", RANGE_COUNT_OVERRUNS_HEADER, "range_cnt=4294967295",
                    packet(7, 4, 1, 0xCAFE | 0xFFFF_FFFFL << 32, range(10, 0))),
            c("transfer pages, empty range", RANGE_BYTE_COUNT_ZERO, "byte_offset=4096",
                    packet(7, 5, 1, 0xCAFE | 2L << 32, range(10, 0), range(0, 4096))),
            c("GPA-direct, range_cnt 2 with one range", RANGE_COUNT_OVERRUNS_HEADER, "range_cnt=2",
                    packet(9, 5, 1, 2L << 32, range(8, 0), 0x100)),
            c("GPA-direct, range_cnt 0xFFFFFFFF", RANGE_COUNT_OVERRUNS_HEADER, "range_cnt=4294967295",
                    packet(9, 5, 1, 0xFFFF_FFFFL << 32, range(8, 0), 0x100)),
            c("GPA-direct, empty range", RANGE_BYTE_COUNT_ZERO, "byte_count=0",
                    packet(9, 5, 1, 1L << 32, range(0, 0), 0x100)),
            c("GPA-direct, offset 0x1000", RANGE_OFFSET_PAST_PAGE, "byte_offset=4096",
                    packet(9, 5, 1, 1L << 32, range(8, 0x1000), 0x100)),
            c("GPA-direct, offset 0xFFFFFFFF", RANGE_OFFSET_PAST_PAGE, "byte_offset=4294967295",
                    packet(9, 5, 1, 1L << 32, range(8, 0xFFFF_FFFFL), 0x100)),
            c("GPA-direct, no room for the PFN", PFN_LIST_OVERRUNS_HEADER, "needs 1 PFNs",
                    packet(9, 4, 1, 1L << 32, range(8, 0), 0x100)),
            c("GPA-direct, crossing a page needs 2 PFNs", PFN_LIST_OVERRUNS_HEADER, "needs 2 PFNs",
                    packet(9, 5, 1, 1L << 32, range(8, 0xFFC), 0x100)),
            c("GPA-direct, 4 GiB range", PFN_LIST_OVERRUNS_HEADER, "needs 1048577 PFNs",
                    packet(9, 5, 1, 1L << 32, range(0xFFFF_FFFFL, 0xFFF), 0x100)),
            c("GPA-direct, second range overruns", PFN_LIST_OVERRUNS_HEADER, "range 1 of 2",
                    packet(9, 7, 1, 2L << 32, range(8, 0), 0x100, range(4097, 0), 0x200)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformations")
    void eachMalformationFaultsWithItsOwnKind(String name, RingFault.Kind kind, String mention, long[] words) {
        for (int start : new int[] {0, DSIZE - 16, DSIZE - 24}) { // also with the header split at the wrap point
            try (Arena arena = Arena.ofConfined()) {
                Object[] made = sentinelRing(arena);
                MemorySegment outer = (MemorySegment) made[0];
                Ring ring = (Ring) made[1];
                position(ring, start);
                MemorySegment le = MemorySegment.ofArray(new byte[words.length * 8]);
                for (int i = 0; i < words.length; i++) {
                    le.set(U64, 8L * i, words[i]);
                }
                assertTrue(new RingWriter(ring).writeRaw(le, 0, words.length * 8) >= 0);
                RingReader reader = new RingReader(ring);

                assertEquals(words.length * 8, reader.peek(), "framing is valid: " + name);
                boolean ok = reader.checkDescriptor();
                if (ok && reader.type() == PacketType.DATA_USING_XFER_PAGES) {
                    ok = reader.readTransferPages(new TransferPageRanges());
                } else if (ok && reader.type() == PacketType.DATA_USING_GPA_DIRECT) {
                    ok = reader.readGpaDirect(new GpaRanges());
                }

                assertFalse(ok, name);
                assertEquals(kind, reader.fault().kind(), name);
                assertTrue(reader.fault().detail().contains(mention), reader.fault().detail());
                assertEquals(RingReader.FAULTED, reader.peek(), "sticky");
                assertEquals(start, reader.readPosition(), "nothing consumed");
                assertFalse(reader.commit());
                assertEquals(start, readIndex(ring), "read_index not moved");
                assertEquals(1, reader.malformed());
                assertThrows(IllegalStateException.class, reader::consume);
                for (long i = 0; i < 4096; i++) {
                    assertEquals(SENTINEL, outer.get(ValueLayout.JAVA_BYTE, i));
                    assertEquals(SENTINEL, outer.get(ValueLayout.JAVA_BYTE, outer.byteSize() - 1 - i));
                }
            }
        }
    }
}
