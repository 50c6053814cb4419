package dev.vmbus.bus;

import dev.vmbus.spi.OutboundPacket;

import dev.vmbus.channel.Packet;
import dev.vmbus.ring.GpaRanges;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.TransferPageRanges;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Base64;

/** The JSON form of packets, for anything that leaves the JVM (cluster, bridge, REST). */
public final class PacketJson {
    private PacketJson() {
    }

    /**
     * A received packet; {@code transferPages} ({@code pageSetId}, {@code senderOwns}, {@code ranges} of
     * {@code byteCount}/{@code byteOffset}) and {@code gpaRanges} ({@code byteCount}, {@code byteOffset},
     * {@code pfns}) only on packets that carry them. u32 values are written unsigned.
     */
    public static JsonObject toJson(Packet p) {
        JsonObject json = new JsonObject().put("relid", p.relid()).put("type", p.type())
                .put("typeName", PacketType.name(p.type()))
                .put("flags", p.flags()).put("transactionId", Long.toUnsignedString(p.transactionId()))
                .put("payload", Base64.getEncoder().encodeToString(p.payload()));
        TransferPageRanges t = p.transferPages();
        if (t != null) {
            JsonArray ranges = new JsonArray();
            for (int i = 0; i < t.count(); i++) {
                ranges.add(new JsonObject().put("byteCount", Integer.toUnsignedLong(t.byteCount(i)))
                        .put("byteOffset", Integer.toUnsignedLong(t.byteOffset(i))));
            }
            json.put("transferPages", new JsonObject().put("pageSetId", t.pageSetId())
                    .put("senderOwns", t.senderOwns()).put("ranges", ranges));
        }
        GpaRanges g = p.gpaRanges();
        if (g != null) {
            JsonArray ranges = new JsonArray();
            for (int i = 0; i < g.count(); i++) {
                JsonArray pfns = new JsonArray();
                for (int j = 0; j < g.pfnCount(i); j++) {
                    pfns.add(Long.toUnsignedString(g.pfn(i, j)));
                }
                ranges.add(new JsonObject().put("byteCount", Integer.toUnsignedLong(g.byteCount(i)))
                        .put("byteOffset", g.byteOffset(i)).put("pfns", pfns));
            }
            json.put("gpaRanges", ranges);
        }
        return json;
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
