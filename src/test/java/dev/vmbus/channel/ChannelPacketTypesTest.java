package dev.vmbus.channel;

import dev.vmbus.ring.GpaRanges;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.RingFault;
import dev.vmbus.ring.TransferPageRanges;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static dev.vmbus.ring.TestRings.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Linux's {@code vmbus_sendpacket_pagebuffer} and {@code vmbus_sendpacket_mpb_desc} with their results, transfer
 * pages and completions through a channel, and received packets carrying type, flags, transaction id and ranges.
 */
class ChannelPacketTypesTest {
    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        arena.close();
    }

    static GpaRanges pages(int n) {
        GpaRanges g = new GpaRanges();
        for (int i = 0; i < n; i++) {
            g.addPage(4096 - i, i, 0x1000 + i);
        }
        return g;
    }

    @Test
    void pagebufferWithThirtyTwoPagesHasLinuxsSizesAndTakesARequestorId() {
        ChannelFixture f = ChannelFixture.allocate(arena, 16384);
        VmbusChannel guest = f.guest(4);

        assertEquals(SendStatus.OK, guest.sendPacketPageBuffer(pages(32), new byte[] {1, 2, 3}, 0, 3, 0xABCD));

        // descsize = sizeof(vmbus_channel_packet_page_buffer) - (32 - 32) * 16 = 24 + 16 * 32 = 536
        assertEquals(PacketType.DATA_USING_GPA_DIRECT, dataLE(f.rings.tx(), 0, 2));
        assertEquals(536 / 8, dataLE(f.rings.tx(), 2, 2), "dataoffset8 = descsize >> 3");
        assertEquals((536 + 3 + 7) / 8, dataLE(f.rings.tx(), 4, 2), "length8 = ALIGN(descsize + bufferlen, 8) >> 3");
        assertEquals(1, dataLE(f.rings.tx(), 6, 2), "flags forced to completion requested");
        assertEquals(1, dataLE(f.rings.tx(), 8, 8), "trans_id is the requestor's first id");
        assertEquals(32, dataLE(f.rings.tx(), 20, 4), "rangecount = pagecount");
        assertEquals(1, guest.lastTransactionId());
        assertEquals(0xABCD, guest.requestor().requestAddress(1), "requestid stored as the address");

        Packet p = f.host(0).nextPacket();
        assertEquals(PacketType.DATA_USING_GPA_DIRECT, p.type());
        assertTrue(p.completionRequested());
        assertEquals(pages(32), p.gpaRanges());
        assertNull(p.transferPages());
        assertArrayEquals(new byte[] {1, 2, 3, 0, 0, 0, 0, 0}, p.payload());
    }

    @Test
    void pagebufferRefusesWhatLinuxRefusesAndWritesNothing() {
        ChannelFixture f = ChannelFixture.allocate(arena, 16384);
        VmbusChannel guest = f.guest(4);

        assertEquals(SendStatus.INVALID_ARGUMENT, guest.sendPacketPageBuffer(pages(33), new byte[0], 0, 0, 1),
                "pagecount > MAX_PAGE_BUFFER_COUNT");
        assertEquals(-22, SendStatus.INVALID_ARGUMENT.errno());
        assertEquals(SendStatus.INVALID_ARGUMENT, guest.sendPacketPageBuffer(new GpaRanges(), new byte[0], 0, 0, 1),
                "no page");
        GpaRanges twoPages = new GpaRanges().add(8000, 0, new long[] {1, 2}, 0);
        assertEquals(SendStatus.INVALID_ARGUMENT, guest.sendPacketPageBuffer(twoPages, new byte[0], 0, 0, 1),
                "an hv_page_buffer names one page");
        assertEquals(SendStatus.INVALID_ARGUMENT,
                guest.sendPacketMpbDesc(twoPages, new byte[0], 0, RingWriterLimit.PAYLOAD_TOO_LONG, 1), "len8 overflow");
        assertEquals(0, writeIndex(f.rings.tx()));
        assertEquals(0, guest.requestor().inUse(), "no id taken");
    }

    /** The payload length that, after a 40-byte GPA header, no longer fits 16 bits of len8. */
    static final class RingWriterLimit {
        static final int PAYLOAD_TOO_LONG = dev.vmbus.ring.RingWriter.MAX_PACKET_LENGTH - 40 + 1;
    }

    @Test
    void mpbDescCarriesMultiPageRangesAndAFullRingGivesTheIdBack() {
        ChannelFixture f = ChannelFixture.allocate(arena, 4096);
        VmbusChannel guest = f.guest(2);
        GpaRanges ranges = new GpaRanges().addContiguous(0x10_0F00L, 9000).addContiguous(0x20_0000L, 1);
        MemorySegment payload = arena.allocate(40);
        payload.fill((byte) 7);

        assertEquals(SendStatus.OK, guest.sendPacketMpbDesc(ranges, payload, 0, 40, 0x55));
        assertEquals((24 + 8 * ranges.wordCount()) / 8, dataLE(f.rings.tx(), 2, 2), "dataoffset8 = desc_size >> 3");
        Packet p = f.host(0).nextPacket();
        assertEquals(ranges, p.gpaRanges());
        assertEquals(4, p.gpaRanges().pfnCount(0), "0xF00 + 9000 bytes span four 4 KiB pages");
        assertEquals(0x100, p.gpaRanges().pfn(0, 0));
        assertEquals(0x103, p.gpaRanges().pfn(0, 3));
        assertEquals(1, p.transactionId());

        byte[] big = new byte[4000];
        int inUse = guest.requestor().inUse();
        assertEquals(SendStatus.TRY_AGAIN, guest.sendPacketMpbDesc(ranges, big, 0, big.length, 0x66),
                "free <= total: -EAGAIN");
        assertEquals(inUse, guest.requestor().inUse(), "the id allocated for the failed write was given back");
    }

    @Test
    void transferPagesDownAndACompletionWithTheHostsIdBack() {
        ChannelFixture f = ChannelFixture.allocate(arena, 8192);
        VmbusChannel host = f.host(0);
        VmbusChannel guest = f.guest(0);
        TransferPageRanges ranges = new TransferPageRanges().reset(0xCAFE, false).add(1514, 0).add(60, 6144);
        byte[] nvsp = {107, 0, 0, 0, 0, 0, 0, 0};

        assertEquals(SendStatus.OK, host.sendTransferPages(ranges, nvsp, 0, 8, 17, 1));
        assertEquals(SendStatus.INVALID_ARGUMENT, host.sendTransferPages(ranges, nvsp, 0, 8, 17, 2));
        assertEquals(SendStatus.INVALID_ARGUMENT,
                host.sendTransferPages(new TransferPageRanges().reset(1, false), nvsp, 0, 8, 17, 1));

        Packet p = guest.nextPacket();
        assertEquals(PacketType.DATA_USING_XFER_PAGES, p.type());
        assertEquals(1, p.flags());
        assertEquals(17, p.transactionId());
        assertEquals(ranges, p.transferPages());
        assertEquals(6144, p.transferPages().byteOffset(1));
        assertArrayEquals(nvsp, p.payload());
        assertEquals(1, guest.packetsReceived(PacketType.DATA_USING_XFER_PAGES));

        assertEquals(SendStatus.OK, guest.sendCompletion(p.transactionId(), new byte[] {108, 0, 0, 0, 1, 0, 0, 0}, 0, 8));
        assertEquals(SendStatus.OK, guest.sendCompletion(18, new byte[0], 0, 0));
        Packet c = host.nextPacket();
        assertTrue(c.isCompletion());
        assertEquals(0, c.flags());
        assertEquals(17, c.transactionId());
        assertNull(c.transferPages());
        Packet empty = host.nextPacket();
        assertEquals(18, empty.transactionId());
        assertEquals(0, empty.payload().length);
        assertEquals(2, host.packetsReceived(PacketType.COMP));
        assertEquals(ChannelState.OPEN, guest.state());
    }

    @Test
    void aPacketThatWouldNeverDecodeFaultsTheChannelWithItsKind() {
        ChannelFixture f = ChannelFixture.allocate(arena, 8192);
        VmbusChannel guest = f.guest(0);
        // a hostile host: GPA-direct with range_cnt 3 and room for one range
        MemorySegment raw = MemorySegment.ofArray(new byte[48]);
        raw.set(U64, 0, PacketLayout.word0(9, 5, 6, 1));
        raw.set(U64, 16, 3L << 32);
        raw.set(U64, 24, 8L);
        raw.set(U64, 32, 0x1234L);
        assertEquals(SendStatus.OK, f.host(0).sendRaw(raw, 0, 48));

        assertNull(guest.nextPacket());

        assertEquals(ChannelState.FAULTED, guest.state());
        assertEquals(RingFault.Kind.RANGE_COUNT_OVERRUNS_HEADER, guest.endReason().ringFault().kind());
        assertTrue(guest.endReason().toString().contains("range_cnt=3"), guest.endReason().toString());
        assertEquals(SendStatus.FAULTED, guest.sendCompletion(1, new byte[0], 0, 0));
    }

    @Test
    void unknownTypesAndFlagsFaultNextPacketButRawReadsStillSeeThem() {
        ChannelFixture f = ChannelFixture.allocate(arena, 8192);
        VmbusChannel host = f.host(0);
        assertEquals(SendStatus.OK, host.sendPacket(new byte[4], 0, 4, 9, PacketType.CANCEL_REQUEST, 0));
        byte[] buffer = new byte[64];
        RecvResult r = new RecvResult();
        assertEquals(RecvStatus.OK, f.guest(0).recvPacketRaw(buffer, r), "vmbus_recvpacket_raw checks no type");
        assertEquals(PacketType.CANCEL_REQUEST, r.type());

        assertEquals(SendStatus.OK, host.sendPacket(new byte[4], 0, 4, 9, PacketType.DATA_INBAND, 4));
        VmbusChannel guest = f.guest(0);
        assertNull(guest.nextPacket());
        assertEquals(RingFault.Kind.INVALID_FLAGS, guest.endReason().ringFault().kind());
    }

    @Test
    void theFiveComponentPacketStillWorks() {
        Packet p = new Packet(3, PacketType.DATA_INBAND, 0, 5, new byte[] {1});
        assertNull(p.transferPages());
        assertNull(p.gpaRanges());
        assertFalse(p.isCompletion());
    }
}
