package dev.vmbus.runtime;

import dev.vmbus.channel.ChannelClosedException;
import dev.vmbus.channel.ChannelFixture;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.RecvResult;
import dev.vmbus.channel.RecvStatus;
import dev.vmbus.channel.VmbusChannel;

import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.RingReader;
import dev.vmbus.ring.RingWriter;
import dev.vmbus.runtime.ChannelDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.vertx.core.Future;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

import static dev.vmbus.ring.TestRings.*;
import static org.junit.jupiter.api.Assertions.*;

/** The runtime's sends that wait for ring space through pending_send_sz (spec 2.4, 2.6). */
public class AsyncSendTest {
    private final Arena arena = Arena.ofConfined();
    private final ChannelFixture f = ChannelFixture.allocate(arena, 4096);
    private final VmbusChannel guest = f.guest(4);
    private final VmbusChannel host = f.host(0);
    private final ManualTimers timers = new ManualTimers();
    private final ChannelDriver async = ChannelDriver.manual(guest, timers, packet -> { });
    private final List<Integer> completed = new ArrayList<>();

    @AfterEach
    void close() {
        arena.close();
    }

    private Future<Void> send(int size, long id) {
        Future<Void> fut = async.send(payload(size, id), id, PacketType.DATA_INBAND, 0);
        fut.onSuccess(v -> completed.add((int) id));
        return fut;
    }

    private int pendingSendSize() {
        return pending(f.rings.tx());
    }

    /** Three 1000-byte sends (1024 ring bytes each) leave 1024 free: the fourth does not fit (strict rule). */
    private List<Future<Void>> fillThenPark() {
        List<Future<Void>> futures = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            futures.add(send(i < 4 ? 1000 : 10, i));
        }
        return futures;
    }

    @Test
    void fullRingParksTheSendArmsPendingSendSizeAndKeepsLaterSendsBehindIt() {
        List<Future<Void>> futures = fillThenPark();

        assertTrue(futures.get(0).isComplete() && futures.get(1).isComplete() && futures.get(2).isComplete());
        assertFalse(futures.get(3).isComplete(), "parked: 1024 free is not > 1024");
        assertFalse(futures.get(4).isComplete(), "would fit, but must stay behind the parked send");
        assertEquals(2, async.parkedCount());
        assertEquals(RingWriter.requiredSpace(1000), pendingSendSize());
        assertEquals(1024, pendingSendSize());
        assertEquals(3072, writeIndex(f.rings.tx()), "nothing overtook the parked send");
        assertEquals(1, async.pendingSendWaits());

        async.onInterrupt(); // spurious: no space was freed
        assertFalse(futures.get(3).isComplete());
        assertEquals(1024, pendingSendSize());
    }

    @Test
    void aPacketNoRingSpaceCouldEverHoldFailsAtOnceAndTheSendsBehindItGoOn() {
        // 4072 bytes take 4096 ring bytes, all of the 4096-byte ring: a write needs strictly more free than it takes
        assertEquals(4096, RingWriter.requiredSpace(4072));
        Future<Void> tooLarge = send(4072, 1);
        assertTrue(tooLarge.failed(), "refused at once, not parked for ever");
        assertEquals("channel " + guest.relid() + " can never hold a DATA_INBAND packet of 4072 bytes: it takes 4096 ring bytes and the"
                + " outbound ring holds 4096 bytes of data (offer the channel with a larger ring)",
                tooLarge.cause().getMessage());
        assertEquals(0, async.parkedCount());
        assertEquals(0, pendingSendSize(), "nothing armed for it");
        assertEquals(ChannelState.OPEN, guest.state(), "the channel goes on");
        assertTrue(send(10, 2).succeeded());
        assertEquals(RingWriter.requiredSpace(10), writeIndex(f.rings.tx()), "only the small packet was written");

        // behind a parked send, it fails when its turn comes, and the one behind it is sent
        List<Future<Void>> futures = fillThenPark();
        Future<Void> behind = send(4072, 9);
        Future<Void> after = send(10, 10);
        assertFalse(behind.isComplete());
        RecvResult res = new RecvResult();
        for (int i = 0; i < 8 && host.recvPacket(new byte[2048], res) == RecvStatus.OK; i++) {
            // the host takes everything written so far
        }
        async.onInterrupt();
        assertTrue(futures.get(4).succeeded());
        assertTrue(behind.failed(), String.valueOf(behind.cause()));
        assertTrue(after.succeeded());
        assertEquals(0, async.parkedCount());
    }

    @Test
    void hostSignalAfterFreeingSpaceCompletesParkedSendsInOrderAndClearsPendingSendSize() {
        List<Future<Void>> futures = fillThenPark();
        RecvResult res = new RecvResult();

        assertEquals(RecvStatus.OK, host.recvPacket(new byte[2048], res));
        assertEquals(0, res.requestId());
        assertEquals(1, f.toGuest.get(), "the host's commit crossed pending_send_sz and signalled");
        async.onInterrupt();

        assertTrue(futures.get(3).isComplete() && futures.get(4).isComplete());
        assertEquals(List.of(0, 1, 2, 3, 4), completed);
        assertEquals(0, async.parkedCount());
        assertEquals(0, pendingSendSize(), "cleared once the queue is empty");
        for (long id = 1; id <= 4; id++) {
            assertEquals(RecvStatus.OK, host.recvPacket(new byte[2048], res));
            assertEquals(id, res.requestId(), "host sees the sends in order");
        }
        assertEquals(1, async.stats().interrupts());
    }

    @Test
    void batchedHostReaderCommitSignalsAndTheParkedSendsGoOut() {
        List<Future<Void>> futures = fillThenPark();
        RingReader hostReader = new RingReader(f.rings.tx());
        while (hostReader.peek() > 0) {
            hostReader.consume();
        }

        assertTrue(hostReader.commit(), "free went 1024 -> 4096 across pending 1024: signal");
        async.onInterrupt();

        assertTrue(futures.get(4).isComplete());
        assertEquals(0, pendingSendSize());
        assertEquals((3072 + 1024 + 40) % 4096, writeIndex(f.rings.tx()), "both went out, wrapping");
    }

    @Test
    void hostReadThatDoesNotFreeEnoughDoesNotSignal() {
        List<Future<Void>> futures = fillThenPark();
        // Re-arm as a writer waiting for 2048 bytes would: one freed packet (1024 -> 2048 free) is not enough.
        assertFalse(guest.armPendingSend(2048));
        RingReader hostReader = new RingReader(f.rings.tx());
        hostReader.peek();
        hostReader.consume();
        assertFalse(hostReader.commit(), "2048 free is not > 2048");
        hostReader.peek();
        hostReader.consume();
        assertTrue(hostReader.commit());
        assertFalse(futures.get(3).isComplete(), "nothing moves until the interrupt is delivered");
        async.onInterrupt();
        assertTrue(futures.get(4).isComplete());
    }

    @Test
    void tooManyParkedSendsAreRefused() {
        ChannelDriver small = ChannelDriver.manual(guest, timers, 1, packet -> { });
        for (int i = 0; i < 3; i++) {
            assertTrue(small.send(new byte[1000], i, 6, 0).isComplete());
        }
        Future<Void> parked = small.send(new byte[1000], 3, 6, 0);
        Future<Void> refused = small.send(new byte[1], 4, 6, 0);

        assertFalse(parked.isComplete());
        assertTrue(refused.failed());
        assertInstanceOf(IllegalStateException.class, refused.cause());
    }

    @Test
    void rescindFailsParkedSendsWithChannelClosed() {
        List<Future<Void>> futures = fillThenPark();
        async.end(EndReason.of(EndReason.Kind.HOST_RESCINDED, "rescinded by the host")); // what the link reports

        for (int i = 3; i < 5; i++) {
            ChannelClosedException cause = assertInstanceOf(ChannelClosedException.class, futures.get(i).cause());
            assertEquals(ChannelState.RESCINDED, cause.state());
        }
        assertEquals(0, async.parkedCount());
    }
}
