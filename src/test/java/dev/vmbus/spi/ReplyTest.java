package dev.vmbus.spi;

import dev.vmbus.channel.Packet;
import dev.vmbus.ring.PacketType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The one reply vocabulary: an echo is the request's own buffer as a response, and an action follows only a send. */
class ReplyTest {
    private static final Packet REQUEST = new Packet(3, PacketType.DATA_INBAND, 1, 77, new byte[] {1, 2, 3});

    @Test
    void anEchoIsTheRequestsOwnBufferAnsweredWithItsTransactionIdAndFlagsZero() {
        Runnable action = () -> { };
        Reply.Send send = Reply.echo().then(action).to(REQUEST);
        assertSame(REQUEST.payload(), send.packet().payload(), "the buffer the device modified in place goes back");
        assertEquals(77, send.packet().transactionId());
        assertEquals(PacketType.DATA_INBAND, send.packet().type());
        assertEquals(0, send.packet().flags());
        assertSame(action, send.afterWrite());
        assertNull(Reply.echo().to(REQUEST).afterWrite());
        assertArrayEquals(new byte[] {1, 2, 3}, send.packet().payload());
    }

    @Test
    void nothingFollowsNoReplyAndAReplyTakesOneActionOnly() {
        assertEquals("Reply.none() sends nothing, so no action can follow it",
                assertThrows(IllegalStateException.class, () -> Reply.none().then(() -> { })).getMessage());
        assertThrows(IllegalStateException.class, () -> Reply.echo().then(() -> { }).then(() -> { }));
        assertThrows(IllegalStateException.class,
                () -> Reply.response(REQUEST, new byte[0]).then(() -> { }).then(() -> { }));
        assertThrows(NullPointerException.class, () -> Reply.echo().then(null));
    }
}
