package dev.vmbus.ring;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static dev.vmbus.ring.RingFault.Kind.*;
import static dev.vmbus.ring.TestRings.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A hostile producer (spec section 4, "stricter than Linux"): every malformation faults the reader with the
 * right kind, nothing is consumed, and nothing outside the ring is touched. The ring is a slice in the middle
 * of a larger segment whose other bytes hold a sentinel; the slice's bounds make any stray access throw.
 */
class MalformedPacketTest {
    static final int DSIZE = 4096;
    static final byte SENTINEL = (byte) 0xA5;

    private final Arena arena = Arena.ofConfined();
    private MemorySegment outer;
    private Ring ring;

    @BeforeEach
    void setUp() {
        outer = arena.allocate(4096 + 4096 + DSIZE + 4096, 4096);
        outer.fill(SENTINEL);
        MemorySegment inner = outer.asSlice(4096, 4096 + DSIZE);
        inner.fill((byte) 0);
        ring = new Ring(inner, 4096);
        ring.initialize();
    }

    @AfterEach
    void close() {
        arena.close();
    }

    private void assertSentinelsIntact() {
        for (long i = 0; i < 4096; i++) {
            assertEquals(SENTINEL, outer.get(ValueLayout.JAVA_BYTE, i), "byte before the ring at " + i);
            assertEquals(SENTINEL, outer.get(ValueLayout.JAVA_BYTE, outer.byteSize() - 1 - i), "byte after the ring");
        }
    }

    /** Attaches a writer at the current write_index and injects one hand-built packet. */
    static void raw(Ring r, int type, int offset8, int len8, int bytes) {
        assertTrue(new RingWriter(r).writeRaw(rawPacket(type, offset8, len8, 0, 99, bytes), 0, bytes) >= 0);
    }

    static Arguments c(String name, RingFault.Kind kind, Consumer<Ring> setup) {
        return Arguments.of(name, kind, setup);
    }

    static Stream<Arguments> malformations() {
        return Stream.of(
            c("write_index == dsize", WRITE_INDEX_INVALID, r -> setWriteIndex(r, DSIZE)),
            c("write_index far past dsize", WRITE_INDEX_INVALID, r -> setWriteIndex(r, 0x7FFF_FFF8)),
            c("write_index above 2^31 (negative int)", WRITE_INDEX_INVALID, r -> setWriteIndex(r, 0xFFFF_FFF8)),
            c("write_index not 8-aligned", WRITE_INDEX_INVALID, r -> setWriteIndex(r, 36)),
            c("offset8 = 0", DATA_OFFSET_TOO_SMALL, r -> raw(r, 6, 0, 3, 24)),
            c("offset8 = 1 (payload inside descriptor)", DATA_OFFSET_TOO_SMALL, r -> raw(r, 6, 1, 3, 24)),
            c("offset8 > len8", DATA_OFFSET_BEYOND_LENGTH, r -> raw(r, 6, 4, 3, 24)),
            c("offset8 = 0xFFFF", DATA_OFFSET_BEYOND_LENGTH, r -> raw(r, 6, 0xFFFF, 3, 24)),
            c("len8 = 0", DATA_OFFSET_BEYOND_LENGTH, r -> raw(r, 6, 2, 0, 16)),
            c("len8*8 + 8 one word beyond available", LENGTH_BEYOND_AVAILABLE, r -> raw(r, 6, 2, 4, 24)),
            c("len8 = 0xFFFF", LENGTH_BEYOND_AVAILABLE, r -> raw(r, 6, 2, 0xFFFF, 24)),
            c("len8 = 0xFFFF with offset8 = 0xFFFF", LENGTH_BEYOND_AVAILABLE, r -> raw(r, 6, 0xFFFF, 0xFFFF, 24)),
            c("len8 = 0xFFFF at the wrap point", LENGTH_BEYOND_AVAILABLE, r -> {
                position(r, DSIZE - 8); // the descriptor's first word is the last word of the data area
                raw(r, 6, 2, 0xFFFF, 24);
            }),
            c("8 bytes published", TRUNCATED_PACKET, r -> setWriteIndex(r, 8)),
            c("16 bytes published: descriptor without trailer", TRUNCATED_PACKET, r -> {
                r.data().set(U64, 0, PacketLayout.word0(6, 2, 2, 0));
                setWriteIndex(r, 16);
            }),
            c("bad packet after a good one", LENGTH_BEYOND_AVAILABLE, r -> {
                assertTrue(new RingWriter(r).write(6, 0, 1, new byte[5], 0, 5) >= 0);
                raw(r, 6, 2, 0x100, 24);
            }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformations")
    void readerFaultsWithTheRightKindAndReadsNothingOutsideTheRing(String name, RingFault.Kind kind,
                                                                   Consumer<Ring> setup) {
        setup.accept(ring);
        int startRead = readIndex(ring);
        RingReader reader = new RingReader(ring);
        boolean goodFirst = name.startsWith("bad packet after");

        assertDoesNotThrow(() -> {
            if (goodFirst) {
                assertEquals(24, reader.peek());
                reader.consume();
            }
            assertEquals(RingReader.FAULTED, reader.peek(), name);
            assertEquals(kind, reader.fault().kind(), reader.fault().toString());
            assertEquals(RingReader.FAULTED, reader.peek(), "a faulted ring stays faulted");
            assertEquals(0, reader.packetLength());
            assertThrows(IllegalStateException.class, reader::consume, "no packet to consume");
            reader.commit();
        });
        assertEquals(1, reader.malformed());
        assertEquals(goodFirst ? (startRead + 32) % DSIZE : startRead, readIndex(ring), "malformed packet not consumed");
        assertSentinelsIntact();
    }

    @Test
    void writerFaultsOnAnImpossiblePeerReadIndexAndWritesNothing() {
        RingWriter writer = new RingWriter(ring);
        assertTrue(writer.write(6, 0, 1, new byte[3], 0, 3) >= 0);
        byte[] before = ring.data().toArray(ValueLayout.JAVA_BYTE);
        for (int bad : new int[] {DSIZE, 12, -8, 0x7FFF_FFF8}) {
            setReadIndex(ring, bad);
            assertEquals(-1, writer.bytesFree());
            assertFalse(writer.armPendingSend(24), "an impossible index never means 'space is free'");
        }
        setReadIndex(ring, DSIZE + 8);

        assertDoesNotThrow(() -> {
            assertEquals(RingWriter.FAULTED, writer.write(6, 0, 2, new byte[3], 0, 3));
            assertEquals(RingFault.Kind.READ_INDEX_INVALID, writer.fault().kind());
            setReadIndex(ring, 0);
            assertEquals(RingWriter.FAULTED, writer.write(6, 0, 3, new byte[3], 0, 3), "sticky");
            assertEquals(RingWriter.FAULTED, writer.writeRaw(rawPacket(6, 2, 3, 0, 0, 24), 0, 24));
        });
        assertEquals(32, writeIndex(ring));
        assertArrayEquals(before, ring.data().toArray(ValueLayout.JAVA_BYTE), "data area untouched");
        assertEquals(1, writer.packets());
        assertSentinelsIntact();
    }

    @Test
    void attachingToARingWithImpossibleIndicesIsRefused() {
        setWriteIndex(ring, 4);
        assertThrows(IllegalStateException.class, () -> new RingWriter(ring));
        setWriteIndex(ring, 0);
        setReadIndex(ring, DSIZE);
        assertThrows(IllegalStateException.class, () -> new RingReader(ring));
    }
}
