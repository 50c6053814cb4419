package dev.vmbus.ring;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static dev.vmbus.ring.TestRings.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Exact bytes of the transfer-page (7), GPA-direct (9) and completion (0xB) packets against the tables of
 * netvsc-and-buffers.md section 1.2-1.4 (and vmbus-ring.md 1.4), then the reader's decoding of those bytes.
 */
class RangedPacketBytesTest {
    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void transferPagePacketMatchesTheSpecTable() {
        Ring ring = fresh(arena, 8192);
        RingWriter writer = new RingWriter(ring);
        TransferPageRanges ranges = new TransferPageRanges().reset(0xCAFE, true)
                .add(1514, 0).add(60, 0x1800).add(0xFFFF_FFFF, 0xFFFF_FFF0);
        byte[] nvsp = {107, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0, 0, 0, 0};

        assertEquals(RingWriter.WRITTEN_SIGNAL, writer.writeTransferPages(1, 0x1122334455667788L, ranges, nvsp, 0, 16));

        // header = 24 + 3 * 8 = 48 -> offset8 = 6 (= 3 + range_cnt); packet = 48 + 16 = 64 -> len8 = 8
        assertEquals(0x0007, dataLE(ring, 0, 2), "type");
        assertEquals(6, dataLE(ring, 2, 2), "offset8 = 3 + range_cnt");
        assertEquals(8, dataLE(ring, 4, 2), "len8");
        assertEquals(1, dataLE(ring, 6, 2), "flags: completion requested");
        assertEquals(0x1122334455667788L, dataLE(ring, 8, 8), "trans_id");
        assertEquals(0xCAFE, dataLE(ring, 16, 2), "xfer_pageset_id");
        assertEquals(1, dataLE(ring, 18, 1), "sender_owns_set");
        assertEquals(0, dataLE(ring, 19, 1), "reserved");
        assertEquals(3, dataLE(ring, 20, 4), "range_cnt");
        assertEquals(1514, dataLE(ring, 24, 4), "ranges[0].byte_count");
        assertEquals(0, dataLE(ring, 28, 4), "ranges[0].byte_offset");
        assertEquals(60, dataLE(ring, 32, 4));
        assertEquals(0x1800, dataLE(ring, 36, 4));
        assertEquals(0xFFFF_FFFFL, dataLE(ring, 40, 4), "u32 values keep all 32 bits");
        assertEquals(0xFFFF_FFF0L, dataLE(ring, 44, 4));
        assertArrayEquals(nvsp, dataBytes(ring, 48, 16), "payload at offset8*8");
        assertEquals(0, dataLE(ring, 64, 8), "trailer: old write index 0 << 32");
        assertEquals(72, writeIndex(ring));

        RingReader reader = new RingReader(ring);
        assertEquals(64, reader.peek());
        assertTrue(reader.checkDescriptor());
        TransferPageRanges decoded = new TransferPageRanges();
        assertTrue(reader.readTransferPages(decoded));
        assertEquals(ranges, decoded);
        assertEquals(0xFFFF_FFFFL + 0xFFFF_FFF0L, decoded.end(2), "end is computed without overflow");
        assertEquals(48, reader.dataOffset());
        assertEquals(16, reader.payloadLength());
    }

    @Test
    void transferPagePaddingIsZeroAndSenderOwnsZeroWhenClear() {
        Ring ring = fresh(arena, 8192);
        fillData(ring, (byte) 0x5A);
        position(ring, 0);
        RingWriter writer = new RingWriter(ring);
        TransferPageRanges one = new TransferPageRanges().reset(7, false).add(100, 200);

        writer.writeTransferPages(0, 3, one, new byte[] {9, 9, 9}, 0, 3);

        assertEquals(4, dataLE(ring, 2, 2), "offset8 = 3 + 1");
        assertEquals(5, dataLE(ring, 4, 2), "32 + 3 = 35 -> 40");
        assertEquals(0, dataLE(ring, 6, 2));
        assertEquals(7, dataLE(ring, 16, 2));
        assertEquals(0, dataLE(ring, 18, 2), "sender_owns_set and reserved byte");
        assertArrayEquals(new byte[] {9, 9, 9, 0, 0, 0, 0, 0}, dataBytes(ring, 32, 8), "payload then zero padding");
    }

    @Test
    void gpaDirectPacketMatchesTheSpecTableWithMultiPageRanges() {
        Ring ring = fresh(arena, 8192);
        fillData(ring, (byte) 0x5A);
        position(ring, 0);
        RingWriter writer = new RingWriter(ring);
        // range 0: 100 bytes at +0xFF0 cross into a second page (2 PFNs); range 1: one page from a contiguous GPA
        GpaRanges ranges = new GpaRanges().add(100, 0xFF0, new long[] {0x12345, 0x99999}, 0)
                .addContiguous(0x7_0000_0010L, 16);
        byte[] payload = {1, 2, 3, 4, 5};

        assertEquals(RingWriter.WRITTEN_SIGNAL, writer.writeGpaDirect(1, 42, ranges, payload, 0, 5));

        // header = 24 + (8 + 16) + (8 + 8) = 64 -> offset8 = 8; packet 69 -> 72, len8 = 9
        assertEquals(9, dataLE(ring, 0, 2), "type");
        assertEquals(8, dataLE(ring, 2, 2), "offset8");
        assertEquals(9, dataLE(ring, 4, 2), "len8");
        assertEquals(1, dataLE(ring, 6, 2), "flags");
        assertEquals(42, dataLE(ring, 8, 8));
        assertEquals(0, dataLE(ring, 16, 4), "reserved");
        assertEquals(2, dataLE(ring, 20, 4), "range_cnt");
        assertEquals(100, dataLE(ring, 24, 4), "ranges[0].byte_count");
        assertEquals(0xFF0, dataLE(ring, 28, 4), "ranges[0].byte_offset");
        assertEquals(0x12345, dataLE(ring, 32, 8), "ranges[0].pfn[0]");
        assertEquals(0x99999, dataLE(ring, 40, 8), "ranges[0].pfn[1]");
        assertEquals(16, dataLE(ring, 48, 4), "ranges[1].byte_count");
        assertEquals(0x10, dataLE(ring, 52, 4), "ranges[1].byte_offset = gpa & 0xFFF");
        assertEquals(0x70_0000L, dataLE(ring, 56, 8), "ranges[1].pfn[0] = gpa / 4096 (4 KiB pages)");
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 0, 0, 0}, dataBytes(ring, 64, 8));
        assertEquals(0, dataLE(ring, 72, 8), "trailer");

        RingReader reader = new RingReader(ring);
        assertEquals(72, reader.peek());
        assertTrue(reader.checkDescriptor());
        GpaRanges decoded = new GpaRanges();
        assertTrue(reader.readGpaDirect(decoded));
        assertEquals(ranges, decoded);
        assertEquals(2, decoded.pfnCount(0));
        assertEquals(0x99999, decoded.pfn(0, 1));
        assertEquals(0x70_0000L, decoded.pfn(1, 0));
    }

    @Test
    void singlePageBuffersHaveLinuxsPagebufferLayout() {
        Ring ring = fresh(arena, 8192);
        RingWriter writer = new RingWriter(ring);
        GpaRanges pages = new GpaRanges().addPage(4096, 0, 1).addPage(10, 4086, 2).addPage(1, 0xFFF, 3);

        writer.writeGpaDirect(1, 5, pages, new byte[0], 0, 0);

        // vmbus_sendpacket_pagebuffer: descsize = 24 + 16 * pagecount, offset8 = 3 + 2n
        assertEquals(3 + 2 * 3, dataLE(ring, 2, 2));
        assertEquals(3 + 2 * 3, dataLE(ring, 4, 2), "no payload: len8 = offset8");
        for (int i = 0; i < 3; i++) {
            assertEquals(i + 1, dataLE(ring, 24 + 16 * i + 8, 8), "pfn of page buffer " + i);
        }
        assertThrows(IllegalArgumentException.class, () -> new GpaRanges().addPage(10, 4090, 1), "crosses a page");
    }

    @Test
    void completionPacketMatchesTheSpecTable() {
        Ring ring = fresh(arena, 8192);
        RingWriter writer = new RingWriter(ring);
        byte[] nvsp = {108, 0, 0, 0, 1, 0, 0, 0}; // SEND_RNDIS_PKT_COMPLETE, status 1

        writer.write(PacketType.COMP, 0, 0xDEADBEEFL, nvsp, 0, 8);

        assertEquals(0x000B, dataLE(ring, 0, 2));
        assertEquals(2, dataLE(ring, 2, 2));
        assertEquals(3, dataLE(ring, 4, 2));
        assertEquals(0, dataLE(ring, 6, 2));
        assertEquals(0xDEADBEEFL, dataLE(ring, 8, 8), "trans_id of the packet being completed");
        assertArrayEquals(nvsp, dataBytes(ring, 16, 8));

        writer.write(PacketType.COMP, 0, 7, new byte[0], 0, 0); // empty completions are legal
        RingReader reader = new RingReader(ring);
        assertEquals(24, reader.peek());
        assertTrue(reader.checkDescriptor());
        reader.consume();
        assertEquals(16, reader.peek());
        assertTrue(reader.checkDescriptor());
        assertEquals(0, reader.payloadLength());
        assertEquals(7, reader.transactionId());
    }

    @Test
    void rangedPacketsSplitAtTheWrapPointDecodeTheSame() {
        for (int start = 4096 - 64; start < 4096; start += 8) {
            try (Arena a = Arena.ofConfined()) {
                Ring ring = fresh(a, 4096);
                position(ring, start);
                RingWriter writer = new RingWriter(ring);
                GpaRanges g = new GpaRanges().addContiguous(0x1234_5678L, 9000);
                TransferPageRanges t = new TransferPageRanges().reset(1, false).add(5, 6).add(7, 8);
                assertEquals(RingWriter.WRITTEN_SIGNAL, writer.writeGpaDirect(1, 1, g, new byte[] {1, 2}, 0, 2));
                assertEquals(RingWriter.WRITTEN, writer.writeTransferPages(1, 2, t, new byte[] {3}, 0, 1));
                RingReader reader = new RingReader(ring);
                GpaRanges gd = new GpaRanges();
                TransferPageRanges td = new TransferPageRanges();
                assertTrue(reader.peek() > 0);
                assertTrue(reader.readGpaDirect(gd), "start " + start);
                assertEquals(g, gd);
                reader.consume();
                assertTrue(reader.peek() > 0);
                assertTrue(reader.readTransferPages(td));
                assertEquals(t, td);
                byte[] p = new byte[reader.payloadLength()];
                reader.copyPayload(p, 0);
                assertEquals(3, p[0]);
            }
        }
    }

    @Test
    void encodersRefuseWhatEveryReceiverRejects() {
        Ring ring = fresh(arena, 8192);
        RingWriter writer = new RingWriter(ring);
        assertThrows(IllegalArgumentException.class,
                () -> writer.writeTransferPages(1, 1, new TransferPageRanges().reset(1, false), new byte[0], 0, 0));
        assertThrows(IllegalArgumentException.class,
                () -> writer.writeGpaDirect(1, 1, new GpaRanges(), new byte[0], 0, 0));
        assertThrows(IllegalArgumentException.class,
                () -> writer.writeGpaDirect(2, 1, new GpaRanges().addPage(1, 0, 1), new byte[0], 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new TransferPageRanges().reset(0x10000, false));
        assertThrows(IllegalArgumentException.class, () -> new TransferPageRanges().add(0, 5));
        assertThrows(IllegalArgumentException.class, () -> new GpaRanges().add(0, 0, new long[] {1}, 0));
        assertThrows(IllegalArgumentException.class, () -> new GpaRanges().add(5, 0x1000, new long[] {1}, 0));
        assertThrows(IllegalArgumentException.class, () -> new GpaRanges().add(4097, 0, new long[] {1}, 0),
                "two pages need two PFNs");
        assertEquals(0, writeIndex(ring), "nothing was written");
    }
}
