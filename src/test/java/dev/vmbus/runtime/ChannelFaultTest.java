package dev.vmbus.runtime;

import dev.vmbus.channel.ChannelFixture;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.Packet;
import dev.vmbus.channel.RecvResult;
import dev.vmbus.channel.RecvStatus;
import dev.vmbus.channel.SendStatus;
import dev.vmbus.channel.VmbusChannel;

import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.Ring;
import dev.vmbus.ring.RingFault;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

import static dev.vmbus.ring.TestRings.*;
import static dev.vmbus.ring.RingFault.Kind.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A host that publishes malformed packets or indices (spec section 4): the guest channel reports FAULTED, stops
 * using the rings, and never touches memory outside them (the channel memory is a slice between sentinels).
 */
public class ChannelFaultTest {
    static final int DSIZE = 4096;
    static final byte SENTINEL = (byte) 0x3C;

    private final Arena arena = Arena.ofConfined();
    private MemorySegment outer;
    private ChannelFixture f;

    @BeforeEach
    void setUp() {
        outer = arena.allocate(4096 + 2 * (4096 + DSIZE) + 4096, 4096);
        outer.fill(SENTINEL);
        MemorySegment inner = outer.asSlice(4096, 2 * (4096 + DSIZE));
        inner.fill((byte) 0);
        f = new ChannelFixture(inner);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    private void assertSentinelsIntact() {
        for (long i = 0; i < 4096; i++) {
            assertEquals(SENTINEL, outer.get(ValueLayout.JAVA_BYTE, i));
            assertEquals(SENTINEL, outer.get(ValueLayout.JAVA_BYTE, outer.byteSize() - 1 - i));
        }
    }

    static void inject(VmbusChannel host, int offset8, int len8, int bytes) {
        MemorySegment p = MemorySegment.ofArray(new byte[bytes]);
        p.set(U64, 0, PacketLayout.word0(6, offset8, len8, 0));
        p.set(U64, 8, 1234L);
        assertEquals(SendStatus.OK, host.sendRaw(p, 0, bytes));
    }

    static Arguments c(String name, RingFault.Kind kind, BiConsumer<ChannelFixture, VmbusChannel> hostDoes) {
        return Arguments.of(name, kind, hostDoes);
    }

    static Stream<Arguments> malformations() {
        return Stream.of(
            c("write_index >= dsize", WRITE_INDEX_INVALID,
                (fx, h) -> setWriteIndex(fx.rings.rx(), DSIZE)),
            c("write_index not 8-aligned", WRITE_INDEX_INVALID,
                (fx, h) -> setWriteIndex(fx.rings.rx(), 20)),
            c("offset8*8 < 16", DATA_OFFSET_TOO_SMALL, (fx, h) -> inject(h, 1, 3, 24)),
            c("offset8 > len8", DATA_OFFSET_BEYOND_LENGTH, (fx, h) -> inject(h, 5, 4, 32)),
            c("len8*8 + 8 > available", LENGTH_BEYOND_AVAILABLE, (fx, h) -> inject(h, 2, 5, 32)),
            c("fewer than 24 bytes published", TRUNCATED_PACKET,
                (fx, h) -> setWriteIndex(fx.rings.rx(), 16)),
            c("len8 = 0xFFFF", LENGTH_BEYOND_AVAILABLE, (fx, h) -> inject(h, 2, 0xFFFF, 24)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformations")
    void recvReportsFaultedAndTheChannelStaysDead(String name, RingFault.Kind kind, BiConsumer<ChannelFixture, VmbusChannel> hostDoes) {
        VmbusChannel guest = f.guest(4);
        VmbusChannel host = f.host(0);
        hostDoes.accept(f, host);
        byte[] buffer = new byte[0x10000 * 8];
        RecvResult result = new RecvResult();
        result.set(9, 9, 9, 9);
        int readIndex = readIndex(f.rings.rx());

        assertDoesNotThrow(() -> {
            assertEquals(RecvStatus.FAULTED, guest.recvPacket(buffer, result));
            assertEquals(0, result.length());
            assertEquals(0, result.requestId());
            assertEquals(ChannelState.FAULTED, guest.state());
            assertTrue(guest.endReason().text().startsWith(kind.name()), guest.endReason().text());
            assertEquals(kind, guest.endReason().ringFault().kind());
            assertEquals(ChannelState.FAULTED, guest.endReason().state());
            assertEquals(RecvStatus.FAULTED, guest.recvPacketRaw(buffer, result));
            assertEquals(RecvStatus.FAULTED, guest.recvPacket(buffer, result));
            assertNull(guest.nextPacket());
            assertEquals(SendStatus.FAULTED, guest.sendPacket(new byte[1], 0, 1, 5, 6, 1));
            assertEquals(0, guest.requestor().inUse(), "a refused send keeps no request id");
        });
        assertEquals(-5, RecvStatus.FAULTED.errno());
        assertEquals(readIndex, readIndex(f.rings.rx()), "nothing consumed");
        assertEquals(0, writeIndex(f.rings.tx()), "nothing sent after the fault");
        assertEquals(1, guest.stats().malformed());
        assertSentinelsIntact();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformations")
    void nextPacketFaultsTheChannelToo(String name, RingFault.Kind kind, BiConsumer<ChannelFixture, VmbusChannel> hostDoes) {
        VmbusChannel guest = f.guest(0);
        hostDoes.accept(f, f.host(0));
        assertDoesNotThrow(() -> assertNull(guest.nextPacket()));
        assertEquals(ChannelState.FAULTED, guest.state());
        assertEquals(kind, guest.endReason().ringFault().kind());
        assertSentinelsIntact();
    }

    @Test
    void hostReadIndexOutOfRangeFaultsTheSend() {
        VmbusChannel guest = f.guest(4);
        Ring tx = f.rings.tx();
        assertEquals(SendStatus.OK, guest.sendPacket(new byte[8], 0, 8, 1, 6, 0));
        setReadIndex(tx, DSIZE + 64);

        SendStatus st = assertDoesNotThrow(() -> guest.sendPacket(new byte[8], 0, 8, 77, 6, 1));

        assertEquals(SendStatus.FAULTED, st);
        assertEquals(-5, st.errno());
        assertEquals(ChannelState.FAULTED, guest.state());
        assertTrue(guest.endReason().text().startsWith("READ_INDEX_INVALID"), guest.endReason().text());
        assertEquals(0, guest.requestor().inUse(), "the id allocated for the failed send was given back");
        assertEquals(32, writeIndex(tx));
        setReadIndex(tx, 0);
        assertEquals(SendStatus.FAULTED, guest.sendPacket(new byte[8], 0, 8, 1, 6, 0), "stays faulted");
        assertEquals(RecvStatus.FAULTED, guest.recvPacket(new byte[64], new RecvResult()));
        assertSentinelsIntact();
    }

    @Test
    void drainStopsOnAMalformedPacket() {
        VmbusChannel guest = f.guest(0);
        VmbusChannel host = f.host(0);
        assertEquals(SendStatus.OK, host.sendPacket(new byte[4], 0, 4, 1, 6, 0));
        inject(host, 0, 3, 24);
        java.util.List<Packet> got = new java.util.ArrayList<>();
        ChannelDriver async = ChannelDriver.manual(guest, (d, t) -> () -> { }, got::add);

        assertEquals(ChannelDriver.DrainResult.STOPPED, async.drain(16));
        assertEquals(1, got.size(), "the good packet before the bad one is delivered");
        assertEquals(ChannelState.FAULTED, guest.state());
        assertEquals(ChannelDriver.DrainResult.STOPPED, async.drain(16));
    }

    @Test
    void aSinkThatThrowsEndsTheChannelWithTheReasonInsteadOfStallingIt() {
        VmbusChannel guest = f.guest(0);
        VmbusChannel host = f.host(0);
        for (int i = 0; i < 3; i++) {
            assertEquals(SendStatus.OK, host.sendPacket(new byte[8], 0, 8, i, 6, 0));
        }
        java.util.List<Long> got = new java.util.ArrayList<>();
        ChannelDriver async = ChannelDriver.manual(guest, (d, t) -> () -> { }, p -> {
            if (p.transactionId() == 1) {
                throw new IllegalStateException("boom");
            }
            got.add(p.transactionId());
        });

        // before, the exception left drain() with the pass uncommitted and the interrupts masked
        assertEquals(ChannelDriver.DrainResult.STOPPED, async.drain(16));
        assertEquals(java.util.List.of(0L), got, "nothing after the packet that failed is delivered");
        assertEquals(dev.vmbus.channel.EndReason.Kind.HANDLER_FAILED, async.reason().kind());
        assertEquals("packet sink failed: java.lang.IllegalStateException: boom", async.reason().text());
        assertFalse(async.open());
        assertEquals(ChannelDriver.DrainResult.STOPPED, async.drain(16));
        assertEquals(java.util.List.of(0L), got, "and no later drain reads the same packets again");
    }
}
