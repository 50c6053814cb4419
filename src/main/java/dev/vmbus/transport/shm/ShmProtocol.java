package dev.vmbus.transport.shm;

import dev.vmbus.channel.Guid;
import dev.vmbus.channel.Offer;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The {@code shm} wire protocol (DESIGN.md, "Transports"): newline-delimited JSON objects on
 * {@code DIR/control.sock}, and 4-byte little-endian frames on each channel's {@code DIR/R.sock}.
 */
public final class ShmProtocol {
    public static final String CONTROL_SOCKET = "control.sock";
    /** Longest control line accepted; a longer one is malformed. */
    public static final int MAX_LINE = 64 * 1024;
    /** Guest to host frame: "signal the host" (a {@code write(1)} on {@code /dev/uioN}). */
    public static final int SIGNAL_HOST = 1;

    public static final String OFFER = "offer";
    public static final String OPEN = "open";
    public static final String OPENED = "opened";
    public static final String CLOSE = "close";
    public static final String CLOSED = "closed";
    public static final String RESCIND = "rescind";
    /** Sent before closing a connection over a malformed line, so the other side can log why. */
    public static final String ERROR = "error";

    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");

    private ShmProtocol() {
    }

    /** A control line that breaks the protocol; the connection carrying it is closed. */
    public static final class ProtocolException extends RuntimeException {
        public ProtocolException(String message) {
            super(message);
        }
    }

    public static String ringFile(int relid) {
        return relid + ".ring";
    }

    public static String signalSocket(int relid) {
        return relid + ".sock";
    }

    /** One JSON object and its newline. */
    public static Buffer line(JsonObject message) {
        return Buffer.buffer(message.encode()).appendByte((byte) '\n');
    }

    public static JsonObject op(String op, int relid) {
        return new JsonObject().put("op", op).put("relid", relid);
    }

    public static JsonObject offer(Offer offer) {
        return new JsonObject().put("op", OFFER).put("relid", offer.relid())
                .put("classId", Guid.format(offer.classId())).put("instanceId", Guid.format(offer.instanceId()))
                .put("subchannel", offer.subchannel()).put("ringSize", offer.ringSize())
                .put("ring", ringFile(offer.relid())).put("signal", signalSocket(offer.relid()));
    }

    public static JsonObject error(String message) {
        return new JsonObject().put("op", ERROR).put("message", message);
    }

    /** Parses one control line into a JSON object with a string {@code op}. */
    public static JsonObject parse(Buffer line) {
        JsonObject message;
        try {
            message = new JsonObject(line);
        } catch (DecodeException | ClassCastException e) {
            throw new ProtocolException("control line is not a JSON object: " + abbreviate(line.toString()));
        }
        if (!(message.getValue("op") instanceof String)) {
            throw new ProtocolException("control line has no string \"op\": " + abbreviate(line.toString()));
        }
        return message;
    }

    /** The positive integer {@code relid} of a message. */
    public static int relid(JsonObject message) {
        Object value = message.getValue("relid");
        if (!(value instanceof Integer relid) || relid <= 0) {
            throw new ProtocolException("\"" + message.getString("op") + "\" needs a positive integer relid, got " + value);
        }
        return relid;
    }

    /** The offer described by an {@code offer} line, with its file names resolved inside {@code dir}. */
    public static ParsedOffer parseOffer(JsonObject m, Path dir) {
        try {
            Offer offer = new Offer(relid(m), Guid.parse(m.getString("classId")), Guid.parse(m.getString("instanceId")),
                    integer(m, "subchannel"), integer(m, "ringSize"));
            return new ParsedOffer(offer, inside(dir, m.getString("ring")), inside(dir, m.getString("signal")));
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new ProtocolException("bad offer " + abbreviate(m.encode()) + ": " + e.getMessage());
        }
    }

    /** An offer and where its ring file and signal socket are. */
    public record ParsedOffer(Offer offer, Path ring, Path signal) {
    }

    private static int integer(JsonObject m, String key) {
        Object value = m.getValue(key);
        if (!(value instanceof Integer i)) {
            throw new IllegalArgumentException("\"" + key + "\" must be an integer, got " + value);
        }
        return i;
    }

    /** A plain file name inside {@code dir}: no separators, no "..", nothing hidden. */
    private static Path inside(Path dir, String name) {
        if (name == null || !FILE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("file name must be a plain name inside the shm directory, got " + name);
        }
        return dir.resolve(name);
    }

    /** The 4-byte little-endian frame carrying {@code value}. */
    public static Buffer frame(int value) {
        return Buffer.buffer(4).appendIntLE(value);
    }

    static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 120) + "...";
    }
}
