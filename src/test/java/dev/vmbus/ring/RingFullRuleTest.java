package dev.vmbus.ring;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static dev.vmbus.ring.TestRings.*;
import static org.junit.jupiter.api.Assertions.*;

/** The strict full rule (spec 1.3, 2.2 step 5): a write needs free > total; the ring is never exactly full. */
class RingFullRuleTest {
    static final int DSIZE = 4096;

    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        arena.close();
    }

    /** Payload length whose packet consumes exactly {@code total} ring bytes (descriptor + payload + trailer). */
    static int payloadFor(int total) {
        return total - 16 - 8;
    }

    @ParameterizedTest(name = "write_index={0} read_index={1} (free {2})")
    @CsvSource({
        "0,    0,    4096", // empty, w == r
        "2048, 2048, 4096", // empty, mid-ring
        "1000, 200,  3296", // w > r
        "200,  1000, 800",  // w < r: free = r - w
        "4088, 0,    8",    // only the reserved 8 bytes left... nothing fits
    })
    void freeEqualToTotalIsRefusedAndFreeOneWordAboveIsAccepted(int w, int r, int free) {
        Ring ring = fresh(arena, DSIZE);
        setWriteIndex(ring, w);
        setReadIndex(ring, r);
        RingWriter writer = new RingWriter(ring);
        assertEquals(free, writer.bytesFree());

        if (free >= 24) {
            byte[] exact = new byte[payloadFor(free)];
            assertEquals(RingWriter.FULL, writer.write(6, 0, 1, exact, 0, exact.length), "free == total");
            assertEquals(w, writeIndex(ring), "nothing published");
            assertEquals(1, writer.outFullTotal());
            assertEquals(1, writer.outFullFirst());
        }
        if (free >= 32) {
            byte[] fits = new byte[payloadFor(free - 8)];
            assertTrue(writer.write(6, 0, 1, fits, 0, fits.length) >= 0, "free == total + 8");
            assertEquals(8, writer.bytesFree(), "exactly 8 bytes stay free");
            assertNotEquals(readIndex(ring), writeIndex(ring), "a non-empty ring never looks empty");
        }
        // Whatever is left now (8 bytes), even the smallest packet (24 bytes) is refused.
        int before = writeIndex(ring);
        if (writer.bytesFree() <= 24) {
            assertEquals(RingWriter.FULL, writer.write(6, 0, 1, new byte[0], 0, 0));
            assertEquals(before, writeIndex(ring));
        }
    }

    @Test
    void outFullFirstCountsOncePerRunUntilAWriteSucceeds() {
        Ring ring = fresh(arena, DSIZE);
        RingWriter writer = new RingWriter(ring);
        byte[] big = new byte[payloadFor(DSIZE)]; // needs free > 4096: never fits

        assertEquals(RingWriter.FULL, writer.write(6, 0, 0, big, 0, big.length));
        assertEquals(RingWriter.FULL, writer.write(6, 0, 0, big, 0, big.length));
        assertEquals(RingWriter.FULL, writer.write(6, 0, 0, big, 0, big.length));
        assertEquals(3, writer.outFullTotal());
        assertEquals(1, writer.outFullFirst());

        assertTrue(writer.write(6, 0, 0, new byte[8], 0, 8) >= 0); // a success ends the run
        assertEquals(RingWriter.FULL, writer.write(6, 0, 0, big, 0, big.length));
        assertEquals(RingWriter.FULL, writer.write(6, 0, 0, big, 0, big.length));
        assertEquals(5, writer.outFullTotal());
        assertEquals(2, writer.outFullFirst());
        assertEquals(1, writer.packets());
    }

    @Test
    void armingPendingSendCountsAsAFullAttemptAndClearingEndsTheRun() {
        Ring ring = fresh(arena, DSIZE);
        RingWriter writer = new RingWriter(ring);
        byte[] big = new byte[payloadFor(DSIZE)];

        writer.write(6, 0, 0, big, 0, big.length);
        assertFalse(writer.armPendingSend(DSIZE));
        assertEquals(DSIZE, pending(ring));
        assertEquals(2, writer.outFullTotal());
        assertEquals(1, writer.outFullFirst(), "same run");
        writer.clearPendingSend();
        assertEquals(0, pending(ring));
        assertFalse(writer.armPendingSend(DSIZE));
        assertEquals(2, writer.outFullFirst(), "clearing pending_send_sz started a new run");
        assertTrue(writer.armPendingSend(DSIZE - 8), "free 4096 > needed 4088: retry now");
    }

    @Test
    void fillingUntilRefusedNeverLeavesFewerThanEightBytesFree() {
        Ring ring = fresh(arena, DSIZE);
        RingWriter writer = new RingWriter(ring);
        RingReader reader = new RingReader(ring);
        SplittableRandom rnd = new SplittableRandom(7);
        for (int round = 0; round < 200; round++) {
            int written = 0;
            while (true) {
                int size = rnd.nextInt(0, 300);
                int freeBefore = writer.bytesFree();
                int rc = writer.write(6, 0, round, new byte[size], 0, size);
                if (rc == RingWriter.FULL) {
                    assertTrue(freeBefore <= PacketLayout.ringBytes(size), "refused only when free <= total");
                    break;
                }
                assertTrue(freeBefore > PacketLayout.ringBytes(size), "accepted only when free > total");
                written++;
                assertTrue(writer.bytesFree() >= 8);
                assertNotEquals(writeIndex(ring), readIndex(ring));
            }
            // drain about half so that the next round starts elsewhere in the ring
            for (int i = 0; i < (written + 1) / 2; i++) {
                assertTrue(reader.peek() > 0);
                reader.consume();
            }
            reader.commit();
        }
    }
}
