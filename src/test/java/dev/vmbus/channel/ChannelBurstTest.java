package dev.vmbus.channel;

import dev.vmbus.ring.PacketType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static dev.vmbus.ring.TestRings.payload;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A burst ({@link VmbusChannel#beginBurst()} .. {@link VmbusChannel#endBurst()}): what one drain pass sends is
 * staged, the peer sees it all at the end with one signal decision, and a send that finds the ring full publishes
 * what is staged first, so the wait for space is a wait on packets the peer can see and free.
 */
class ChannelBurstTest {
    private final Arena arena = Arena.ofConfined();
    private final ChannelFixture f = ChannelFixture.allocate(arena, 4096);
    private final VmbusChannel guest = f.guest(0);
    private final VmbusChannel host = f.host(0);

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void stagedSendsAppearTogetherAtTheEndWithOneSignal() {
        guest.beginBurst();
        for (int i = 0; i < 3; i++) {
            byte[] p = payload(24, i);
            assertEquals(SendStatus.OK, guest.sendPacket(p, 0, p.length, 10 + i, PacketType.DATA_INBAND, 0));
        }
        assertNull(host.nextPacket(), "nothing is visible before the burst ends");
        assertEquals(0, f.toHost.get(), "no signal yet");

        guest.endBurst();
        assertEquals(1, f.toHost.get(), "one signal for the three, the ring having been empty");
        for (int i = 0; i < 3; i++) {
            Packet p = host.nextPacket();
            assertNotNull(p, "packet " + i);
            assertEquals(10 + i, p.transactionId());
            assertArrayEquals(payload(24, i), p.payload());
        }
        assertNull(host.nextPacket());

        byte[] p = payload(8, 9); // outside a burst a send is published at once again
        assertEquals(SendStatus.OK, guest.sendPacket(p, 0, p.length, 20, PacketType.DATA_INBAND, 0));
        assertEquals(20, host.nextPacket().transactionId());
    }

    @Test
    void aFullRingPublishesWhatIsStagedBeforeSayingTryAgain() {
        byte[] p = payload(1000, 1); // 1,016 bytes with the descriptor, 1,024 with the trailer
        guest.beginBurst();
        int sent = 0;
        SendStatus status;
        while ((status = guest.sendPacket(p, 0, p.length, 100 + sent, PacketType.DATA_INBAND, 0)) == SendStatus.OK) {
            sent++;
            if (sent > 8) {
                throw new AssertionError("a 4 KiB ring took more than 8 packets of 1 KiB");
            }
        }
        assertEquals(SendStatus.TRY_AGAIN, status);
        assertEquals(3, sent, "three fit (a ring never fills to the last byte)");
        assertEquals(1, f.toHost.get(), "the staged packets were published, with their signal");
        for (int i = 0; i < sent; i++) {
            assertEquals(100 + i, host.nextPacket().transactionId(), "visible before the burst ends");
        }
        host.commit();
        assertEquals(SendStatus.OK, guest.sendPacket(p, 0, p.length, 200, PacketType.DATA_INBAND, 0));
        assertNull(host.nextPacket(), "the burst goes on: staged again");
        guest.endBurst();
        assertEquals(200, host.nextPacket().transactionId());
    }
}
