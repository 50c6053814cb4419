package dev.vmbus.host;

import dev.vmbus.ring.GpaRanges;
import dev.vmbus.ring.TransferPageRanges;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.GuestMemory;
import dev.vmbus.transport.GuestPages;
import dev.vmbus.transport.SharedGuestMemory;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The simulated host's receive-buffer slots and its reads of GPA-direct ranges. */
class HostBufferSideTest {
    private static final int SLOT = 1806; // netvsp at MTU 1514: 256 + 1514 + 36

    private static ChannelBuffer receiveBuffer(long size) {
        return new ChannelBuffer(new ChannelBuffer.Name(ChannelBuffer.Kind.RECEIVE, 0xE1E10), Arena.ofAuto().allocate(size));
    }

    private static byte[] message(int length, int seed) {
        byte[] m = new byte[length];
        for (int i = 0; i < length; i++) {
            m[i] = (byte) (seed + i);
        }
        return m;
    }

    @Test
    void batchesFillSlotsAndCompletionsReturnThem() {
        ChannelBuffer buffer = receiveBuffer(10L * SLOT + 100);
        ReceiveSlots slots = new ReceiveSlots(buffer, SLOT);
        assertEquals(10, slots.count());
        ReceiveSlots.Batch first = slots.fill(List.of(message(64, 1), message(1500, 2), message(SLOT, 3)), 0xCAFE);
        assertEquals(0, first.transactionId());
        assertEquals(0xCAFE, first.ranges().pageSetId());
        assertEquals(3, first.ranges().count());
        for (int i = 0; i < 3; i++) {
            int offset = first.ranges().byteOffset(i);
            assertEquals((long) first.slots()[i] * SLOT, offset);
            assertArrayEquals(message(first.ranges().byteCount(i), i + 1), buffer.read(offset, first.ranges().byteCount(i)));
        }
        ReceiveSlots.Batch second = slots.fill(List.of(message(10, 4)), 0xCAFE);
        assertEquals(3, second.transactionId());
        assertEquals(6, slots.free());
        assertEquals(2, slots.outstanding());

        // The guest holds slots: a batch larger than what is free waits, copying nothing.
        assertNull(slots.fill(Arrays.asList(new byte[7][1]), 0xCAFE));
        assertEquals(6, slots.free());

        assertTrue(slots.complete(first.transactionId()));
        assertFalse(slots.complete(first.transactionId()), "completed twice");
        assertFalse(slots.complete(77), "never issued");
        assertEquals(2, slots.unknownCompletions());
        assertEquals(9, slots.free());
        assertThrows(IllegalArgumentException.class, () -> slots.fill(List.of(new byte[SLOT + 1]), 0xCAFE));
        assertThrows(IllegalArgumentException.class, () -> slots.fill(List.of(), 0xCAFE));
    }

    @Test
    void batchesWrittenInPlaceAreRangesInTheOrderTheirSlotsWereTaken() {
        ChannelBuffer buffer = receiveBuffer(4L * SLOT);
        ReceiveSlots slots = new ReceiveSlots(buffer, SLOT);
        assertThrows(IllegalStateException.class, () -> slots.close(0xCAFE, new TransferPageRanges()),
                "a batch needs a range");
        long[] at = new long[3];
        int[] lengths = {60, SLOT, 1};
        for (int i = 0; i < 3; i++) {
            at[i] = slots.take(lengths[i]);
            MemorySegment.copy(message(lengths[i], 10 + i), 0, slots.memory(), ValueLayout.JAVA_BYTE, at[i],
                    lengths[i]);
        }
        assertEquals(3, slots.openCount());
        assertEquals(1, slots.free());
        assertEquals(0, slots.outstanding(), "not outstanding before it is closed");
        assertThrows(IllegalStateException.class, () -> slots.fill(List.of(message(8, 0)), 0xCAFE),
                "no batch is filled while another is written in place");
        TransferPageRanges ranges = new TransferPageRanges();
        long id = slots.close(0xCAFE, ranges);
        assertEquals(at[0] / SLOT, id, "the first slot names the batch");
        assertEquals(0, slots.openCount());
        assertEquals(1, slots.outstanding());
        assertEquals(0xCAFE, ranges.pageSetId());
        assertEquals(3, ranges.count());
        for (int i = 0; i < 3; i++) {
            assertEquals(at[i], ranges.byteOffset(i));
            assertEquals(lengths[i], ranges.byteCount(i));
            assertArrayEquals(message(lengths[i], 10 + i), buffer.read(at[i], lengths[i]));
        }
        assertThrows(IllegalArgumentException.class, () -> slots.take(SLOT + 1));
        assertThrows(IllegalArgumentException.class, () -> slots.take(0));
        long last = slots.take(8);
        assertEquals(-1, slots.take(8), "no slot free: nothing taken");
        assertEquals(1, slots.openCount());
        slots.rangePastBuffer();
        long second = slots.close(0xCAFE, ranges);
        assertEquals(last / SLOT, second);
        assertEquals(buffer.size(), ranges.byteOffset(0), "the knob points the last range past the buffer");
        assertTrue(slots.complete(id));
        assertTrue(slots.complete(second));
        assertEquals(4, slots.free());
    }

    @Test
    void theRangePastTheBufferKnobPointsTheLastRangeAtTheEnd() {
        ChannelBuffer buffer = receiveBuffer(4L * SLOT);
        ReceiveSlots slots = new ReceiveSlots(buffer, SLOT);
        slots.rangePastBuffer();
        ReceiveSlots.Batch bad = slots.fill(List.of(message(8, 0), message(8, 1)), 0xCAFE);
        assertTrue(buffer.contains(bad.ranges().byteOffset(0), 8));
        assertEquals(buffer.size(), bad.ranges().byteOffset(1));
        assertFalse(buffer.contains(bad.ranges().byteOffset(1), bad.ranges().byteCount(1)));
        ReceiveSlots.Batch good = slots.fill(List.of(message(8, 2)), 0xCAFE);
        assertTrue(buffer.contains(good.ranges().byteOffset(0), 8), "the knob is for one batch");
    }

    @Test
    void gpaRangesAreReadFromGuestMemoryAndPfnsPastItsEndRefused() {
        SharedGuestMemory memory = new SharedGuestMemory(Arena.ofAuto().allocate(16 * 4096), "test memory");
        try (GuestPages pages = memory.allocate(3)) {
            byte[] data = message(9000, 5);
            MemorySegment.copy(data, 0, pages.memory(), ValueLayout.JAVA_BYTE, 100, data.length);
            GpaRanges ranges = new GpaRanges()
                    .add(5000, 100, pages.pfns(100, 5000), 0)
                    .addPage(96, 0, pages.pfn(2)); // bytes 8192..8287 of the pages
            byte[] read = GpaReader.read(memory, ranges, 1 << 20);
            assertEquals(5096, read.length);
            assertArrayEquals(Arrays.copyOf(data, 5000), Arrays.copyOf(read, 5000));
            assertArrayEquals(Arrays.copyOfRange(data, 8092, 8188), Arrays.copyOfRange(read, 5000, 5096));

            var past = assertThrows(GuestMemory.GuestMemoryException.class, () -> GpaReader.read(memory,
                    new GpaRanges().addPage(16, 0, pages.pfn(0)).addPage(16, 0, 16), 1 << 20));
            assertEquals("GPA range 1: PFN 16 is past the end of guest memory test memory (16 pages)", past.getMessage());
            var huge = assertThrows(GuestMemory.GuestMemoryException.class, () -> GpaReader.read(memory,
                    new GpaRanges().add(128 * 1024, 0, new long[32], 0), 1 << 20));
            assertTrue(huge.getMessage().contains("is larger than guest memory"), huge.getMessage());
            var over = assertThrows(GuestMemory.GuestMemoryException.class,
                    () -> GpaReader.read(memory, ranges, 5095));
            assertTrue(over.getMessage().contains("name 5096 bytes, more than the 5095"), over.getMessage());
        }
    }
}
