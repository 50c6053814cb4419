package dev.vmbus.ring;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;

import static dev.vmbus.ring.TestRings.*;
import static org.junit.jupiter.api.Assertions.*;

/** hv_signal_on_write (spec 2.3): signal only if the peer's mask is clear and the ring went empty to non-empty. */
class WriterSignalTest {
    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        arena.close();
    }

    @ParameterizedTest(name = "mask={0} write_index={1} read_index={2} -> {3}")
    @CsvSource({
        // mask, w,    r,    expected
        "1,      0,    0,    WRITTEN",        // empty but the consumer is draining: it promised to re-check
        "7,      512,  512,  WRITTEN",        // any non-zero mask suppresses
        "0,      0,    0,    WRITTEN_SIGNAL", // empty -> non-empty with the mask clear
        "0,      4064, 4064, WRITTEN_SIGNAL", // the same at the wrap point
        "0,      512,  0,    WRITTEN",        // already non-empty: the host will get to it
        "0,      0,    512,  WRITTEN",        // already non-empty (w < r)
        "1,      512,  0,    WRITTEN",
    })
    void decisionTable(int mask, int w, int r, String expected) {
        Ring ring = fresh(arena, 4096);
        setWriteIndex(ring, w);
        setReadIndex(ring, r);
        setMask(ring, mask);
        RingWriter writer = new RingWriter(ring);

        int rc = writer.write(PacketType.DATA_INBAND, 0, 1, new byte[40], 0, 40);

        int want = expected.equals("WRITTEN_SIGNAL") ? RingWriter.WRITTEN_SIGNAL : RingWriter.WRITTEN;
        assertEquals(want, rc);
        assertEquals(want == RingWriter.WRITTEN_SIGNAL ? 1 : 0, writer.intrOutEmpty());
        assertEquals((w + 64) % 4096, writeIndex(ring), "published either way");
    }

    @Test
    void onlyTheFirstOfABurstSignalsAndConsumingEverythingRearmsIt() {
        Ring ring = fresh(arena, 4096);
        RingWriter writer = new RingWriter(ring);
        RingReader reader = new RingReader(ring);

        assertEquals(RingWriter.WRITTEN_SIGNAL, writer.write(6, 0, 1, new byte[3], 0, 3));
        assertEquals(RingWriter.WRITTEN, writer.write(6, 0, 2, new byte[3], 0, 3));
        assertEquals(RingWriter.WRITTEN, writer.write(6, 0, 3, new byte[3], 0, 3));
        assertEquals(1, writer.intrOutEmpty());

        while (reader.peek() > 0) {
            reader.consume();
        }
        assertEquals(RingWriter.WRITTEN, writer.write(6, 0, 4, new byte[3], 0, 3),
                "consumed but read_index not yet published: the ring is not empty for the producer");
        reader.peek();
        reader.consume();
        reader.commit();
        assertEquals(RingWriter.WRITTEN_SIGNAL, writer.write(6, 0, 5, new byte[3], 0, 3));
        assertEquals(2, writer.intrOutEmpty());
    }

    @Test
    void maskIsReadFromSharedMemoryAtEveryWrite() {
        Ring ring = fresh(arena, 4096);
        RingWriter writer = new RingWriter(ring);
        RingReader reader = new RingReader(ring);

        reader.mask();
        assertEquals(1, mask(ring));
        assertEquals(RingWriter.WRITTEN, writer.write(6, 0, 1, new byte[0], 0, 0));
        assertTrue(reader.unmask() > 0, "unmask reports what arrived while masked");
        assertEquals(0, mask(ring));
        reader.peek();
        reader.consume();
        reader.commit();
        assertEquals(0, reader.unmask());
        assertEquals(RingWriter.WRITTEN_SIGNAL, writer.write(6, 0, 2, new byte[0], 0, 0));
        assertEquals(1, writer.intrOutEmpty());
    }
}
