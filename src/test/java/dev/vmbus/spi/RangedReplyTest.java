package dev.vmbus.spi;

import dev.vmbus.channel.Packet;
import dev.vmbus.ring.GpaRanges;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.TransferPageRanges;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The SPI's completions and ranged packets: the host's id echoed, and a type that does not match its ranges refused. */
class RangedReplyTest {

    @Test
    void completeEchoesTheRequestsTransactionIdWithFlagsZero() {
        TransferPageRanges ranges = new TransferPageRanges().reset(0xCAFE, false).add(1514, 0);
        Packet request = new Packet(3, PacketType.DATA_USING_XFER_PAGES, 1, 0x8000_0000_0000_0042L, new byte[16],
                ranges, null);

        Reply.Send reply = Reply.complete(request, new byte[0]);

        assertEquals(PacketType.COMP, reply.packet().type());
        assertEquals(0, reply.packet().flags());
        assertEquals(0x8000_0000_0000_0042L, reply.packet().transactionId());
        assertEquals(0, reply.packet().payload().length);
        assertNull(reply.packet().transferPages());
        assertTrue(request.toString().contains("1514@0"), request.toString());
    }

    @Test
    void rangedPacketsCarryTheirRangesAndOnlyThose() {
        GpaRanges gpa = new GpaRanges().addPage(64, 0, 9);
        OutboundPacket g = OutboundPacket.gpaDirect(gpa, new byte[4], 7);
        assertEquals(PacketType.DATA_USING_GPA_DIRECT, g.type());
        assertEquals(1, g.flags());
        assertSame(gpa, g.gpaRanges());
        TransferPageRanges t = new TransferPageRanges().reset(1, true).add(1, 2);
        assertSame(t, OutboundPacket.transferPages(t, new byte[0], 5, 1).transferPages());

        assertThrows(IllegalArgumentException.class,
                () -> new OutboundPacket(new byte[0], 1, PacketType.DATA_USING_GPA_DIRECT, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new OutboundPacket(new byte[0], 1, PacketType.DATA_INBAND, 0, t, null));
        assertThrows(IllegalArgumentException.class,
                () -> new OutboundPacket(new byte[0], 1, PacketType.DATA_USING_XFER_PAGES, 1, null, gpa));
    }
}
