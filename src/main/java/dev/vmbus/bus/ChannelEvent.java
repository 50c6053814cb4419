package dev.vmbus.bus;

import dev.vmbus.channel.Offer;
import io.vertx.core.json.JsonObject;

/**
 * A channel lifecycle event, published on {@link Addresses#CHANNELS} as JSON.
 *
 * @param className the handler's name for the class, the well-known name, or the class GUID
 * @param event  {@code offered}, {@code opened}, {@code rescinded}, {@code faulted} or {@code closed}
 * @param reason why (for faulted, rescinded and closed), or null
 */
public record ChannelEvent(String event, Offer offer, String className, String reason, long timestampMillis) {
    public static final String OFFERED = "offered";
    public static final String OPENED = "opened";
    public static final String RESCINDED = "rescinded";
    public static final String FAULTED = "faulted";
    public static final String CLOSED = "closed";

    public static ChannelEvent of(String event, Offer offer, String className, String reason) {
        return new ChannelEvent(event, offer, className, reason, System.currentTimeMillis());
    }

    public JsonObject toJson() {
        JsonObject json = new JsonObject().put("event", event).put("relid", offer.relid())
                .put("class", className).put("classId", offer.classId().toString())
                .put("instanceId", offer.instanceId().toString()).put("subchannel", offer.subchannel())
                .put("timestamp", timestampMillis);
        if (reason != null) {
            json.put("reason", reason);
        }
        return json;
    }
}
