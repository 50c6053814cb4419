package dev.vmbus.transport;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChannelBufferTest {

    @Test
    void namesParseAsUioPrintsThem() {
        assertEquals(new ChannelBuffer.Name(ChannelBuffer.Kind.RECEIVE, 925201),
                ChannelBuffer.parseName("recv:925201\n", ChannelBuffer.Kind.RECEIVE));
        assertEquals(new ChannelBuffer.Name(ChannelBuffer.Kind.SEND, 0xE1E11), ChannelBuffer.parseName("send:925201"
                .replace("925201", Integer.toString(0xE1E11)), null));
        ChannelBuffer.Name top = ChannelBuffer.parseName("send:4294967295", ChannelBuffer.Kind.SEND);
        assertEquals(-1, top.gpadl());
        assertEquals("send:4294967295", top.toString());
        assertEquals(3, ChannelBuffer.Kind.ofMap(3).map());
    }

    @Test
    void badNamesAreRefusedWithTheReason() {
        assertRefused("txrx_rings", "is not recv:N or send:N", null);
        assertRefused("rx:12", "starts with 'rx', not recv or send", null);
        assertRefused("send:12", "names a send buffer where map 3 holds the recv buffer", ChannelBuffer.Kind.RECEIVE);
        assertRefused("recv:", "must be 1 to 10 decimal digits", null);
        assertRefused("recv:0x1f", "must be 1 to 10 decimal digits", null);
        assertRefused("recv:-1", "must be 1 to 10 decimal digits", null);
        assertRefused("recv:12345678901", "must be 1 to 10 decimal digits", null);
        assertRefused("recv:4294967296", "does not fit in 32 bits", null);
        assertRefused("recv_4294967295", "is not recv:N or send:N", null); // the stale struct comment's form
        assertThrows(IllegalArgumentException.class, () -> ChannelBuffer.Kind.ofMap(0));
    }

    private static void assertRefused(String text, String why, ChannelBuffer.Kind expected) {
        var e = assertThrows(IllegalArgumentException.class, () -> ChannelBuffer.parseName(text, expected));
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }

    @Test
    void noOffsetAndLengthAHostCanNameReachesOutsideTheBuffer() {
        long size = 3 * 4096 + 8;
        ChannelBuffer b = new ChannelBuffer(new ChannelBuffer.Name(ChannelBuffer.Kind.RECEIVE, 1),
                Arena.ofAuto().allocate(size));
        assertTrue(b.contains(0, size));
        assertTrue(b.contains(size, 0));
        assertFalse(b.contains(size, 1));
        assertFalse(b.contains(1, size));
        Random random = new Random(20);
        long[] edges = {0, 1, size - 1, size, size + 1, 0x7FFF_FFFFL, 0xFFFF_FFFFL, Long.MAX_VALUE, Long.MIN_VALUE, -1};
        for (int i = 0; i < 20_000; i++) {
            long offset = i < 100 ? edges[i % edges.length] : random.nextBoolean()
                    ? Integer.toUnsignedLong(random.nextInt()) : random.nextLong(size + 2);
            long length = i < 100 ? edges[(i / edges.length) % edges.length] : random.nextBoolean()
                    ? Integer.toUnsignedLong(random.nextInt()) : random.nextLong(size + 2);
            boolean inside = offset >= 0 && length >= 0 && offset + length <= size && offset + length >= offset;
            assertEquals(inside, b.contains(offset, length), offset + "+" + length);
            if (inside) {
                assertEquals(length, b.slice(offset, length).byteSize());
            } else {
                long o = offset;
                long l = length;
                assertThrows(ChannelBuffer.OutOfBufferException.class, () -> b.slice(o, l));
            }
        }
    }
}
