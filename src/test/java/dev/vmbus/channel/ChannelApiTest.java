package dev.vmbus.channel;

import dev.vmbus.ring.PacketType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.Arrays;

import static dev.vmbus.ring.TestRings.*;
import static org.junit.jupiter.api.Assertions.*;

/** The result tables of vmbus_sendpacket and vmbus_recvpacket(_raw) (spec 3.1, 3.2). */
class ChannelApiTest {
    private final Arena arena = Arena.ofConfined();
    private final ChannelFixture f = ChannelFixture.allocate(arena, 4096);
    private final VmbusChannel guest = f.guest(0);
    private final VmbusChannel host = f.host(0);
    private final RecvResult result = new RecvResult();

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void emptyRingIsOkWithLengthZeroAndRequestIdZero() {
        result.set(55, 66, 7, 1);
        assertEquals(RecvStatus.OK, guest.recvPacket(new byte[64], result));
        assertEquals(0, result.length());
        assertEquals(0, result.requestId());
        result.set(55, 66, 7, 1);
        assertEquals(RecvStatus.OK, guest.recvPacketRaw(new byte[64], result));
        assertEquals(0, result.length());
        assertEquals(0, result.requestId());
        assertEquals(0, readIndex(f.rings.rx()));
    }

    @Test
    void tooSmallBufferReportsTheRequiredLengthAndLeavesThePacket() {
        byte[] p = payload(37, 1);
        assertEquals(SendStatus.OK, host.sendPacket(p, 0, p.length, 0x77, PacketType.DATA_INBAND, 0));
        int len8x8 = 56; // 16 + 37 = 53 -> 56

        assertEquals(RecvStatus.NO_BUFFER_SPACE, guest.recvPacket(new byte[39], result));
        assertEquals(len8x8 - 16, result.length(), "non-raw needs len8*8 - offset8*8");
        assertEquals(0x77, result.requestId());
        assertEquals(RecvStatus.NO_BUFFER_SPACE, guest.recvPacketRaw(new byte[len8x8 - 1], result));
        assertEquals(len8x8, result.length(), "raw needs len8*8");
        assertEquals(0, readIndex(f.rings.rx()), "not consumed");
        assertEquals(0, f.toHost.get(), "no signal");

        byte[] big = new byte[len8x8 - 16];
        assertEquals(RecvStatus.OK, guest.recvPacket(big, result), "exactly big enough");
        assertEquals(40, result.length());
        assertEquals(0x77, result.requestId());
        assertArrayEquals(p, Arrays.copyOf(big, 37));
        assertEquals(writeIndex(f.rings.rx()), readIndex(f.rings.rx()));
    }

    @Test
    void zeroLengthBufferIsInvalidAndTouchesNothing() {
        host.sendPacket(new byte[3], 0, 3, 5, PacketType.DATA_INBAND, 0);
        result.set(11, 22, 3, 1);

        assertEquals(RecvStatus.INVALID_ARGUMENT, guest.recvPacket(new byte[0], result));
        assertEquals(RecvStatus.INVALID_ARGUMENT, guest.recvPacketRaw(new byte[0], result));

        assertEquals(11, result.length());
        assertEquals(22, result.requestId());
        assertEquals(3, result.type());
        assertEquals(1, result.flags());
        assertEquals(0, readIndex(f.rings.rx()));
        assertEquals(RecvStatus.OK, guest.recvPacket(new byte[8], result));
        assertEquals(5, result.requestId());
    }

    @Test
    void fullRingIsTryAgainWithNothingPublished() {
        byte[] p = new byte[1000]; // 1024 ring bytes
        for (int i = 0; i < 3; i++) {
            assertEquals(SendStatus.OK, guest.sendPacket(p, 0, p.length, i, PacketType.DATA_INBAND, 0));
        }
        assertEquals(3072, writeIndex(f.rings.tx()));

        SendStatus st = guest.sendPacket(p, 0, p.length, 9, PacketType.DATA_INBAND, 0);

        assertEquals(SendStatus.TRY_AGAIN, st, "free 1024 == total 1024 is full");
        assertEquals(3072, writeIndex(f.rings.tx()));
        assertEquals(1, guest.stats().outFullTotal());
        assertEquals(SendStatus.OK, guest.sendPacket(p, 0, 992, 9, PacketType.DATA_INBAND, 0), "1016 < 1024 fits");
        assertEquals(9, guest.lastTransactionId());
    }

    @Test
    void rescindedChannelIsNoDeviceForSendAndRecv() {
        host.sendPacket(new byte[3], 0, 3, 5, PacketType.DATA_INBAND, 0);
        assertTrue(guest.end(EndReason.of(EndReason.Kind.HOST_RESCINDED, "rescinded by the host")));

        assertEquals(ChannelState.RESCINDED, guest.state());
        assertEquals(SendStatus.NO_DEVICE, guest.sendPacket(new byte[3], 0, 3, 1, PacketType.DATA_INBAND, 0));
        result.set(1, 2, 3, 0);
        assertEquals(RecvStatus.NO_DEVICE, guest.recvPacket(new byte[64], result));
        assertEquals(0, result.length());
        assertEquals(RecvStatus.NO_DEVICE, guest.recvPacketRaw(new byte[64], result));
        assertNull(guest.nextPacket());
        assertEquals(0, writeIndex(f.rings.tx()));
        assertEquals(0, readIndex(f.rings.rx()));
    }

    @Test
    void closedChannelIsNoDeviceToo() {
        assertTrue(guest.end(EndReason.of(EndReason.Kind.CLOSED, "closed")));
        assertEquals(ChannelState.CLOSED, guest.state());
        assertEquals(SendStatus.NO_DEVICE, guest.sendPacket(new byte[3], 0, 3, 1, PacketType.DATA_INBAND, 0));
        assertEquals(RecvStatus.NO_DEVICE, guest.recvPacket(new byte[64], result));
    }

    @Test
    void rawCopiesTheDescriptorAndNonRawOnlyThePayloadWithPadding() {
        byte[] p = payload(13, 4);
        host.sendPacket(p, 0, 13, 0x1122, PacketType.COMP, 1);
        host.sendPacket(p, 0, 13, 0x1122, PacketType.COMP, 1);
        byte[] a = new byte[100];
        byte[] b = new byte[100];
        Arrays.fill(a, (byte) 0x7E);

        assertEquals(RecvStatus.OK, guest.recvPacket(a, result));
        assertEquals(16, result.length(), "len8*8 - offset8*8 = 32 - 16, padding included");
        assertEquals(PacketType.COMP, result.type());
        assertEquals(1, result.flags());
        assertEquals(RecvStatus.OK, guest.recvPacketRaw(b, result));
        assertEquals(32, result.length(), "len8*8");
        assertArrayEquals(Arrays.copyOf(a, 16), Arrays.copyOfRange(b, 16, 32));
        assertArrayEquals(new byte[] {0x0B, 0, 2, 0, 4, 0, 1, 0, 0x22, 0x11, 0, 0, 0, 0, 0, 0}, Arrays.copyOf(b, 16));
        assertEquals(0x7E, a[16], "nothing copied past the reported length");
        assertEquals(0, b[36], "trailer (40 << 32 for this packet) not copied");
    }

    @Test
    void successfulRecvSignalsABlockedHostThroughPeerSignal() {
        byte[] p = new byte[1000];
        for (int i = 0; i < 3; i++) {
            host.sendPacket(p, 0, p.length, i, PacketType.DATA_INBAND, 0);
        }
        assertEquals(SendStatus.TRY_AGAIN, host.sendPacket(p, 0, p.length, 3, PacketType.DATA_INBAND, 0));
        assertFalse(host.armPendingSend(1024));

        assertEquals(RecvStatus.OK, guest.recvPacket(new byte[1000], result));

        assertEquals(1, f.toHost.get());
        assertEquals(1, guest.events());
        assertEquals(1, guest.stats().intrInFull());
        assertEquals(RecvStatus.OK, guest.recvPacket(new byte[1000], result));
        assertEquals(1, f.toHost.get(), "only the crossing signals");
    }

    @Test
    void errnoValuesMatchLinux() {
        assertEquals(0, SendStatus.OK.errno());
        assertEquals(-11, SendStatus.TRY_AGAIN.errno());
        assertEquals(-11, SendStatus.REQUESTOR_FULL.errno());
        assertEquals(-19, SendStatus.NO_DEVICE.errno());
        assertEquals(-5, SendStatus.FAULTED.errno());
        assertEquals(0, RecvStatus.OK.errno());
        assertEquals(-105, RecvStatus.NO_BUFFER_SPACE.errno());
        assertEquals(-22, RecvStatus.INVALID_ARGUMENT.errno());
        assertEquals(-19, RecvStatus.NO_DEVICE.errno());
        assertEquals(-5, RecvStatus.FAULTED.errno());
    }
}
