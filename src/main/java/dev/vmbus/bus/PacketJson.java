package dev.vmbus.bus;

import dev.vmbus.spi.OutboundPacket;

import dev.vmbus.channel.Packet;
import dev.vmbus.ring.PacketType;
import io.vertx.core.json.JsonObject;

import java.util.Base64;

/** The JSON form of packets, for anything that leaves the JVM (cluster, bridge, REST). */
public final class PacketJson {
    private PacketJson() {
    }

    public static JsonObject toJson(Packet p) {
        return new JsonObject().put("relid", p.relid()).put("type", p.type()).put("typeName", PacketType.name(p.type()))
                .put("flags", p.flags()).put("transactionId", Long.toUnsignedString(p.transactionId()))
                .put("payload", Base64.getEncoder().encodeToString(p.payload()));
    }

    /**
     * Reads an outbound packet: {@code payload} (base64, required), {@code transactionId} (decimal string or
     * number, default 0), {@code type} (default in-band), {@code flags} (default 0).
     */
    public static OutboundPacket outbound(JsonObject json) {
        Object payload = json.getValue("payload");
        if (!(payload instanceof String base64)) {
            throw new IllegalArgumentException("\"payload\" must be a base64 string");
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"payload\" is not valid base64: " + e.getMessage());
        }
        Object id = json.getValue("transactionId", 0);
        long transactionId;
        try {
            transactionId = id instanceof Number n ? n.longValue() : Long.parseUnsignedLong(id.toString());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"transactionId\" must be an unsigned 64-bit number, got " + id);
        }
        int type = intField(json, "type", PacketType.DATA_INBAND, 0xFFFF);
        int flags = intField(json, "flags", 0, 0xFFFF);
        return new OutboundPacket(bytes, transactionId, type, flags);
    }

    private static int intField(JsonObject json, String key, int dflt, int max) {
        Object v = json.getValue(key, dflt);
        if (!(v instanceof Integer i) || i < 0 || i > max) {
            throw new IllegalArgumentException("\"" + key + "\" must be an integer 0.." + max + ", got " + v);
        }
        return i;
    }
}
