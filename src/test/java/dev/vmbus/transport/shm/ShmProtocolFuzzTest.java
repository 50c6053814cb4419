package dev.vmbus.transport.shm;

import dev.vmbus.channel.Offer;
import dev.vmbus.transport.ChannelBuffer;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Control lines at random, as a hostile peer on the {@code shm} control socket writes them: well-formed lines of
 * every op (offers with buffers, memory, opened, closed, rescind, error, open, close) with a field given a value of
 * another type or range, a field removed, or characters changed. Read as both ends read them ({@code parse}, then by
 * op {@code parseOffer}, {@code parseMemory}, {@code relid}, {@code errorText}), each either decodes or is refused
 * with a {@link ShmProtocol.ProtocolException} naming what is wrong, which closes that connection; nothing else
 * escapes.
 */
class ShmProtocolFuzzTest {
    private static final Path DIR = Path.of("/dev/shm/vmbus-test");
    private static final int LINES = 20_000;

    @Test
    void everyLineDecodesOrIsRefusedWithAProtocolException() {
        Random r = new Random(7);
        List<JsonObject> good = wellFormed();
        int decoded = 0;
        int refused = 0;
        for (int i = 0; i < LINES; i++) {
            JsonObject m = good.get(r.nextInt(good.size())).copy();
            String text = switch (r.nextInt(3)) {
                case 0 -> retype(m, r).encode();
                case 1 -> {
                    List<String> keys = new ArrayList<>(m.fieldNames());
                    m.remove(keys.get(r.nextInt(keys.size())));
                    yield m.encode();
                }
                default -> respell(m.encode(), r);
            };
            try {
                read(Buffer.buffer(text));
                decoded++;
            } catch (ShmProtocol.ProtocolException e) {
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), text);
                refused++;
            } catch (RuntimeException e) {
                fail("line " + i + " " + text + ": " + e, e);
            }
        }
        assertEquals(LINES, decoded + refused);
        assertTrue(decoded > LINES / 20 && refused > LINES / 4, decoded + " decoded, " + refused + " refused");
    }

    /** As ShmGuest and ShmHost read a line. */
    private static void read(Buffer line) {
        JsonObject m = ShmProtocol.parse(line);
        switch (m.getString("op")) {
            case ShmProtocol.OFFER -> ShmProtocol.parseOffer(m, DIR);
            case ShmProtocol.MEMORY -> ShmProtocol.parseMemory(m, DIR);
            case ShmProtocol.OPENED, ShmProtocol.CLOSED, ShmProtocol.RESCIND, ShmProtocol.OPEN, ShmProtocol.CLOSE ->
                    ShmProtocol.relid(m);
            case ShmProtocol.ERROR -> ShmProtocol.errorText(m);
            default -> { } // unknown ops are ignored by both ends
        }
    }

    private static List<JsonObject> wellFormed() {
        Offer offer = new Offer(9, UUID.fromString("f8615163-df3e-46c5-913f-f2d2f965ed0e"),
                UUID.fromString("000d3a6e-4548-000d-3a6e-4548000d3a6e"), 0, 16384);
        List<ShmProtocol.BufferFile> files = List.of(
                new ShmProtocol.BufferFile(new ChannelBuffer.Name(ChannelBuffer.Kind.RECEIVE, 925201), DIR.resolve("9.recv"), 1 << 20),
                new ShmProtocol.BufferFile(new ChannelBuffer.Name(ChannelBuffer.Kind.SEND, 925202), DIR.resolve("9.send"), 1 << 20));
        return List.of(ShmProtocol.offer(offer), ShmProtocol.offer(offer, files), ShmProtocol.memory(1 << 20),
                ShmProtocol.op(ShmProtocol.OPENED, 9), ShmProtocol.op(ShmProtocol.CLOSED, 9),
                ShmProtocol.op(ShmProtocol.RESCIND, 9), ShmProtocol.op(ShmProtocol.OPEN, 9),
                ShmProtocol.op(ShmProtocol.CLOSE, 9), ShmProtocol.error("trouble"), ShmProtocol.allOffersDelivered());
    }

    /** One field, at any depth, given a value of a random type or range. */
    private static JsonObject retype(JsonObject m, Random r) {
        JsonObject target = m;
        if (m.getValue("buffers") instanceof JsonArray list && !list.isEmpty() && r.nextBoolean()) {
            target = list.getJsonObject(r.nextInt(list.size()));
        }
        List<String> keys = new ArrayList<>(target.fieldNames());
        String key = keys.get(r.nextInt(keys.size()));
        Object value = switch (r.nextInt(10)) {
            case 0 -> null;
            case 1 -> r.nextInt();
            case 2 -> -1;
            case 3 -> Long.MAX_VALUE;
            case 4 -> r.nextDouble() * 1e6;
            case 5 -> "x".repeat(r.nextInt(300));
            case 6 -> new JsonArray().add(1).add("a");
            case 7 -> new JsonObject().put("a", 1);
            case 8 -> r.nextBoolean();
            default -> "../" + key;
        };
        target.put(key, value);
        return m;
    }

    /** 1 to 4 characters replaced, dropped or doubled. */
    private static String respell(String text, Random r) {
        StringBuilder b = new StringBuilder(text);
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n && !b.isEmpty(); i++) {
            int at = r.nextInt(b.length());
            switch (r.nextInt(3)) {
                case 0 -> b.setCharAt(at, (char) (32 + r.nextInt(95)));
                case 1 -> b.deleteCharAt(at);
                default -> b.insert(at, b.charAt(at));
            }
        }
        return new String(b.toString().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }

    /** An {@code error} line's message goes to a log: any value, a long one shortened. */
    @Test
    void anErrorLineSaysWhateverItsMessageIs() {
        assertEquals("trouble", ShmProtocol.errorText(ShmProtocol.error("trouble")));
        assertEquals("42", ShmProtocol.errorText(new JsonObject(Map.of("op", "error", "message", 42))));
        assertEquals("null", ShmProtocol.errorText(new JsonObject(Map.of("op", "error"))));
        assertEquals(123, ShmProtocol.errorText(ShmProtocol.error("y".repeat(500))).length(), "shortened for a log");
    }
}
