package dev.vmbus.spi;

import dev.vmbus.ic.IcNegotiation;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What an IC handler knows about one of its channels: the negotiated versions and message counts. A service
 * keeps its own extra fields in a subclass.
 */
public class IcChannelState {
    private final int relid;
    private IcNegotiation.Negotiated negotiated;
    private Instant negotiatedAt;
    private long messages;
    private long dropped;
    private long failed;

    public IcChannelState(int relid) {
        this.relid = relid;
    }

    public int relid() {
        return relid;
    }

    /** The versions of the last successful negotiation, or null (none yet, or the last one found no match). */
    public IcNegotiation.Negotiated negotiated() {
        return negotiated;
    }

    void negotiated(IcNegotiation.Negotiated n) {
        negotiated = n;
        negotiatedAt = Instant.now();
    }

    void countMessage() {
        messages++;
    }

    void countDropped() {
        dropped++;
    }

    void countFailed() {
        failed++;
    }

    public long messages() {
        return messages;
    }

    public long dropped() {
        return dropped;
    }

    /** The state as JSON for the dashboard; subclasses add their fields. */
    public JsonObject toJson() {
        JsonObject json = new JsonObject().put("relid", relid).put("messages", messages).put("dropped", dropped)
                .put("failedReplies", failed);
        if (negotiated != null) {
            json.put("frameworkVersion", negotiated.framework().toString())
                    .put("serviceVersion", negotiated.message().toString());
        }
        if (negotiatedAt != null) {
            json.put("negotiatedAt", negotiatedAt.toString());
        }
        return json;
    }

    /**
     * The per-channel entries of an integration service's state ({@code channels} of {@link IcDevice#state()}), for
     * its plug-in's {@link DevicePlugin#health} and {@link DevicePlugin#gauges}; none when there are none.
     */
    public static List<JsonObject> channels(JsonObject deviceState) {
        JsonArray list = deviceState.getJsonArray("channels");
        List<JsonObject> out = new ArrayList<>();
        for (int i = 0; list != null && i < list.size(); i++) {
            out.add(list.getJsonObject(i));
        }
        return out;
    }

    /** Judges one open channel's entry of an integration service's state, adding what is wrong to {@code out}. */
    @FunctionalInterface
    public interface ChannelJudge {
        void judge(JsonObject channel, int relid, String label, List<DeviceProblem> out);
    }

    /**
     * A {@link DevicePlugin#health} over an integration service's channels: {@code judge} sees each entry of
     * {@link #channels} whose channel is open (has a label in {@code check}), with its relid and that label.
     */
    public static List<DeviceProblem> openChannelProblems(JsonObject deviceState, HealthCheck check,
                                                          ChannelJudge judge) {
        List<DeviceProblem> out = new ArrayList<>();
        for (JsonObject ch : channels(deviceState)) {
            int relid = ch.getInteger("relid", -1);
            String label = check.label(relid);
            if (label != null) {
                judge.judge(ch, relid, label, out);
            }
        }
        return out;
    }
}
