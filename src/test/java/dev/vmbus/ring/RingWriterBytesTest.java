package dev.vmbus.ring;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static dev.vmbus.ring.TestRings.*;
import static org.junit.jupiter.api.Assertions.*;

/** Exact bytes the writer puts on the ring (spec 1.4 worked example, 2.1, 2.2 steps 8-12). */
class RingWriterBytesTest {
    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void fiveBytePayloadMatchesTheWorkedExampleByteForByte() {
        Ring ring = fresh(arena, 8192);
        RingWriter writer = new RingWriter(ring);
        byte[] payload = {0x11, 0x22, 0x33, 0x44, 0x55};

        int rc = writer.write(PacketType.DATA_INBAND, 1, 0x0102030405060708L, payload, 0, 5);

        assertEquals(RingWriter.WRITTEN_SIGNAL, rc);
        byte[] expected = {
            0x06, 0x00, // type = VM_PKT_DATA_INBAND
            0x02, 0x00, // offset8 = 2
            0x03, 0x00, // len8 = 3 (16 + 5 = 21 -> 24)
            0x01, 0x00, // flags
            0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, // trans_id LE
            0x11, 0x22, 0x33, 0x44, 0x55, // payload
            0x00, 0x00, 0x00, // zero pad to 8
            0, 0, 0, 0, 0, 0, 0, 0 // trailer: old_write (0) << 32
        };
        assertArrayEquals(expected, dataBytes(ring, 0, 32));
        assertEquals(32, writeIndex(ring), "write_index advances by 32");
        assertEquals(0, readIndex(ring));
        assertEquals(32, writer.writeIndex());
        assertEquals(1, writer.packets());
        assertEquals(32, writer.bytes());
    }

    @Test
    void workedExampleFromANonZeroOffsetHasOldWriteInTheTrailerHighHalf() {
        Ring ring = fresh(arena, 8192);
        position(ring, 0x1238);
        RingWriter writer = new RingWriter(ring);

        writer.write(PacketType.DATA_INBAND, 0, 7, new byte[] {1, 2, 3, 4, 5}, 0, 5);

        byte[] trailer = dataBytes(ring, 0x1238 + 24, 8);
        assertArrayEquals(new byte[] {0, 0, 0, 0, 0x38, 0x12, 0, 0}, trailer);
        assertEquals(0x1238 + 32, writeIndex(ring));
    }

    @Test
    void consecutivePacketsEachCarryTheirOwnStartOffsetAsTrailer() {
        Ring ring = fresh(arena, 8192);
        RingWriter writer = new RingWriter(ring);
        int[] sizes = {5, 0, 8, 13, 1, 100, 7};
        int pos = 0;
        for (int i = 0; i < sizes.length; i++) {
            byte[] p = payload(sizes[i], i);
            assertTrue(writer.write(PacketType.DATA_INBAND, 0, 1000 + i, p, 0, p.length) >= 0);
            int len = RingLayout.align8(16 + sizes[i]);
            assertEquals(len / 8, dataLE(ring, pos + 4, 2), "len8 of packet " + i);
            assertEquals(2, dataLE(ring, pos + 2, 2), "offset8 of packet " + i);
            assertEquals(1000 + i, dataLE(ring, pos + 8, 8), "trans_id of packet " + i);
            assertEquals(PacketLayout.trailer(pos), dataLE(ring, pos + len, 8), "trailer of packet " + i);
            assertEquals((long) pos << 32, dataLE(ring, pos + len, 8));
            pos += len + 8;
            assertEquals(pos, writeIndex(ring), "write_index after packet " + i);
        }
    }

    @ParameterizedTest(name = "payload {0} bytes")
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 23, 100, 501})
    void paddingIsZeroAndNothingPastThePacketIsTouchedWhenTheRingHeldGarbage(int size) {
        Ring ring = fresh(arena, 8192);
        fillData(ring, (byte) 0xFF);
        RingWriter writer = new RingWriter(ring);
        byte[] p = payload(size, size);

        writer.write(PacketType.DATA_INBAND, 0, 42, p, 0, size);

        int len = RingLayout.align8(16 + size);
        assertArrayEquals(p, java.util.Arrays.copyOfRange(dataBytes(ring, 0, len), 16, 16 + size));
        for (int i = 16 + size; i < len; i++) {
            assertEquals(0, dataByte(ring, i), "pad byte " + i);
        }
        assertEquals(0L, dataLE(ring, len, 8), "trailer");
        for (int i = len + 8; i < len + 64; i++) {
            assertEquals((byte) 0xFF, dataByte(ring, i), "byte " + i + " after the packet is untouched");
        }
    }

    @Test
    void segmentPayloadWritesTheSameBytesAsArrayPayload() {
        Ring a = fresh(arena, 8192);
        Ring b = fresh(arena, 8192);
        fillData(a, (byte) 0xEE);
        fillData(b, (byte) 0xEE);
        byte[] p = payload(61, 3);
        MemorySegment src = arena.allocate(100);
        MemorySegment.copy(p, 0, src, java.lang.foreign.ValueLayout.JAVA_BYTE, 10, 61);

        new RingWriter(a).write(PacketType.COMP, 1, 9, p, 0, 61);
        new RingWriter(b).write(PacketType.COMP, 1, 9, src, 10, 61);

        assertArrayEquals(dataBytes(a, 0, 128), dataBytes(b, 0, 128));
        assertEquals(0, dataLE(b, 16 + 61, 3), "padding of the segment variant");
    }

    @Test
    void writeRawStoresThePacketVerbatimFollowedByTheTrailer() {
        Ring ring = fresh(arena, 8192);
        position(ring, 64);
        RingWriter writer = new RingWriter(ring);
        MemorySegment raw = rawPacket(PacketType.DATA_USING_XFER_PAGES, 3, 4, 1, 77, 32);
        raw.set(U32, 16, 0xCAFEBABE);

        writer.writeRaw(raw, 0, 32);

        assertArrayEquals(raw.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), dataBytes(ring, 64, 32));
        assertEquals(64L << 32, dataLE(ring, 96, 8));
        assertEquals(104, writeIndex(ring));
    }

    @Test
    void payloadLengthBeyondSixteenBitLen8IsRefused() {
        Ring ring = fresh(arena, 8192);
        RingWriter writer = new RingWriter(ring);
        assertThrows(IllegalArgumentException.class,
                () -> writer.write(6, 0, 0, new byte[0], 0, RingWriter.MAX_PACKET_LENGTH - 15));
        assertThrows(IllegalArgumentException.class, () -> writer.write(6, 0, 0, new byte[0], 0, -1));
        assertEquals(0, writeIndex(ring));
    }
}
