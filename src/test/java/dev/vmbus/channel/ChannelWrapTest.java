package dev.vmbus.channel;

import dev.vmbus.ring.Ring;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.util.Arrays;

import static dev.vmbus.ring.TestRings.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * vmbus_sendpacket / vmbus_recvpacket(_raw) across the wrap point (spec 1.3, 3.2), in both directions, for
 * every 8-byte start offset of a 4096-byte data area and payloads of 0, 1, 7, 8, 13, 100 and 500 bytes.
 */
class ChannelWrapTest {
    static final int DSIZE = 4096;
    static final int[] SIZES = {0, 1, 7, 8, 13, 100, 500};

    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        arena.close();
    }

    @ParameterizedTest(name = "{0}, raw={1}")
    @CsvSource({"hostToGuest,false", "hostToGuest,true", "guestToHost,false", "guestToHost,true"})
    void everyOffsetAndSizeRoundTripsThroughSendAndRecv(String direction, boolean raw) {
        ChannelFixture f = ChannelFixture.allocate(arena, DSIZE);
        boolean down = direction.equals("hostToGuest");
        Ring ring = down ? f.rings.rx() : f.rings.tx();
        byte[] buffer = new byte[1024];
        RecvResult result = new RecvResult();
        for (int start = 0; start < DSIZE; start += 8) {
            ring.header().asSlice(0, 16).fill((byte) 0);
            position(ring, start);
            VmbusChannel sender = down ? f.host(0) : f.guest(0);
            VmbusChannel receiver = down ? f.guest(0) : f.host(0);
            for (int size : SIZES) {
                String where = "start " + start + " size " + size;
                byte[] p = payload(size, start * 7L + size);
                long transId = 0x8000_0000_0000_0000L | (long) start << 20 | size;
                int type = 1 + size % 13;
                int flags = size & 1;
                Arrays.fill(buffer, (byte) 0x5A);

                assertEquals(SendStatus.OK, sender.sendPacket(p, 0, size, transId, type, flags), where);
                RecvStatus st = raw ? receiver.recvPacketRaw(buffer, result) : receiver.recvPacket(buffer, result);

                assertEquals(RecvStatus.OK, st, where);
                int len = (16 + size + 7) & ~7;
                assertEquals(raw ? len : len - 16, result.length(), where + ": length");
                assertEquals(transId, result.requestId(), where);
                assertEquals(type, result.type(), where);
                assertEquals(flags, result.flags(), where);
                int at = raw ? 16 : 0;
                assertArrayEquals(p, Arrays.copyOfRange(buffer, at, at + size), where + ": payload");
                for (int i = at + size; i < at + len - 16; i++) {
                    assertEquals(0, buffer[i], where + ": padding byte " + i);
                }
                if (raw) {
                    assertEquals(type | 2 << 16 | (long) (len / 8) << 32 | (long) flags << 48,
                            java.lang.foreign.MemorySegment.ofArray(buffer).get(U64, 0), where + ": descriptor");
                    assertEquals(transId, java.lang.foreign.MemorySegment.ofArray(buffer).get(U64, 8));
                }
                assertEquals(writeIndex(ring), readIndex(ring), where + ": consumed and published");
            }
            assertEquals(RecvStatus.OK, receiver.recvPacket(buffer, result));
            assertEquals(0, result.length(), "empty afterwards");
        }
    }
}
