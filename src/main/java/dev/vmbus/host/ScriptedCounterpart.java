package dev.vmbus.host;

import dev.vmbus.channel.Packet;
import io.vertx.core.json.JsonObject;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.logging.Logger;

/**
 * The host's answer for a class no plug-in ships a counterpart for: a list of {@link Step}s played in order each
 * time the guest opens the channel. The script of {@code host.offers[]} ({@code send} and {@code echo}) sends each
 * message (UTF-8, transaction ids 1, 2, ...), the next when the guest has answered the one before (a packet with
 * its transaction id); a recorded exchange ({@code recording}, read by {@link Recording}) also checks each answer
 * byte for byte and answers the guest's own requests. A guest that answers differently than recorded stops the
 * replay ({@code diverged} in the host's view, and a warning); any packet no step waits for is sent back as it came
 * when {@code echo} is on. Counts it all for the host's view.
 *
 * <p>Runs on the host's context.
 */
final class ScriptedCounterpart implements HostCounterpart {
    private static final Logger LOG = Logger.getLogger(ScriptedCounterpart.class.getName());

    /**
     * One step of the exchange. Either the host sends {@code send} with the next transaction id (1, 2, ... counted per
     * open) and, when {@code waits}, waits for the guest's packet with that id, which must be {@code expect} (null:
     * any); or the host waits for the guest's next packet, which must be {@code receive}, and answers {@code reply}
     * with the guest's transaction id (null: no answer).
     */
    record Step(byte[] send, boolean waits, byte[] expect, byte[] receive, byte[] reply) {
        static Step send(byte[] payload, boolean waits, byte[] expect) {
            return new Step(payload, waits, expect, null, null);
        }

        static Step receive(byte[] payload, byte[] reply) {
            return new Step(null, true, null, payload, reply);
        }
    }

    private final List<Step> steps;
    private final boolean echo;
    private final String recording;
    private HostLink link;
    private int step;
    private long nextId;
    private long awaiting;
    private boolean stopped;
    private String diverged;
    private long sent;
    private long answers;
    private long matched;
    private long echoed;
    private long unexpected;
    private long replays;
    private String lastAnswer;

    /** The script: each message sent in turn, the next once the guest answered. */
    ScriptedCounterpart(List<String> send, boolean echo) {
        this(send.stream().map(s -> Step.send(s.getBytes(StandardCharsets.UTF_8), true, null)).toList(), echo, null);
    }

    /** These steps; {@code recording} names their file for the host's view (null: the script). */
    ScriptedCounterpart(List<Step> steps, boolean echo, String recording) {
        this.steps = List.copyOf(steps);
        this.echo = echo;
        this.recording = recording;
    }

    @Override
    public void opened(HostLink link) {
        this.link = link;
        step = 0;
        nextId = 0;
        awaiting = 0;
        stopped = false;
        diverged = null;
        replays++;
        play();
    }

    /** Sends what the host says next, up to a step that waits for the guest. */
    private void play() {
        while (link != null && !stopped && step < steps.size()) {
            Step s = steps.get(step);
            if (s.send() == null) {
                return; // the guest speaks first
            }
            long id = ++nextId;
            link.send(s.send(), id);
            sent++;
            if (s.waits()) {
                awaiting = id;
                return;
            }
            step++;
        }
    }

    @Override
    public void received(Packet packet) {
        Step s = !stopped && step < steps.size() ? steps.get(step) : null;
        if (s != null && s.send() != null && awaiting != 0 && packet.transactionId() == awaiting) {
            answers++;
            lastAnswer = text(packet.payload());
            awaiting = 0;
            if (s.expect() != null) {
                if (!matches(packet.payload(), s.expect())) {
                    diverge("the guest answered '" + brief(lastAnswer) + "' to transaction " + packet.transactionId()
                            + ", the recording has '" + brief(text(s.expect())) + "'");
                    return;
                }
                matched++;
            }
            step++;
            play();
        } else if (s != null && s.receive() != null) {
            if (!matches(packet.payload(), s.receive())) {
                diverge("the guest sent '" + brief(text(packet.payload())) + "', the recording has '"
                        + brief(text(s.receive())) + "'");
                return;
            }
            matched++;
            step++;
            if (s.reply() != null && link != null) {
                link.send(s.reply(), packet.transactionId());
                sent++;
            }
            play();
        } else if (echo && link != null) {
            echoed++;
            link.send(packet.payload(), packet.transactionId());
        } else {
            unexpected++;
        }
    }

    private void diverge(String what) {
        stopped = true;
        diverged = "step " + (step + 1) + ": " + what;
        LOG.warning("host: the guest left the recorded exchange " + recording + " at " + diverged);
    }

    /** The guest's payload is the recorded bytes, padded with zeros to the ring's 8-byte units. */
    static boolean matches(byte[] got, byte[] recorded) {
        if (got.length != (recorded.length + 7 & ~7)) {
            return false;
        }
        for (int i = 0; i < got.length; i++) {
            if (got[i] != (i < recorded.length ? recorded[i] : 0)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void closed(String reason) {
        link = null;
        awaiting = 0;
    }

    /** UTF-8 text without the ring's zero padding, or hex when it is not text. */
    static String text(byte[] payload) {
        int end = payload.length;
        while (end > 0 && payload[end - 1] == 0) {
            end--;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(payload, 0, end)).toString();
        } catch (CharacterCodingException e) {
            return "hex:" + HexFormat.of().formatHex(payload, 0, Math.min(end, 256));
        }
    }

    private static String brief(String text) {
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }

    @Override
    public JsonObject state() {
        JsonObject json = new JsonObject().put("counterpart", recording != null ? "recording" : "script")
                .put("echo", echo).put("sent", sent).put("answers", answers).put("echoed", echoed);
        if (recording != null) {
            json.put("recording", recording).put("steps", steps.size()).put("stepsDone", Math.min(step, steps.size()))
                    .put("done", step >= steps.size()).put("replays", replays).put("matched", matched)
                    .put("unexpected", unexpected);
            if (diverged != null) {
                json.put("diverged", diverged);
            }
        }
        if (lastAnswer != null) {
            json.put("lastAnswer", lastAnswer.length() > 256 ? lastAnswer.substring(0, 256) : lastAnswer);
        }
        return json;
    }
}
