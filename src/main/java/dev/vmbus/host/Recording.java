package dev.vmbus.host;

import dev.vmbus.ring.PacketLayout;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * A recorded exchange for {@code host.offers[].recording}: a JSON array of steps the simulated host replays, in
 * order, each time the guest opens the channel.
 *
 * <pre>
 * [ { "send": "hello", "expect": "PONG hello" },        the host sends; the guest must answer exactly this
 *   { "receive": "status?", "reply": "ok" },           the guest must send this; the host answers it
 *   { "send": { "hex": "0a0b0c" } } ]                   the host sends, and goes on without waiting
 * </pre>
 *
 * A payload is a string (its UTF-8 bytes) or {@code {"hex": "..."}}; {@code expect} and {@code reply} may be left
 * out. Every payload must fit the offer's ring. Read once, when the host is made; a bad file stops it with a message
 * naming the file and the step.
 */
final class Recording {
    /** The most a recording file may hold. */
    static final long MAX_BYTES = 16 << 20;
    private static final int HEADER_PAGE = dev.vmbus.ring.RingLayout.HV_HYP_PAGE_SIZE;
    private static final Set<String> SEND_KEYS = Set.of("send", "expect");
    private static final Set<String> RECEIVE_KEYS = Set.of("receive", "reply");

    private Recording() {
    }

    /**
     * The steps of {@code file}, checked against a ring of {@code ringSize} bytes per direction (header page included).
     *
     * @throws IllegalArgumentException naming the file (and the step) when it cannot be read or is not a recording
     */
    static List<ScriptedCounterpart.Step> load(Path file, int ringSize) {
        String text;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new IllegalArgumentException("recording " + file + " is larger than " + MAX_BYTES + " bytes");
            }
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("recording " + file + " cannot be read: " + e, e);
        }
        JsonArray array;
        try {
            array = new JsonArray(text);
        } catch (DecodeException | ClassCastException e) {
            throw new IllegalArgumentException("recording " + file + " is not a JSON array of steps: " + e.getMessage(), e);
        }
        if (array.isEmpty()) {
            throw new IllegalArgumentException("recording " + file + " has no steps");
        }
        List<ScriptedCounterpart.Step> steps = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            String where = "recording " + file + " step " + (i + 1);
            if (!(array.getValue(i) instanceof JsonObject step)) {
                throw new IllegalArgumentException(where + " must be an object with send (and expect) or receive"
                        + " (and reply)");
            }
            boolean fromHost = step.containsKey("send");
            if (fromHost == step.containsKey("receive")) {
                throw new IllegalArgumentException(where + " must have either send (the host's packet) or receive"
                        + " (the guest's), not " + (fromHost ? "both" : "neither"));
            }
            Set<String> known = fromHost ? SEND_KEYS : RECEIVE_KEYS;
            for (String key : step.fieldNames()) {
                if (!known.contains(key)) {
                    throw new IllegalArgumentException(where + ": unknown key '" + key + "' (a "
                            + (fromHost ? "send" : "receive") + " step knows " + known.stream().sorted().toList() + ")");
                }
            }
            if (fromHost) {
                byte[] expect = payload(step, "expect", where, ringSize);
                steps.add(ScriptedCounterpart.Step.send(payload(step, "send", where, ringSize), expect != null, expect));
            } else {
                steps.add(ScriptedCounterpart.Step.receive(payload(step, "receive", where, ringSize),
                        payload(step, "reply", where, ringSize)));
            }
        }
        return List.copyOf(steps);
    }

    /** The bytes of {@code key} (null when absent), refused when they are no payload or cannot fit the ring. */
    private static byte[] payload(JsonObject step, String key, String where, int ringSize) {
        if (!step.containsKey(key)) {
            return null;
        }
        Object value = step.getValue(key);
        byte[] bytes;
        if (value instanceof String s) {
            bytes = s.getBytes(StandardCharsets.UTF_8);
        } else if (value instanceof JsonObject o && o.size() == 1 && o.getValue("hex") instanceof String hex) {
            try {
                bytes = HexFormat.of().parseHex(hex);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + key + ".hex is not hex digits in pairs: " + e.getMessage());
            }
        } else {
            throw new IllegalArgumentException(where + ": " + key + " must be a string (UTF-8) or {\"hex\": \"...\"}");
        }
        if (bytes.length == 0) {
            throw new IllegalArgumentException(where + ": " + key + " is empty (a packet carries at least one byte)");
        }
        int data = ringSize - HEADER_PAGE;
        int needed = PacketLayout.ringBytes(bytes.length);
        if (needed >= data) {
            throw new IllegalArgumentException(where + ": " + key + " is " + bytes.length + " bytes, which take "
                    + needed + " ring bytes, and a ring of " + ringSize + " bytes holds " + data + " bytes of data"
                    + " (offer the class with a larger ringSize)");
        }
        return bytes;
    }
}
