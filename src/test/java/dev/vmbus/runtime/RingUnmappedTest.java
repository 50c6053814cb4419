package dev.vmbus.runtime;

import dev.vmbus.channel.ChannelClosedException;
import dev.vmbus.channel.ChannelFixture;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.RingUnmappedException;
import dev.vmbus.channel.SendStatus;
import dev.vmbus.channel.VmbusChannel;
import dev.vmbus.ring.PacketType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.vertx.core.Future;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review row 14: "the transport unmapped the ring" is its own exception and ends the channel RESCINDED
 * ({@code RING_UNMAPPED}); an IllegalStateException that is a bug never shows as a rescind: in a packet sink it
 * faults the channel naming the exception, from a caller it is thrown back.
 */
class RingUnmappedTest {
    private final Arena arena = Arena.ofShared();
    private final ChannelFixture f = new ChannelFixture(arena.allocate(2L * (4096 + 4096), 4096));
    private final ManualTimers timers = new ManualTimers();
    private final List<EndReason> ends = new ArrayList<>();

    @AfterEach
    void unmap() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    private ChannelDriver driver(VmbusChannel channel, PacketSink sink) {
        return ChannelDriver.manual(channel, timers, sink).endHandler(ends::add);
    }

    @Test
    void theChannelSaysUnmappedForEveryRingAccessOnceTheArenaIsClosed() {
        VmbusChannel guest = f.guest(0);
        arena.close();

        assertThrows(RingUnmappedException.class, guest::maskInterrupts);
        assertThrows(RingUnmappedException.class, guest::nextPacket);
        assertThrows(RingUnmappedException.class, guest::stats);
        assertThrows(RingUnmappedException.class, () -> guest.armPendingSend(64));
        RingUnmappedException e = assertThrows(RingUnmappedException.class,
                () -> guest.sendPacket(new byte[8], 0, 8, 1, PacketType.DATA_INBAND, 0));
        assertEquals(7, e.relid());
        assertInstanceOf(IllegalStateException.class, e.getCause(), "the JDK's closed-arena failure, kept as cause");
        assertEquals(ChannelState.OPEN, guest.state(), "the channel itself only reports; its runtime ends it");
    }

    @Test
    void aDrainOverAnUnmappedRingEndsTheChannelRescindedOnce() {
        ChannelDriver d = driver(f.guest(0), p -> { });
        arena.close();

        assertEquals(ChannelDriver.DrainResult.STOPPED, d.drain(64));
        assertEquals(ChannelState.RESCINDED, d.state());
        assertEquals(EndReason.Kind.RING_UNMAPPED, d.reason().kind());
        assertEquals(List.of(d.reason()), ends);
        assertEquals(ChannelDriver.DrainResult.STOPPED, d.drain(64));
        assertEquals(1, ends.size(), "reported once");
    }

    @Test
    void aSendOverAnUnmappedRingFailsClosedAndAStatsSnapshotThrows() throws Exception {
        ChannelDriver d = driver(f.guest(0), p -> { });
        arena.close();

        Future<Void> sent = d.send(new byte[8], 1, PacketType.DATA_INBAND, 0);
        ChannelClosedException closed = assertInstanceOf(ChannelClosedException.class, sent.cause());
        assertEquals(EndReason.Kind.RING_UNMAPPED, closed.reason().kind());
        assertEquals(ChannelState.RESCINDED, d.state());
        assertThrows(RingUnmappedException.class, d::stats);
        assertEquals(SendStatus.NO_DEVICE, d.writeRaw(MemorySegment.ofArray(new byte[32]), 0, 32));
    }

    @Test
    void anIllegalStateExceptionThatIsABugFaultsTheChannelAndIsNeverARescind() {
        VmbusChannel host = f.host(0);
        ChannelDriver d = driver(f.guest(0), p -> {
            throw new IllegalStateException("a bug in the packet sink");
        });
        assertEquals(SendStatus.OK, host.sendPacket(new byte[8], 0, 8, 1, PacketType.DATA_INBAND, 0));

        assertEquals(ChannelDriver.DrainResult.STOPPED, d.drain(64));
        assertEquals(ChannelState.FAULTED, d.state(), "a bug is not a rescind");
        assertEquals(EndReason.Kind.HANDLER_FAILED, d.reason().kind());
        assertEquals("packet sink failed: java.lang.IllegalStateException: a bug in the packet sink", d.reason().text());
        assertEquals(List.of(d.reason()), ends);
    }

    @Test
    void aRequestWithoutARequestorIsTheCallersBugAndLeavesTheChannelOpen() {
        ChannelDriver d = driver(f.guest(0), p -> { });
        IllegalStateException noRequestor = assertThrows(IllegalStateException.class,
                () -> d.request(new byte[8], PacketType.DATA_INBAND, 1000));
        assertTrue(noRequestor.getMessage().contains("without a requestor"), noRequestor.getMessage());
        assertEquals(ChannelState.OPEN, d.state());
        assertNull(d.reason());
    }
}
