package dev.vmbus.ring;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static dev.vmbus.ring.TestRings.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * hv_pkt_iter_close (spec 2.6): after publishing read_index the reader signals a blocked producer only on a real
 * "not enough" to "enough" crossing. The ring holds 15 packets of 256 ring bytes (3840 of 4096 used, 256 free);
 * the reader consumes some, then commits.
 */
class ReaderCommitSignalTest {
    static final int DSIZE = 4096;
    static final int PACKET = 256; // ring bytes per packet: payload 232 + descriptor 16 + trailer 8
    static final int PACKETS = 15;

    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        arena.close();
    }

    /** feature bits, pending_send_sz, packets consumed, write_index override (relative) or -1, signal? */
    static List<Object[]> table() {
        return List.of(
            new Object[] {"feature bit clear", 0, 300, 1, -1, false},
            new Object[] {"other feature bits only", 2, 300, 1, -1, false},
            new Object[] {"feature bit among others", 3, 300, 1, -1, true},
            new Object[] {"pending 0: producer not blocked", 1, 0, 1, -1, false},
            new Object[] {"pending > curr_free", 1, 1000, 1, -1, false},
            new Object[] {"pending == curr_free counts as not enough", 1, 512, 1, -1, false},
            new Object[] {"pending just below curr_free", 1, 511, 1, -1, true},
            new Object[] {"pending < curr_free, blocked before", 1, 300, 1, -1, true},
            new Object[] {"pending == free before batch: was blocked", 1, 256, 1, -1, true},
            new Object[] {"had enough before this batch", 1, 255, 1, -1, false},
            new Object[] {"had enough before a 3-packet batch", 1, 200, 3, -1, false},
            new Object[] {"2-packet batch crosses", 1, 700, 2, -1, true},
            new Object[] {"3-packet batch crosses", 1, 1000, 3, -1, true},
            new Object[] {"whole ring consumed crosses", 1, 4000, 15, -1, true},
            // The producer refilled after our publish: curr_free (304) - bytes_read (768) wraps as u32 to a
            // huge value, meaning "do not signal". Signed arithmetic would signal here (304 > 200).
            new Object[] {"u32 wrap: producer refilled", 1, 200, 3, 464, false},
            new Object[] {"producer refilled, still crossing", 1, 200, 1, 4000, true});
    }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (int base : new int[] {0, 3840}) { // 3840: the consumed bytes wrap past the end of the data area
            for (Object[] row : table()) {
                Object[] args = new Object[row.length + 1];
                System.arraycopy(row, 0, args, 0, row.length);
                args[row.length] = base;
                all.add(Arguments.of(args));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} (base {6})")
    @MethodSource("cases")
    void commitSignalsOnlyOnTheCrossing(String name, int features, int pending, int consumed, int wOverride,
                                        boolean signal, int base) {
        Ring ring = fresh(arena, DSIZE);
        position(ring, base);
        RingWriter writer = new RingWriter(ring);
        for (int i = 0; i < PACKETS; i++) {
            assertTrue(writer.write(6, 0, i, new byte[PACKET - 24], 0, PACKET - 24) >= 0);
        }
        assertEquals(256, writer.bytesFree());
        setFeatures(ring, features);
        setPending(ring, pending);
        RingReader reader = new RingReader(ring);
        for (int i = 0; i < consumed; i++) {
            assertEquals(PACKET - 8, reader.peek());
            reader.consume();
        }
        if (wOverride >= 0) {
            setWriteIndex(ring, (base + wOverride) % DSIZE);
        }

        assertEquals(signal, reader.commit(), name);

        assertEquals((base + consumed * PACKET) % DSIZE, readIndex(ring), "read_index published regardless");
        assertEquals(signal ? 1 : 0, reader.intrInFull());
        assertEquals(pending, pending(ring), "the reader never writes pending_send_sz");
        assertNull(reader.fault());
        assertFalse(reader.commit(), "nothing new consumed: no second signal");
        assertEquals(signal ? 1 : 0, reader.intrInFull());
    }

    @Test
    void commitWithNothingConsumedPublishesNothing() {
        Ring ring = fresh(arena, DSIZE);
        RingWriter writer = new RingWriter(ring);
        writer.write(6, 0, 0, new byte[8], 0, 8);
        setPending(ring, 8);
        RingReader reader = new RingReader(ring);
        assertTrue(reader.peek() > 0);
        setReadIndex(ring, 0);
        assertFalse(reader.commit());
        assertEquals(0, readIndex(ring));
    }

    @Test
    void signallingIgnoresTheInterruptMask() {
        Ring ring = fresh(arena, DSIZE);
        RingWriter writer = new RingWriter(ring);
        for (int i = 0; i < PACKETS; i++) {
            writer.write(6, 0, i, new byte[PACKET - 24], 0, PACKET - 24);
        }
        setPending(ring, 300);
        setMask(ring, 1);
        RingReader reader = new RingReader(ring);
        reader.peek();
        reader.consume();
        assertTrue(reader.commit(), "interrupt_mask is deliberately not consulted (spec 2.6)");
    }

    @Test
    void impossibleWriteIndexSeenAtCommitFaultsInsteadOfSignalling() {
        Ring ring = fresh(arena, DSIZE);
        RingWriter writer = new RingWriter(ring);
        writer.write(6, 0, 0, new byte[8], 0, 8);
        setPending(ring, 100);
        RingReader reader = new RingReader(ring);
        reader.peek();
        reader.consume();
        setWriteIndex(ring, DSIZE + 8);
        assertFalse(reader.commit());
        assertEquals(32, readIndex(ring));
        assertEquals(RingFault.Kind.WRITE_INDEX_INVALID, reader.fault().kind());
        assertEquals(RingReader.FAULTED, reader.peek());
    }
}
