package dev.vmbus.channel;

import dev.vmbus.ring.PacketType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static dev.vmbus.ring.TestRings.*;
import static org.junit.jupiter.api.Assertions.*;

/** Request-id hardening (spec 3.3 and section 8 fix 5): ids from 1, LIFO reuse, rejected completions counted. */
class RequestorTest {

    @Test
    void idsStartAtOneAndFreedSlotsAreReusedLastInFirstOut() {
        Requestor r = new Requestor(4);
        assertEquals(1, r.next(100));
        assertEquals(2, r.next(200));
        assertEquals(3, r.next(300));
        assertEquals(3, r.inUse());

        assertEquals(200, r.requestAddress(2));
        assertEquals(100, r.requestAddress(1));
        assertEquals(1, r.next(101), "the last freed slot comes back first");
        assertEquals(2, r.next(201));
        assertEquals(4, r.next(400));
        assertEquals(4, r.inUse());
    }

    @Test
    void fullTableReturnsRqstError() {
        Requestor r = new Requestor(2);
        r.next(1);
        r.next(2);
        assertEquals(Requestor.RQST_ERROR, r.next(3));
        assertEquals(-2L, Requestor.RQST_ERROR, "U64_MAX - 1");
        assertEquals(2, r.inUse());
        r.requestAddress(1);
        assertEquals(1, r.next(3));
    }

    @Test
    void badCompletionIdsAreRejectedAndCountedSeparately() {
        Requestor r = new Requestor(3);
        long id = r.next(0xABC);

        assertEquals(Requestor.RQST_ERROR, r.requestAddress(0));
        assertEquals(Requestor.RQST_ERROR, r.requestAddress(4), "past the table");
        assertEquals(Requestor.RQST_ERROR, r.requestAddress(-1L), "U64_MAX");
        assertEquals(Requestor.RQST_ERROR, r.requestAddress(Long.MIN_VALUE));
        assertEquals(Requestor.RQST_ERROR, r.requestAddress(2), "slot never used");
        assertEquals(0xABC, r.requestAddress(id));
        assertEquals(Requestor.RQST_ERROR, r.requestAddress(id), "duplicate completion");

        assertEquals(1, r.rejectedZero());
        assertEquals(3, r.rejectedOutOfRange());
        assertEquals(2, r.rejectedNotInUse());
        assertEquals(0, r.rejectedMismatch());
        assertEquals(6, r.rejected());
    }

    @Test
    void addressMismatchReturnsTheStoredAddressAndKeepsTheSlot() {
        Requestor r = new Requestor(2);
        long id = r.next(500);

        assertEquals(500, r.requestAddressMatch(id, 501));
        assertEquals(1, r.rejectedMismatch());
        assertEquals(1, r.inUse(), "not freed");
        assertEquals(2, r.next(600), "slot 1 still taken");
        assertEquals(500, r.requestAddressMatch(id, 500));
        assertEquals(1, r.inUse());
        assertEquals(Requestor.RQST_ERROR, r.requestAddressMatch(id, Requestor.ADDR_ANY),
                "freed by the matching call: a second one is rejected");
        assertEquals(1, r.rejectedNotInUse());
    }

    @Test
    void channelHandsOutRequestorIdsOnlyForFlagsExactlyOne() {
        try (Arena arena = Arena.ofConfined()) {
            ChannelFixture f = ChannelFixture.allocate(arena, 4096);
            VmbusChannel guest = f.guest(2);
            VmbusChannel host = f.host(0);
            RecvResult res = new RecvResult();

            assertEquals(SendStatus.OK, guest.sendPacket(new byte[4], 0, 4, 0xAAAA, PacketType.DATA_INBAND, 1));
            assertEquals(1, guest.lastTransactionId());
            assertEquals(SendStatus.OK, guest.sendPacket(new byte[4], 0, 4, 0xBBBB, PacketType.DATA_INBAND, 1));
            assertEquals(2, guest.lastTransactionId());
            int w = writeIndex(f.rings.tx());

            SendStatus full = guest.sendPacket(new byte[4], 0, 4, 0xCCCC, PacketType.DATA_INBAND, 1);

            assertEquals(SendStatus.REQUESTOR_FULL, full);
            assertEquals(-11, full.errno());
            assertEquals(w, writeIndex(f.rings.tx()), "nothing published");
            assertEquals(SendStatus.OK, guest.sendPacket(new byte[4], 0, 4, 0xDDDD, PacketType.DATA_INBAND, 0));
            assertEquals(0xDDDD, guest.lastTransactionId(), "flags 0: the caller's id as is");
            assertEquals(SendStatus.OK, guest.sendPacket(new byte[4], 0, 4, 0xEEEE, PacketType.DATA_INBAND, 3));
            assertEquals(0xEEEE, guest.lastTransactionId(), "flags 3 is not exactly 1: no requestor id");

            long[] expect = {1, 2, 0xDDDD, 0xEEEE};
            int[] flags = {1, 1, 0, 3};
            for (int i = 0; i < expect.length; i++) {
                assertEquals(RecvStatus.OK, host.recvPacket(new byte[64], res));
                assertEquals(expect[i], res.requestId(), "trans_id on the wire, packet " + i);
                assertEquals(flags[i], res.flags());
            }
            assertEquals(0xAAAA, guest.requestor().requestAddress(1));
            assertEquals(0xBBBB, guest.requestor().requestAddress(2));
        }
    }

    @Test
    void aSendRefusedForRingSpaceGivesItsRequestIdBack() {
        try (Arena arena = Arena.ofConfined()) {
            ChannelFixture f = ChannelFixture.allocate(arena, 4096);
            VmbusChannel guest = f.guest(2);
            byte[] big = new byte[4096 - 24];

            assertEquals(SendStatus.TRY_AGAIN, guest.sendPacket(big, 0, big.length, 5, PacketType.DATA_INBAND, 1));
            assertEquals(0, guest.requestor().inUse());
            assertEquals(SendStatus.OK, guest.sendPacket(new byte[1], 0, 1, 5, PacketType.DATA_INBAND, 1));
            assertEquals(1, guest.lastTransactionId(), "slot 0 was returned and is handed out again");
        }
    }
}
