package dev.vmbus.bench;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The two sides {@code vmbus bench stream}'s ring row and JMH's {@code vmbus-xfer} share, on one thread: a slot is
 * reused only after its completion, every message arrives once and in order, and a wrong one is caught.
 */
class RingStreamTest {
    private static final int PAYLOAD = 64;

    @Test
    void theProducerWaitsForCompletionsOnceEverySlotIsOutAndEveryMessageArrivesInOrder() {
        try (Arena arena = Arena.ofConfined()) {
            RingStream.Rings rings = RingStream.Rings.allocate(arena, 1 << 20, PAYLOAD);
            RingStream.Producer producer = rings.producer();
            RingStream.Consumer consumer = rings.consumer();
            MemorySegment in = arena.allocate(PAYLOAD, 8);
            MemorySegment out = arena.allocate(PAYLOAD, 8);

            for (int i = 0; i < RingStream.SLOTS; i++) {
                assertTrue(offer(producer, in), "slot " + i + " is free");
            }
            assertFalse(offer(producer, in), "every slot is out with the consumer");
            assertEquals(64, consumer.poll(out, PAYLOAD, 64));
            assertEquals(63, out.get(ValueLayout.JAVA_LONG_UNALIGNED, 0), "the 64th message, last copied out");
            for (int i = 0; i < 64; i++) {
                assertTrue(offer(producer, in), "a completed slot is free again: " + i);
            }
            assertFalse(offer(producer, in));

            long consumed = 64;
            for (int round = 0; consumed < 5 * RingStream.SLOTS; round++) { // slots reused four times over
                assertTrue(round < 100_000, "no end after " + round + " rounds at " + consumed);
                int n = consumer.poll(out, PAYLOAD, 64);
                consumed += n;
                while (producer.sequence() < 6L * RingStream.SLOTS && offer(producer, in)) {
                    // as many as the free slots allow
                }
                assertTrue(n > 0 || producer.sequence() > consumed, "neither side moved at " + consumed);
            }
            assertEquals(consumed - 1, out.get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
        }
    }

    @Test
    void aMessageOutOfOrderIsCaughtBeforeItsSlotGoesBack() {
        try (Arena arena = Arena.ofConfined()) {
            RingStream.Rings rings = RingStream.Rings.allocate(arena, 1 << 20, PAYLOAD);
            RingStream.Producer producer = rings.producer();
            MemorySegment in = arena.allocate(PAYLOAD, 8);
            in.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 7); // claims to be message 7 while 0 is due
            assertTrue(producer.offer(in, PAYLOAD));
            for (int i = 1; i < RingStream.BURST; i++) {
                assertTrue(offer(producer, in)); // the burst's last one publishes what is staged
            }
            var e = assertThrows(IllegalStateException.class,
                    () -> rings.consumer().poll(arena.allocate(PAYLOAD, 8), PAYLOAD, 64));
            assertEquals("message 7 where 0 was due", e.getMessage());
        }
    }

    private static boolean offer(RingStream.Producer producer, MemorySegment message) {
        message.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, producer.sequence());
        return producer.offer(message, PAYLOAD);
    }
}
