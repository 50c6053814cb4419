package dev.vmbus.runtime;

import dev.vmbus.channel.ChannelFixture;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Packet;
import dev.vmbus.channel.SendStatus;
import dev.vmbus.channel.VmbusChannel;
import dev.vmbus.ring.GpaRanges;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.TransferPageRanges;
import dev.vmbus.runtime.ChannelDriver.DrainResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batch handler: a drain pass's packets at once, credit counted in packets and receive-buffer slots (a
 * transfer-page packet holds one unit per range until the device completes it), completions with the host's id,
 * and what a device waits for.
 */
class BatchDriverTest {
    private final Arena arena = Arena.ofConfined();
    private final ChannelFixture f = ChannelFixture.allocate(arena, 16384);
    private final VmbusChannel guest = f.guest(0);
    private final VmbusChannel host = f.host(0);
    private final List<List<Packet>> batches = new ArrayList<>();
    private final List<EndReason> ends = new ArrayList<>();

    @AfterEach
    void close() {
        arena.close();
    }

    private ChannelDriver driver(int credit, BatchHandler handler) {
        return ChannelDriver.manualBatched(guest, new ManualTimers(), credit, handler).endHandler(ends::add);
    }

    private void hostSendsTransferPages(int packets, int ranges, long firstId) {
        for (int i = 0; i < packets; i++) {
            TransferPageRanges r = new TransferPageRanges().reset(0xCAFE, false);
            for (int j = 0; j < ranges; j++) {
                r.add(60, (i * ranges + j) * 2048);
            }
            assertEquals(SendStatus.OK, host.sendTransferPages(r, new byte[] {107, 0, 0, 0}, 0, 4, firstId + i, 1));
        }
    }

    private List<Packet> hostReads() {
        List<Packet> got = new ArrayList<>();
        for (Packet p; (p = host.nextPacket()) != null; ) {
            got.add(p);
        }
        host.commit();
        return got;
    }

    @Test
    void transferPagesHoldTheirSlotsUntilCompleted() {
        ChannelDriver d = driver(6, batches::add);
        hostSendsTransferPages(5, 2, 100);

        assertEquals(DrainResult.HELD, d.drain(64), "3 packets of 2 slots use the credit of 6");
        assertEquals(1, batches.size());
        assertEquals(3, batches.get(0).size());
        assertEquals(new Outstanding(3, 6, 6, 3, 6, 0), d.outstanding());

        Packet first = batches.get(0).get(0);
        assertTrue(d.complete(first, new byte[] {108, 0, 0, 0}).isComplete());
        assertEquals(new Outstanding(2, 4, 6, 2, 4, 0), d.outstanding());
        List<Packet> completions = hostReads();
        assertEquals(1, completions.size());
        assertEquals(PacketType.COMP, completions.get(0).type());
        assertEquals(100, completions.get(0).transactionId(), "completed with the host's id");
        assertEquals(0, completions.get(0).flags());
        assertArrayEquals(new byte[] {108, 0, 0, 0, 0, 0, 0, 0}, completions.get(0).payload());

        assertEquals(DrainResult.HELD, d.drain(64), "one more packet fits: 4 + 2 = 6");
        assertEquals(List.of(103L), batches.get(1).stream().map(Packet::transactionId).toList());
        for (Packet p : List.of(batches.get(0).get(1), batches.get(0).get(2), batches.get(1).get(0))) {
            d.complete(p, new byte[0]);
        }
        assertEquals(DrainResult.IDLE, d.drain(64));
        assertEquals(List.of(104L), batches.get(2).stream().map(Packet::transactionId).toList());
        d.complete(batches.get(2).get(0), new byte[0]);
        assertEquals(new Outstanding(0, 0, 6, 0, 0, 0), d.outstanding());
        assertEquals(List.of(101L, 102L, 103L, 104L), hostReads().stream().map(Packet::transactionId).toList());
    }

    @Test
    void inBandPacketsGiveTheirCreditBackWhenTheBatchReturns() {
        ChannelDriver d = driver(2, batches::add);
        for (int i = 0; i < 5; i++) {
            assertEquals(SendStatus.OK, host.sendPacket(new byte[] {(byte) i}, 0, 1, i, PacketType.DATA_INBAND, 0));
        }
        assertEquals(DrainResult.IDLE, d.drain(64));
        assertEquals(List.of(2, 2, 1), batches.stream().map(List::size).toList());
        assertEquals(new Outstanding(0, 0, 2, 0, 0, 0), d.outstanding());
    }

    @Test
    void onePacketWiderThanTheCreditIsStillTaken() {
        ChannelDriver d = driver(4, batches::add);
        hostSendsTransferPages(2, 9, 7);
        assertEquals(DrainResult.HELD, d.drain(64));
        assertEquals(1, batches.get(0).size());
        assertEquals(new Outstanding(1, 9, 4, 1, 9, 0), d.outstanding());
        d.complete(batches.get(0).get(0), new byte[0]);
        assertEquals(DrainResult.HELD, d.drain(64));
        assertEquals(8, batches.get(1).get(0).transactionId());
    }

    @Test
    void aPacketIsCompletedOnceAndACompletionNever() {
        ChannelDriver d = driver(8, batches::add);
        hostSendsTransferPages(1, 1, 5);
        assertEquals(SendStatus.OK, host.sendCompletion(9, new byte[0], 0, 0));
        d.drain(64);
        Packet xfer = batches.get(0).get(0);
        Packet comp = batches.get(0).get(1);
        d.complete(xfer, new byte[0]);
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> d.complete(xfer, new byte[0]));
        assertTrue(twice.getMessage().contains("no transfer-page packet 5"), twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> d.complete(comp, new byte[0]));
        assertEquals(1, hostReads().size(), "only the one completion went out");
        assertEquals(ChannelState.OPEN, d.state());
    }

    @Test
    void aThrowingBatchHandlerFaultsTheChannel() {
        ChannelDriver d = driver(8, batch -> {
            throw new IllegalStateException("bad frame");
        });
        hostSendsTransferPages(1, 1, 5);
        assertEquals(DrainResult.STOPPED, d.drain(64));
        assertEquals(ChannelState.FAULTED, d.state());
        assertEquals(EndReason.Kind.HANDLER_FAILED, ends.get(0).kind());
        assertTrue(ends.get(0).text().contains("bad frame"), ends.get(0).text());
    }

    @Test
    void completionsAwaitedAreTheIdsSentWithCompletionRequestedThatNoCompletionNamedYet() {
        ChannelDriver d = driver(8, batches::add);
        GpaRanges ranges = new GpaRanges().addPage(64, 0, 0x10);
        assertTrue(d.send(new byte[8], 77, PacketType.DATA_USING_GPA_DIRECT, 1, null, ranges).isComplete());
        assertTrue(d.send(new byte[8], 78, PacketType.DATA_INBAND, 1).isComplete());
        assertTrue(d.send(new byte[8], 79, PacketType.DATA_INBAND, 0).isComplete());
        assertEquals(2, d.outstanding().completionsAwaited());
        hostReads();
        assertEquals(SendStatus.OK, host.sendCompletion(77, new byte[0], 0, 0));
        assertEquals(SendStatus.OK, host.sendCompletion(12345, new byte[0], 0, 0));
        d.drain(64);
        assertEquals(2, batches.get(0).size(), "completions go to the device in the batch");
        assertEquals(1, d.outstanding().completionsAwaited(), "an id never sent changes nothing");
        assertNull(ends.isEmpty() ? null : ends.get(0));
    }

    @Test
    void withStrictCompletionsACompletionForAnIdNeverSentFaultsTheChannel() {
        ChannelDriver d = driver(8, batches::add).strictCompletions(true);
        assertTrue(d.send(new byte[8], 77, PacketType.DATA_INBAND, 1).isComplete());
        assertEquals(SendStatus.OK, host.sendCompletion(77, new byte[0], 0, 0));
        assertEquals(DrainResult.IDLE, d.drain(64));
        assertEquals(1, batches.size(), "a completion of ours reaches the device");
        assertEquals(SendStatus.OK, host.sendCompletion(77, new byte[0], 0, 0));
        assertEquals(DrainResult.STOPPED, d.drain(64));
        assertEquals(ChannelState.FAULTED, d.state());
        assertEquals(EndReason.Kind.BAD_PEER_PACKET, ends.get(0).kind());
        assertTrue(ends.get(0).text().contains("completed transaction id 77, which this end never sent"),
                ends.get(0).text());
        assertEquals(1, batches.size(), "the second completion never reached the device");
    }
}
