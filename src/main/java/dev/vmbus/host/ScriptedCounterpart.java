package dev.vmbus.host;

import dev.vmbus.channel.Packet;
import io.vertx.core.json.JsonObject;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

/**
 * The host's answer for a class no plug-in ships a counterpart for ({@code host.offers[]} with {@code send} and
 * {@code echo}): once the guest opens the channel it sends each {@code send} message in turn (UTF-8, transaction ids
 * 1, 2, ...), the next when the guest has answered the one before (a packet with its transaction id); any other
 * packet from the guest is sent back as it came when {@code echo} is on. Counts it all for the host's view.
 *
 * <p>Runs on the host's context.
 */
final class ScriptedCounterpart implements HostCounterpart {
    private final List<byte[]> script;
    private final boolean echo;
    private HostLink link;
    private int next;
    private long awaiting;
    private long sent;
    private long answers;
    private long echoed;
    private String lastAnswer;

    ScriptedCounterpart(List<String> send, boolean echo) {
        this.script = send.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
        this.echo = echo;
    }

    @Override
    public void opened(HostLink link) {
        this.link = link;
        next = 0;
        awaiting = 0;
        sendNext();
    }

    private void sendNext() {
        if (next >= script.size()) {
            awaiting = 0;
            return;
        }
        awaiting = next + 1L;
        link.send(script.get(next), awaiting);
        next++;
        sent++;
    }

    @Override
    public void received(Packet packet) {
        if (awaiting != 0 && packet.transactionId() == awaiting) {
            answers++;
            lastAnswer = text(packet.payload());
            sendNext();
        } else if (echo && link != null) {
            echoed++;
            link.send(packet.payload(), packet.transactionId());
        }
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

    @Override
    public JsonObject state() {
        JsonObject json = new JsonObject().put("counterpart", "script").put("echo", echo).put("sent", sent)
                .put("answers", answers).put("echoed", echoed);
        if (lastAnswer != null) {
            json.put("lastAnswer", lastAnswer.length() > 256 ? lastAnswer.substring(0, 256) : lastAnswer);
        }
        return json;
    }
}
