package dev.vmbus.runtime;

import dev.vmbus.channel.ChannelFixture;
import dev.vmbus.channel.Packet;
import dev.vmbus.channel.RecvResult;
import dev.vmbus.channel.RecvStatus;
import dev.vmbus.channel.SendStatus;
import dev.vmbus.channel.VmbusChannel;

import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.vertx.core.Future;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeoutException;

import static dev.vmbus.ring.TestRings.*;
import static org.junit.jupiter.api.Assertions.*;

/** The runtime's requests (completion by requestor id, timeout) and the mask/drain/unmask/re-check loop (2.7). */
public class AsyncRequestDrainTest {
    private final Arena arena = Arena.ofConfined();
    private final ChannelFixture f = ChannelFixture.allocate(arena, 4096);
    private final VmbusChannel host = f.host(0);
    private final ManualTimers timers = new ManualTimers();
    private final List<Packet> sink = new ArrayList<>();
    private final RecvResult res = new RecvResult();

    @AfterEach
    void close() {
        arena.close();
    }

    private int rxMask() {
        return mask(f.rings.rx());
    }

    private void hostSends(int count, int size) {
        for (int i = 0; i < count; i++) {
            assertEquals(SendStatus.OK, host.sendPacket(payload(size, i), 0, size, 100 + i, PacketType.DATA_INBAND, 0));
        }
    }

    @Test
    void completionWithTheRequestIdCompletesTheRequestWithTheCompPacket() throws Exception {
        VmbusChannel guest = f.guest(4);
        ChannelDriver async = ChannelDriver.manual(guest, timers, sink::add);
        Future<Packet> reply = async.request(new byte[] {1, 2, 3}, PacketType.DATA_INBAND, 5000);
        assertEquals(1, timers.live());
        assertEquals(5000, timers.tasks.get(0).delayMillis);

        assertEquals(RecvStatus.OK, host.recvPacket(new byte[64], res));
        assertEquals(1, res.flags(), "completion requested");
        long id = res.requestId();
        assertEquals(1, id, "first requestor id");
        hostSends(1, 4); // unrelated inband traffic first
        byte[] answer = {9, 8, 7, 6, 5, 4, 3, 2};
        assertEquals(SendStatus.OK, host.sendPacket(answer, 0, answer.length, id, PacketType.COMP, 0));
        assertFalse(reply.isComplete());

        assertEquals(ChannelDriver.DrainResult.IDLE, async.drain(16));

        Packet comp = reply.result();
        assertEquals(PacketType.COMP, comp.type());
        assertEquals(id, comp.transactionId());
        assertArrayEquals(answer, comp.payload());
        assertEquals(1, sink.size(), "the completion is consumed by the request, not the sink");
        assertEquals(100, sink.get(0).transactionId());
        assertEquals(0, timers.live(), "timeout cancelled");
        assertEquals(0, async.pendingRequests());
        assertEquals(0, guest.requestor().inUse());
    }

    @Test
    void requestWithoutCompletionTimesOutAndALateCompletionIsRejected() {
        VmbusChannel guest = f.guest(4);
        ChannelDriver async = ChannelDriver.manual(guest, timers, sink::add);
        Future<Packet> reply = async.request(new byte[5], PacketType.DATA_INBAND, 250);
        host.recvPacket(new byte[64], res);
        long id = res.requestId();

        timers.fireAll();

        assertInstanceOf(TimeoutException.class, reply.cause());
        assertEquals(0, async.pendingRequests());
        assertEquals(0, guest.requestor().inUse(), "the slot is freed on timeout");

        host.sendPacket(new byte[8], 0, 8, id, PacketType.COMP, 0);
        assertEquals(ChannelDriver.DrainResult.IDLE, async.drain(16));
        assertEquals(1, guest.requestor().rejectedNotInUse(), "stale completion dropped and counted");
        assertTrue(sink.isEmpty());
        assertInstanceOf(TimeoutException.class, reply.cause());
    }

    @Test
    void requestThatTimesOutWhileParkedForRingSpaceIsNeverSent() {
        VmbusChannel guest = f.guest(4);
        ChannelDriver async = ChannelDriver.manual(guest, timers, sink::add);
        for (int i = 0; i < 3; i++) {
            assertTrue(async.send(new byte[1000], i, PacketType.DATA_INBAND, 0).isComplete());
        }
        Future<Packet> reply = async.request(new byte[1000], PacketType.DATA_INBAND, 100);
        assertEquals(1, async.parkedCount());

        timers.fireAll();
        assertInstanceOf(TimeoutException.class, reply.cause());
        for (int i = 0; i < 3; i++) {
            assertEquals(RecvStatus.OK, host.recvPacket(new byte[1024], res));
        }
        async.onInterrupt();

        assertEquals(RecvStatus.OK, host.recvPacket(new byte[1024], res));
        assertEquals(0, res.length(), "the caller was told it failed: the request must not reach the host");
        assertEquals(0, async.parkedCount());
        assertEquals(0, guest.requestor().inUse(), "no request id held for a request nobody awaits");
    }

    @Test
    void forgedCompletionIdsDoNotCompleteTheRequest() throws Exception {
        VmbusChannel guest = f.guest(4);
        ChannelDriver async = ChannelDriver.manual(guest, timers, sink::add);
        Future<Packet> reply = async.request(new byte[5], PacketType.DATA_INBAND, 250);
        host.recvPacket(new byte[64], res);
        long id = res.requestId();
        for (long forged : new long[] {0, id + 1, 99, -1}) {
            host.sendPacket(new byte[8], 0, 8, forged, PacketType.COMP, 0);
        }
        async.drain(16);
        assertFalse(reply.isComplete());
        assertEquals(4, guest.requestor().rejected());

        host.sendPacket(new byte[8], 0, 8, id, PacketType.COMP, 0);
        async.drain(16);
        assertEquals(id, reply.result().transactionId());
    }

    @Test
    void budgetExhaustedReturnsMoreWithInterruptsStillMasked() {
        VmbusChannel guest = f.guest(0);
        ChannelDriver async = ChannelDriver.manual(guest, timers, sink::add);
        hostSends(5, 20);

        assertEquals(ChannelDriver.DrainResult.MORE, async.drain(3));
        assertEquals(3, sink.size());
        assertEquals(1, rxMask(), "still masked: the host must not interrupt while we owe it a drain");
        assertEquals(3 * 48, readIndex(f.rings.rx()), "the batch was committed");

        assertEquals(ChannelDriver.DrainResult.IDLE, async.drain(10));
        assertEquals(5, sink.size());
        assertEquals(0, rxMask());
        assertEquals(writeIndex(f.rings.rx()), readIndex(f.rings.rx()));
        for (int i = 0; i < 5; i++) {
            assertEquals(100 + i, sink.get(i).transactionId());
            assertArrayEquals(payload(20, i), Arrays.copyOf(sink.get(i).payload(), 20));
        }
    }

    @Test
    void emptyRingReturnsIdleUnmasked() {
        VmbusChannel guest = f.guest(0);
        ChannelDriver async = ChannelDriver.manual(guest, timers, sink::add);
        assertEquals(ChannelDriver.DrainResult.IDLE, async.drain(8));
        assertEquals(0, rxMask());
        assertTrue(sink.isEmpty());
        hostSends(1, 1);
        assertEquals(1, f.toGuest.get(), "unmasked and empty: the next packet interrupts");
    }

    @Test
    void packetPublishedBetweenTheLastPeekAndUnmaskIsPickedUpInTheSameDrain() {
        // The host is blocked on a full RX ring with pending_send_sz armed. Our commit (after the last, empty,
        // peek and before unmask) signals it, and it writes a packet at once, while we are still masked: it
        // gets no reason to interrupt us, so only the re-check after unmask can find that packet.
        hostSends(3, 1000);
        assertEquals(SendStatus.TRY_AGAIN, host.sendPacket(new byte[1000], 0, 1000, 9, PacketType.DATA_INBAND, 0));
        assertFalse(host.armPendingSend(1024));
        List<SendStatus> lateSends = new ArrayList<>();
        List<Integer> maskSeenByHost = new ArrayList<>();
        VmbusChannel guest = VmbusChannel.guest(f.offer, f.rings, () -> {
            maskSeenByHost.add(rxMask());
            host.clearPendingSend();
            lateSends.add(host.sendPacket(payload(12, 77), 0, 12, 777, PacketType.DATA_INBAND, 0));
        }, 0);
        ChannelDriver async = ChannelDriver.manual(guest, timers, sink::add);

        assertEquals(ChannelDriver.DrainResult.IDLE, async.drain(64));

        assertEquals(List.of(SendStatus.OK), lateSends, "the host was signalled exactly once");
        assertEquals(List.of(1), maskSeenByHost, "the late packet was written while masked");
        assertEquals(1, f.toGuest.get(), "masked: the late write raised no interrupt (only the first packet did)");
        assertEquals(4, sink.size(), "the re-check found the late packet in the same drain");
        assertEquals(777, sink.get(3).transactionId());
        assertEquals(0, rxMask());
        assertEquals(writeIndex(f.rings.rx()), readIndex(f.rings.rx()));
    }
}
