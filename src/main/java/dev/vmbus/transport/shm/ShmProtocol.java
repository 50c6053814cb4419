package dev.vmbus.transport.shm;

import dev.vmbus.channel.Guid;
import dev.vmbus.channel.Offer;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.GuestMemory;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
    /**
     * Host to guest: {@code {"op":"allOffersDelivered"}}, the host's start-up offers are all sent (VMBus's
     * {@code ALLOFFERS_DELIVERED}); a later offer is a hot-add.
     */
    public static final String ALL_OFFERS_DELIVERED = "allOffersDelivered";
    /** Host to guest: {@code {"op":"memory","file":"guest.mem","size":N}}, the guest's RAM for GPA-direct packets. */
    public static final String MEMORY = "memory";
    /** The file {@link #MEMORY} names. */
    public static final String GUEST_MEMORY_FILE = "guest.mem";
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

    /** {@code R.recv} or {@code R.send}: a channel's receive or send buffer file. */
    public static String bufferFile(int relid, ChannelBuffer.Kind kind) {
        return relid + "." + kind.prefix();
    }

    /** One of an offer's {@code buffers}: its uio map index, name ({@code recv:N}), file and size. */
    public record BufferFile(ChannelBuffer.Name name, Path file, long size) {
        JsonObject json() {
            return new JsonObject().put("map", name.kind().map()).put("name", name.toString())
                    .put("file", file.getFileName().toString()).put("size", size);
        }
    }

    /** One JSON object and its newline. */
    public static Buffer line(JsonObject message) {
        return Buffer.buffer(message.encode()).appendByte((byte) '\n');
    }

    public static JsonObject op(String op, int relid) {
        return new JsonObject().put("op", op).put("relid", relid);
    }

    /** The {@link #ALL_OFFERS_DELIVERED} line. */
    public static JsonObject allOffersDelivered() {
        return new JsonObject().put("op", ALL_OFFERS_DELIVERED);
    }

    public static JsonObject offer(Offer offer) {
        return offer(offer, List.of());
    }

    /** An offer line; {@code buffers} (if any) go in its {@code buffers} array. */
    public static JsonObject offer(Offer offer, List<BufferFile> buffers) {
        JsonObject m = new JsonObject().put("op", OFFER).put("relid", offer.relid())
                .put("classId", Guid.format(offer.classId())).put("instanceId", Guid.format(offer.instanceId()))
                .put("subchannel", offer.subchannel()).put("ringSize", offer.ringSize())
                .put("ring", ringFile(offer.relid())).put("signal", signalSocket(offer.relid()));
        if (!buffers.isEmpty()) {
            JsonArray list = new JsonArray();
            buffers.forEach(b -> list.add(b.json()));
            m.put("buffers", list);
        }
        return m;
    }

    /** The {@code memory} line announcing {@code DIR/guest.mem} of {@code size} bytes. */
    public static JsonObject memory(long size) {
        return new JsonObject().put("op", MEMORY).put("file", GUEST_MEMORY_FILE).put("size", size);
    }

    /** Where the guest memory a {@code memory} line announces lives, and its size (whole 4 KiB pages). */
    public record MemoryFile(Path file, long size) {
    }

    /** Parses a {@code memory} line. */
    public static MemoryFile parseMemory(JsonObject m, Path dir) {
        try {
            long size = size(m, "size");
            if (size == 0 || size % GuestMemory.PAGE_SIZE != 0) {
                throw new IllegalArgumentException("guest memory must be a positive whole number of "
                        + GuestMemory.PAGE_SIZE + "-byte pages, got " + size);
            }
            return new MemoryFile(inside(dir, m.getString("file")), size);
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new ProtocolException("bad memory line " + abbreviate(m.encode()) + ": " + e.getMessage());
        }
    }

    public static JsonObject error(String message) {
        return new JsonObject().put("op", ERROR).put("message", message);
    }

    /** What an {@code error} line says, whatever the sender put there (not only a string), shortened for a log. */
    public static String errorText(JsonObject message) {
        return abbreviate(String.valueOf(message.getValue("message")));
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
            return new ParsedOffer(offer, inside(dir, m.getString("ring")), inside(dir, m.getString("signal")),
                    buffers(m, dir));
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new ProtocolException("bad offer " + abbreviate(m.encode()) + ": " + e.getMessage());
        }
    }

    /** An offer and where its ring file, signal socket and buffers (none, or a recv and/or a send) are. */
    public record ParsedOffer(Offer offer, Path ring, Path signal, List<BufferFile> buffers) {
        public ParsedOffer {
            buffers = List.copyOf(buffers);
        }
    }

    /**
     * An offer's {@code buffers}: at most one per map (3 recv, 4 send), each name parsed as uio's
     * {@code maps/mapN/name} is, a positive page-multiple size, a plain file name.
     */
    private static List<BufferFile> buffers(JsonObject m, Path dir) {
        Object value = m.getValue("buffers");
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof JsonArray list)) {
            throw new IllegalArgumentException("\"buffers\" must be an array, got " + value);
        }
        List<BufferFile> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof JsonObject b)) {
                throw new IllegalArgumentException("each of \"buffers\" must be an object, got " + o);
            }
            ChannelBuffer.Kind kind = ChannelBuffer.Kind.ofMap(integer(b, "map"));
            if (out.stream().anyMatch(x -> x.name().kind() == kind)) {
                throw new IllegalArgumentException("two buffers for map " + kind.map());
            }
            ChannelBuffer.Name name = ChannelBuffer.parseName(b.getString("name"), kind);
            long size = size(b, "size");
            if (size == 0 || size % GuestMemory.PAGE_SIZE != 0 || size > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("buffer " + name + " must be a positive whole number of "
                        + GuestMemory.PAGE_SIZE + "-byte pages below 2 GiB, got " + size);
            }
            out.add(new BufferFile(name, inside(dir, b.getString("file")), size));
        }
        return out;
    }

    private static long size(JsonObject m, String key) {
        Object value = m.getValue(key);
        if (!(value instanceof Integer || value instanceof Long) || ((Number) value).longValue() < 0) {
            throw new IllegalArgumentException("\"" + key + "\" must be a non-negative integer, got " + value);
        }
        return ((Number) value).longValue();
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

    static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 120) + "...";
    }
}
