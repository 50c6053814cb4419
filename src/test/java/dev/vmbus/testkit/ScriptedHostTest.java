package dev.vmbus.testkit;

import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.spi.NoSettings;
import dev.vmbus.spi.Reply;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kit's rings: the default one carries a 4,096-byte packet each way; a packet no ring could hold fails at once. */
class ScriptedHostTest {
    static final UUID ECHO = UUID.fromString("0e0e0e0e-0000-4000-8000-00000000ec40");

    /** Answers every packet with its own payload (on a subchannel too). */
    static final class Echo implements DevicePlugin<NoSettings> {
        @Override public String name() { return "echo"; }
        @Override public List<UUID> classIds() { return List.of(ECHO); }
        @Override public NoSettings settings(DeviceContext context) { return NoSettings.of(context); }
        @Override public Device device(NoSettings settings, DeviceContext context) {
            return packet -> Future.succeededFuture(Reply.response(packet, packet.payload()));
        }
    }

    @Test
    void theDefaultRingCarriesA4096BytePacketEachWay() {
        try (TestAgent agent = TestAgent.start(new Echo())) {
            ScriptedHost.Channel echo = agent.open(9, ECHO);
            byte[] page = new byte[4096];
            for (int i = 0; i < page.length; i++) {
                page[i] = (byte) (i * 7 + 1);
            }
            Packet reply = echo.exchange(page, 77);
            assertEquals(77, reply.transactionId());
            assertArrayEquals(page, Arrays.copyOf(reply.payload(), page.length));
        }
    }

    @Test
    void aPacketNoRingCanHoldIsRefusedAtOnceWithTheSizes() {
        try (TestAgent agent = TestAgent.start(new Echo())) {
            ScriptedHost.Channel small = agent.host().offer(new Offer(10, ECHO, UUID.randomUUID(), 0, 8192)).awaitOpen();
            var e = assertThrows(IllegalArgumentException.class, () -> small.send(new byte[4096], 1));
            assertTrue(e.getMessage().startsWith("a 4096-byte payload takes 4120 ring bytes, and channel 10's ring"
                    + " holds 4096 bytes of data"), e.getMessage());
            assertEquals("hi", small.exchange("hi", 2), "the channel is still usable");
        }
    }
}
