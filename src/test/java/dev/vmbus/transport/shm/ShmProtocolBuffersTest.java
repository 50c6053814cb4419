package dev.vmbus.transport.shm;

import dev.vmbus.channel.Offer;
import dev.vmbus.transport.ChannelBuffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The offer's {@code buffers} and the {@code memory} line, as DESIGN.md writes them. */
class ShmProtocolBuffersTest {
    private static final Path DIR = Path.of("/dev/shm/vmbus-test");
    private static final Offer OFFER = new Offer(9, UUID.fromString("f8615163-df3e-46c5-913f-f2d2f965ed0e"),
            UUID.fromString("000d3a6e-4548-000d-3a6e-4548000d3a6e"), 0, 16384);

    @Test
    void anOfferCarriesItsBuffersAsDesignSays() {
        List<ShmProtocol.BufferFile> files = List.of(
                new ShmProtocol.BufferFile(new ChannelBuffer.Name(ChannelBuffer.Kind.RECEIVE, 925201), DIR.resolve("9.recv"), 32505856),
                new ShmProtocol.BufferFile(new ChannelBuffer.Name(ChannelBuffer.Kind.SEND, 925202), DIR.resolve("9.send"), 16777216));
        JsonObject line = ShmProtocol.offer(OFFER, files);
        assertEquals(new JsonArray().add(new JsonObject().put("map", 3).put("name", "recv:925201").put("file", "9.recv")
                        .put("size", 32505856L)).add(new JsonObject().put("map", 4).put("name", "send:925202")
                        .put("file", "9.send").put("size", 16777216L)), line.getJsonArray("buffers"));
        ShmProtocol.ParsedOffer parsed = ShmProtocol.parseOffer(new JsonObject(line.encode()), DIR);
        assertEquals(files, parsed.buffers());
        assertEquals(OFFER, parsed.offer());
        assertEquals(List.of(), ShmProtocol.parseOffer(ShmProtocol.offer(OFFER), DIR).buffers());
    }

    @Test
    void badBuffersMakeTheOfferMalformed() {
        assertBad(new JsonObject().put("map", 5).put("name", "recv:1").put("file", "9.recv").put("size", 4096),
                "uio map 5 is not a channel buffer");
        assertBad(new JsonObject().put("map", 3).put("name", "send:1").put("file", "9.recv").put("size", 4096),
                "names a send buffer where map 3 holds the recv buffer");
        assertBad(new JsonObject().put("map", 3).put("name", "recv:1").put("file", "../etc/passwd").put("size", 4096),
                "must be a plain name inside the shm directory");
        assertBad(new JsonObject().put("map", 3).put("name", "recv:1").put("file", "9.recv").put("size", 4095),
                "must be a positive whole number of 4096-byte pages");
        assertBad(new JsonObject().put("map", 3).put("name", "recv:1").put("file", "9.recv").put("size", -4096),
                "\"size\" must be a non-negative integer");
        JsonObject twice = ShmProtocol.offer(OFFER);
        JsonObject b = new JsonObject().put("map", 3).put("name", "recv:1").put("file", "9.recv").put("size", 4096);
        twice.put("buffers", new JsonArray().add(b).add(b.copy().put("name", "recv:2")));
        var e = assertThrows(ShmProtocol.ProtocolException.class, () -> ShmProtocol.parseOffer(twice, DIR));
        assertTrue(e.getMessage().contains("two buffers for map 3"), e.getMessage());
        JsonObject notArray = ShmProtocol.offer(OFFER).put("buffers", "recv:1");
        assertThrows(ShmProtocol.ProtocolException.class, () -> ShmProtocol.parseOffer(notArray, DIR));
    }

    private static void assertBad(JsonObject buffer, String why) {
        JsonObject line = ShmProtocol.offer(OFFER).put("buffers", new JsonArray().add(buffer));
        var e = assertThrows(ShmProtocol.ProtocolException.class, () -> ShmProtocol.parseOffer(line, DIR));
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }

    @Test
    void theMemoryLineNamesGuestMemInWholePages() {
        JsonObject line = ShmProtocol.memory(1 << 20);
        assertEquals("{\"op\":\"memory\",\"file\":\"guest.mem\",\"size\":1048576}", line.encode());
        assertEquals(new ShmProtocol.MemoryFile(DIR.resolve("guest.mem"), 1 << 20), ShmProtocol.parseMemory(line, DIR));
        var e = assertThrows(ShmProtocol.ProtocolException.class,
                () -> ShmProtocol.parseMemory(ShmProtocol.memory(4097), DIR));
        assertTrue(e.getMessage().contains("whole number of 4096-byte pages"), e.getMessage());
        assertThrows(ShmProtocol.ProtocolException.class,
                () -> ShmProtocol.parseMemory(ShmProtocol.memory(0), DIR));
    }
}
