package dev.vmbus.example;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.Packet;
import dev.vmbus.ring.PacketType;
import dev.vmbus.testkit.ScriptedHost;
import dev.vmbus.testkit.TestAgent;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.HostTransport;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The buffered example from docs/PLUGIN-SPI.md through the test kit: a GPA-direct greeting, a subchannel asked for and
 * opened, and messages in by transfer pages and out by send sections on the primary and on the subchannel.
 */
class MirrorHandlerTest {
    private static final Map<String, JsonObject> CONFIG =
            Map.of("mirror", new JsonObject().put("enabled", true).put("subchannels", 1));
    /** 16 receive slots and 16 send sections. */
    private static final HostTransport.Buffers BUFFERS = new HostTransport.Buffers(64 << 10, 64 << 10);

    @Test
    void greetsFromGuestMemoryAsksForASubchannelAndMirrorsTransferPagesThroughSendSections() {
        try (TestAgent agent = TestAgent.start(List.of(new MirrorHandler()), CONFIG)) {
            ScriptedHost.Channel primary = agent.open(41, MirrorHandler.CLASS_ID, BUFFERS);

            // GPA-direct: the host reads the greeting out of guest memory and completes the packet.
            Packet hello = primary.awaitPacket();
            assertEquals(PacketType.DATA_USING_GPA_DIRECT, hello.type());
            assertEquals(MirrorHandler.HELLO_ID, hello.transactionId());
            assertEquals(MirrorHandler.GREETING, new String(primary.gpaData(hello), StandardCharsets.UTF_8));
            primary.complete(hello);

            // Subchannels: asked for in the device's own protocol, offered by the host, told to the device.
            int[] ask = words(primary.awaitPacket());
            assertEquals(List.of(MirrorHandler.SUBCHANNELS, 1), List.of(ask[0], ask[1]));
            ScriptedHost.Channel sub = agent.host().offerSubchannel(primary, 42, 1).awaitOpen();
            agent.awaitState("mirror", s -> s.getJsonArray("subchannels").size() == 1, "the subchannel to be told");

            // Transfer pages in, send sections out, on both channels (they share the buffers).
            for (ScriptedHost.Channel channel : List.of(primary, sub)) {
                String[] texts = {"one on " + channel.relid(), "two on " + channel.relid()};
                long id = channel.sendTransferPages(List.of(bytes(texts[0]), bytes(texts[1])), new byte[0]);
                for (String text : texts) {
                    Packet mirror = channel.awaitPacket();
                    int[] w = words(mirror);
                    assertEquals(MirrorHandler.MIRROR, w[0], mirror.toString());
                    assertTrue(mirror.completionRequested());
                    assertEquals(w[1], mirror.transactionId());
                    byte[] sent = channel.buffer(ChannelBuffer.Kind.SEND).read((long) w[1] * MirrorHandler.SECTION_SIZE, w[2]);
                    assertEquals(text, new String(sent, StandardCharsets.UTF_8));
                    channel.complete(mirror);                       // the section goes back to the device
                }
                Packet done = channel.awaitPacket();                // the device completes the transfer pages
                assertEquals(PacketType.COMP, done.type());
                assertEquals(id, done.transactionId());
                assertEquals(0, channel.slotsInUse());
            }
            JsonObject state = agent.awaitState("mirror", s -> s.getInteger("sectionsInUse") == 0,
                    "every section to be given back");
            assertEquals(4, state.getLong("mirrored"));
            assertEquals(new JsonObject().put("relid", 42).put("index", 1),
                    state.getJsonArray("subchannels").getJsonObject(0));
        }
    }

    @Test
    void moreMessagesThanSectionsFaultOnlyThatChannel() {
        try (TestAgent agent = TestAgent.start(List.of(new MirrorHandler()),
                Map.of("mirror", new JsonObject().put("enabled", true)))) {
            ScriptedHost.Channel primary = agent.open(41, MirrorHandler.CLASS_ID, BUFFERS);
            primary.complete(primary.awaitPacket());                // the greeting
            ScriptedHost.Channel other = agent.open(43, MirrorHandler.CLASS_ID, BUFFERS);
            other.complete(other.awaitPacket());

            // The host leaves 16 mirrors un-completed, so the 16 send sections are all in use: the 17th message is
            // a host mistake, and faults that channel alone.
            for (int i = 0; i < 16; i++) {
                primary.sendTransferPages(List.of(bytes("m" + i)), new byte[0]);
                assertEquals(MirrorHandler.MIRROR, words(primary.awaitPacket())[0]);
                assertEquals(PacketType.COMP, primary.awaitPacket().type());
            }
            primary.sendTransferPages(List.of(bytes("one too many")), new byte[0]);
            String reason = agent.awaitEvent(ChannelState.FAULTED, 41).reason().text();
            assertTrue(reason.contains("more messages than the 16 send sections hold"), reason);

            // The other channel (its own buffers) mirrors on.
            other.sendTransferPages(List.of(bytes("still here")), new byte[0]);
            assertEquals(MirrorHandler.MIRROR, words(other.awaitPacket())[0]);
        }
    }

    @Test
    void aBadSettingIsRefusedByName() {
        var e = assertThrows(IllegalArgumentException.class, () -> TestAgent.start(List.of(new MirrorHandler()),
                Map.of("mirror", new JsonObject().put("enabled", true).put("subchannels", 65))));
        assertEquals("devices.mirror: 'subchannels' must be 0..64, got 65", e.getMessage());
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static int[] words(Packet packet) {
        ByteBuffer b = ByteBuffer.wrap(packet.payload()).order(ByteOrder.LITTLE_ENDIAN);
        int[] w = new int[packet.payload().length / 4];
        for (int i = 0; i < w.length; i++) {
            w[i] = b.getInt();
        }
        return w;
    }
}
