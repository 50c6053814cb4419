package dev.vmbus.ring;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import static dev.vmbus.ring.TestRings.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Packets that straddle the wrap point of a 4096-byte data area (spec 1.3: indices advance with one
 * subtraction; DPDK-style split copies). Every 8-byte start offset is tried for every payload size, so the
 * descriptor, trans_id, payload, padding word and trailer each land on both sides of the wrap somewhere.
 */
class RingWrapTest {
    static final int DSIZE = 4096;
    static final int[] SIZES = {0, 1, 7, 8, 13, 100, 500};

    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        arena.close();
    }

    /** The bytes a packet must occupy on the ring, built independently of PacketLayout. */
    static byte[] expectedPacket(int type, int flags, long transId, byte[] payload) {
        int len = (16 + payload.length + 7) / 8 * 8;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(type);
        out.write(type >>> 8);
        out.write(2);
        out.write(0);
        out.write(len / 8);
        out.write(len / 8 >>> 8);
        out.write(flags);
        out.write(flags >>> 8);
        for (int i = 0; i < 8; i++) {
            out.write((int) (transId >>> (8 * i)));
        }
        out.writeBytes(payload);
        while (out.size() < len) {
            out.write(0);
        }
        return out.toByteArray();
    }

    @ParameterizedTest(name = "payload {0} bytes at every start offset")
    @ValueSource(ints = {0, 1, 7, 8, 13, 100, 500})
    void packetAtEveryOffsetReadsBackIdenticallyAndLeavesExactRingBytes(int size) {
        Ring ring = fresh(arena, DSIZE);
        for (int start = 0; start < DSIZE; start += 8) {
            fillData(ring, (byte) 0xFF);
            position(ring, start);
            RingWriter writer = new RingWriter(ring);
            RingReader reader = new RingReader(ring);
            byte[] payload = payload(size, start);
            int type = 1 + start % 13;
            int flags = start / 8 & 1;
            long transId = 0xA5A5_0000_0000_0000L | (long) start << 16 | size;
            String where = "start " + start;

            assertTrue(writer.write(type, flags, transId, payload, 0, size) >= 0, where);

            byte[] expected = expectedPacket(type, flags, transId, payload);
            int len = expected.length;
            assertArrayEquals(expected, dataBytes(ring, start, len), where + ": ring bytes");
            assertEquals((long) start << 32, dataLE(ring, start + len, 8), where + ": trailer");
            int end = (start + len + 8) % DSIZE;
            assertEquals(end, writeIndex(ring), where + ": write_index");

            assertEquals(len, reader.peek(), where);
            assertEquals(type, reader.type(), where);
            assertEquals(flags, reader.flags(), where);
            assertEquals(transId, reader.transactionId(), where);
            assertEquals(16, reader.dataOffset(), where);
            assertEquals(len - 16, reader.payloadLength(), where);
            byte[] got = new byte[reader.payloadLength()];
            reader.copyPayload(got, 0);
            assertArrayEquals(Arrays.copyOfRange(expected, 16, len), got, where + ": payload");
            MemorySegment whole = arena.allocate(len);
            reader.copyPacket(whole, 0);
            assertArrayEquals(expected, whole.toArray(ValueLayout.JAVA_BYTE), where + ": raw copy");

            reader.consume();
            reader.commit();
            assertEquals(end, readIndex(ring), where + ": read_index");
            assertEquals(RingReader.EMPTY, reader.peek(), where);
        }
    }

    @Test
    void aRunOfMixedSizesCrossesTheWrapFromEveryStartOffset() {
        Ring ring = fresh(arena, DSIZE);
        for (int start = 0; start < DSIZE; start += 8) {
            fillData(ring, (byte) 0xFF);
            position(ring, start);
            RingWriter writer = new RingWriter(ring);
            RingReader reader = new RingReader(ring);
            for (int i = 0; i < SIZES.length; i++) {
                byte[] p = payload(SIZES[i], start * 31L + i);
                assertTrue(writer.write(PacketType.DATA_INBAND, i & 1, start * 100L + i, p, 0, p.length) >= 0);
            }
            for (int i = 0; i < SIZES.length; i++) {
                byte[] p = payload(SIZES[i], start * 31L + i);
                String where = "start " + start + " packet " + i;
                assertEquals(RingLayout.align8(16 + SIZES[i]), reader.peek(), where);
                assertEquals(start * 100L + i, reader.transactionId(), where);
                assertEquals(i & 1, reader.flags(), where);
                assertEquals(PacketType.DATA_INBAND, reader.type(), where);
                byte[] got = new byte[p.length];
                reader.copyOut(16, got, 0, p.length);
                assertArrayEquals(p, got, where);
                reader.consume();
            }
            assertEquals(RingReader.EMPTY, reader.peek());
            reader.commit();
            assertEquals(writeIndex(ring), readIndex(ring));
            assertEquals(writer.writeIndex(), reader.readPosition());
        }
    }

    @Test
    void indexAdvanceLandsOnZeroNotDsizeWhenAPacketEndsExactlyAtTheWrap() {
        Ring ring = fresh(arena, DSIZE);
        position(ring, DSIZE - 32);
        RingWriter writer = new RingWriter(ring);
        writer.write(PacketType.DATA_INBAND, 0, 1, new byte[5], 0, 5);
        assertEquals(0, writeIndex(ring));
        RingReader reader = new RingReader(ring);
        assertEquals(24, reader.peek());
        reader.consume();
        reader.commit();
        assertEquals(0, readIndex(ring));
    }
}
