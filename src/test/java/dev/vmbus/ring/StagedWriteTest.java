package dev.vmbus.ring;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Staged writes: invisible until published, then one index store and one signal decision for the burst. */
class StagedWriteTest {

    @Test
    void stagedPacketsAreInvisibleUntilPublishedAndTheBurstSignalsOnce() {
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = TestRings.fresh(arena, 4096);
            RingWriter writer = new RingWriter(ring);
            RingReader reader = new RingReader(ring);
            for (int i = 0; i < 3; i++) {
                assertEquals(RingWriter.WRITTEN, writer.stage(PacketType.DATA_INBAND, 0, i, TestRings.payload(10 + i, i), 0, 10 + i));
            }
            assertTrue(writer.hasStaged());
            assertEquals(0, TestRings.writeIndex(ring), "nothing may be visible before publish");
            assertEquals(RingReader.EMPTY, reader.peek());
            assertEquals(3 * 40, writer.writeIndex());

            assertEquals(RingWriter.WRITTEN_SIGNAL, writer.publish(), "the ring went empty to non-empty");
            assertEquals(1, writer.intrOutEmpty());
            assertFalse(writer.hasStaged());
            assertEquals(120, TestRings.writeIndex(ring));
            assertEquals(RingWriter.WRITTEN, writer.publish(), "publishing nothing decides nothing");
            for (int i = 0; i < 3; i++) {
                assertEquals(40 - 8, reader.peek());
                assertEquals(i, reader.transactionId());
                byte[] got = new byte[10 + i];
                reader.copyOut(16, got, 0, got.length);
                assertArrayEquals(TestRings.payload(10 + i, i), got);
                reader.consume();
            }
            // Trailers carry each packet's own start, as with one write per packet.
            assertEquals(40L << 32, TestRings.dataLE(ring, 72, 8));

            writer.stage(PacketType.DATA_INBAND, 0, 9, new byte[8], 0, 8);
            assertEquals(RingWriter.WRITTEN, writer.publish(), "the peer had not consumed everything: no signal");
            reader.commit();
            TestRings.setMask(ring, 1);
            writer.stage(PacketType.DATA_INBAND, 0, 10, new byte[8], 0, 8);
            assertEquals(RingWriter.WRITTEN, writer.publish(), "a masked peer is never signalled");
        }
    }

    @Test
    void stagedBytesCountAsUsedAndAWriteAfterStagingPublishesEverything() {
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = TestRings.fresh(arena, 4096);
            RingWriter writer = new RingWriter(ring);
            int staged = 0;
            while (writer.stage(PacketType.DATA_INBAND, 0, staged, new byte[100], 0, 100) == RingWriter.WRITTEN) {
                staged++;
            }
            assertEquals(4096 / 128 - 1, staged, "the strict full rule holds for staged bytes too");
            assertEquals(0, TestRings.writeIndex(ring));
            RingReader reader = new RingReader(ring);
            assertEquals(RingReader.EMPTY, reader.peek());
            assertEquals(RingWriter.WRITTEN_SIGNAL, writer.publish());
            int seen = 0;
            while (reader.peek() > 0) {
                assertEquals(seen++, reader.transactionId());
                reader.consume();
            }
            assertEquals(staged, seen);
        }
    }
}
