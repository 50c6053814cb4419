package dev.vmbus.bus;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import io.vertx.core.json.JsonObject;

import java.util.UUID;

/**
 * A channel lifecycle event, published on {@link Addresses#CHANNELS} as this object (local codec, no copy); it
 * becomes JSON only at the edges: the dashboard ({@link #toJson()}) and a cluster ({@link ChannelEventCodec}).
 *
 * @param state     the state the channel is in now: {@code OFFERED}, {@code OPEN}, or an ended one
 * @param className the handler's name for the class, the well-known name, or the class GUID
 * @param reason    why it ended (for faulted, rescinded and closed), or null
 */
public record ChannelEvent(ChannelState state, Offer offer, String className, EndReason reason, long timestampMillis) {

    public ChannelEvent {
        if (state.ended() != (reason != null)) {
            throw new IllegalArgumentException("an ended channel, and only one, says why: " + state + " " + reason);
        }
        if (reason != null && reason.state() != state) {
            throw new IllegalArgumentException("a " + reason.kind() + " reason ends in " + reason.state() + ", not " + state);
        }
    }

    public static ChannelEvent offered(Offer offer, String className) {
        return new ChannelEvent(ChannelState.OFFERED, offer, className, null, System.currentTimeMillis());
    }

    public static ChannelEvent opened(Offer offer, String className) {
        return new ChannelEvent(ChannelState.OPEN, offer, className, null, System.currentTimeMillis());
    }

    /** The channel ended: its state is the one {@code reason} decides. */
    public static ChannelEvent ended(Offer offer, String className, EndReason reason) {
        return new ChannelEvent(reason.state(), offer, className, reason, System.currentTimeMillis());
    }

    public int relid() {
        return offer.relid();
    }

    /** Whether the channel ended (faulted, rescinded or closed): a new offer of its relid is a new channel. */
    public boolean ended() {
        return state.ended();
    }

    /** The event's name in JSON: {@code offered}, {@code opened}, {@code faulted}, {@code rescinded} or {@code closed}. */
    public static String name(ChannelState state) {
        return state == ChannelState.OPEN ? "opened" : state.name().toLowerCase();
    }

    /** The JSON the dashboard serves and streams. */
    public JsonObject toJson() {
        JsonObject json = new JsonObject().put("event", name(state)).put("relid", offer.relid())
                .put("class", className).put("classId", offer.classId().toString())
                .put("instanceId", offer.instanceId().toString()).put("subchannel", offer.subchannel())
                .put("timestamp", timestampMillis);
        if (reason != null) {
            json.put("reason", reason.text());
        }
        return json;
    }

    /** {@link #toJson()} plus what reading it back needs (the ring size and the reason's kind). */
    JsonObject toWireJson() {
        JsonObject json = toJson().put("ringSize", offer.ringSize());
        if (reason != null) {
            json.put("reasonKind", reason.kind().name());
            if (reason.ringFault() != null) {
                json.put("ringFault", reason.ringFault().kind().name()).put("ringFaultDetail", reason.ringFault().detail());
            }
        }
        return json;
    }

    /** Reads {@link #toWireJson()} back. */
    static ChannelEvent fromWireJson(JsonObject json) {
        Offer offer = new Offer(json.getInteger("relid"), UUID.fromString(json.getString("classId")),
                UUID.fromString(json.getString("instanceId")), json.getInteger("subchannel"), json.getInteger("ringSize"));
        String event = json.getString("event");
        ChannelState state = event.equals("opened") ? ChannelState.OPEN : ChannelState.valueOf(event.toUpperCase());
        EndReason reason = null;
        if (json.getString("reasonKind") != null) {
            EndReason.Kind kind = EndReason.Kind.valueOf(json.getString("reasonKind"));
            reason = kind == EndReason.Kind.RING_FAULT
                    ? EndReason.ringFault(new dev.vmbus.ring.RingFault(
                            dev.vmbus.ring.RingFault.Kind.valueOf(json.getString("ringFault")), json.getString("ringFaultDetail")))
                    : EndReason.of(kind, json.getString("reason"));
        }
        return new ChannelEvent(state, offer, json.getString("class"), reason, json.getLong("timestamp"));
    }
}
