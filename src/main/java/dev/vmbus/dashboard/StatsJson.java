package dev.vmbus.dashboard;

import dev.vmbus.bus.AgentSnapshot;
import dev.vmbus.bus.ChannelView;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.ChannelStats;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.HostComplaints;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.PacketCounts;
import dev.vmbus.ring.RingSnapshot;
import dev.vmbus.runtime.Outstanding;
import dev.vmbus.spi.SendSections;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.Map;

/**
 * The JSON the API and the live stream serve for the agent's typed snapshots: the one place where channel figures
 * get their JSON names (named like Linux's sysfs files where one exists). Inside the process snapshots travel as
 * objects; this is the dashboard's edge. Pure; any thread.
 */
public final class StatsJson {
    private StatsJson() {
    }

    /** {@code {timestamp, channels: [...]}}. */
    public static JsonObject snapshot(AgentSnapshot s) {
        return new JsonObject().put("timestamp", s.timestamp()).put("channels", channels(s));
    }

    /**
     * Every channel in relid order; a subchannel also names its {@code primary} (the relid of subchannel 0 of the
     * same class and instance) and a primary with subchannels lists them ({@code subchannels}, relid order).
     */
    public static JsonArray channels(AgentSnapshot s) {
        Map<String, Integer> primaries = new HashMap<>();
        Map<Integer, JsonArray> subchannels = new HashMap<>();
        for (ChannelView c : s.channels()) {
            if (c.offer().subchannel() == 0) {
                primaries.put(device(c), c.relid());
            }
        }
        for (ChannelView c : s.channels()) {
            Integer primary = c.offer().subchannel() > 0 ? primaries.get(device(c)) : null;
            if (primary != null) {
                subchannels.computeIfAbsent(primary, k -> new JsonArray()).add(c.relid());
            }
        }
        JsonArray out = new JsonArray();
        for (ChannelView c : s.channels()) {
            JsonObject json = channel(c);
            Integer primary = c.offer().subchannel() > 0 ? primaries.get(device(c)) : null;
            if (primary != null) {
                json.put("primary", primary);
            }
            JsonArray subs = subchannels.get(c.relid());
            if (subs != null && c.offer().subchannel() == 0) {
                json.put("subchannels", subs);
            }
            out.add(json);
        }
        return out;
    }

    private static String device(ChannelView c) {
        return c.offer().classId() + "/" + c.offer().instanceId();
    }

    /** The listing fields, then {@code stats} for an open channel that answered, {@code kernel} on uio. */
    public static JsonObject channel(ChannelView c) {
        JsonObject json = new JsonObject().put("relid", c.relid())
                .put("class", c.className())
                .put("classId", c.offer().classId().toString()).put("instanceId", c.offer().instanceId().toString())
                .put("subchannel", c.offer().subchannel()).put("ringSize", c.offer().ringSize())
                .put("state", state(c.state()));
        if (c.handled() != null) {
            json.put("handled", c.handled());
        }
        if (c.reason() != null && c.state().ended()) {
            json.put("reason", c.reason().text());
        }
        if (c.live()) {
            json.put("stats", stats(c));
        }
        if (c.kernel() != null) {
            JsonObject kernel = new JsonObject();
            c.kernel().byAttribute().forEach(kernel::put);
            json.put("kernel", kernel);
        }
        return json;
    }

    /** A state as the API says it: the enum's name in lower case ({@code open}, {@code faulted}, ...). */
    public static String state(ChannelState state) {
        return state.name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * The stats plus, where counted, what the host got wrong on this channel: {@code hostComplaints} (count per
     * reason, every reason present, zeros included, so that a counter exists before its first increment) and
     * {@code logLinesSuppressed}.
     */
    public static JsonObject stats(ChannelView sample) {
        EndReason fault = sample.fault();
        JsonObject json = toJson(sample.offer(), sample.state(), sample.stats(), fault != null ? fault.text() : null);
        HostComplaints.Tally complaints = sample.complaints();
        if (complaints != null) {
            JsonObject byKind = new JsonObject();
            for (HostComplaints.Kind kind : HostComplaints.Kind.values()) {
                byKind.put(kind.label(), complaints.count(kind));
            }
            json.put("hostComplaints", byKind).put("logLinesSuppressed", complaints.logLinesSuppressed());
        }
        Outstanding o = sample.outstanding();
        if (o != null) {
            json.put("outstanding", new JsonObject().put("withDevice", o.withDevice())
                    .put("creditUsed", o.creditUsed()).put("credit", o.credit())
                    .put("completionsOwed", o.completionsOwed()).put("completionsAwaited", o.completionsAwaited())
                    .put("receiveSlotsHeld", o.receiveSlotsHeld()));
        }
        SendSections.Use sections = sample.sections();
        if (sections != null) {
            json.put("sendSections", new JsonObject().put("inUse", sections.inUse()).put("count", sections.count())
                    .put("sectionSize", sections.sectionSize()));
        }
        return json;
    }

    /** {@code {inband, transferPages, gpaDirect, completions}}. */
    public static JsonObject byType(PacketCounts c) {
        return new JsonObject().put("inband", c.inBand()).put("transferPages", c.transferPages())
                .put("gpaDirect", c.gpaDirect()).put("completions", c.completions());
    }

    /**
     * One end's figures under the names the API has always used, led by which channel it is and its state; {@code fault}
     * is why it faulted (the channel's {@code EndReason} text), or null.
     */
    private static JsonObject toJson(Offer offer, ChannelState state, ChannelStats s, String fault) {
        return new JsonObject()
                .put("relid", offer.relid())
                .put("subchannel", offer.subchannel())
                .put("class", offer.className())
                .put("classId", offer.classId().toString())
                .put("instanceId", offer.instanceId().toString())
                .put("ringSize", offer.ringSize())
                .put("state", state(state))
                .put("outbound", ring(s.outbound()))
                .put("inbound", ring(s.inbound()))
                .put("interrupts", s.interrupts())
                .put("events", s.events())
                .put("intr_in_full", s.intrInFull())
                .put("intr_out_empty", s.intrOutEmpty())
                .put("out_full_first", s.outFullFirst())
                .put("out_full_total", s.outFullTotal())
                .put("packetsOut", s.packetsOut())
                .put("bytesOut", s.bytesOut())
                .put("packetsIn", s.packetsIn())
                .put("bytesIn", s.bytesIn())
                .put("malformed", s.malformed())
                .put("requestorRejected", s.requestorRejected())
                .put("fault", fault)
                .put("packetsInByType", byType(s.packetsInByType()))
                .put("packetsOutByType", byType(s.packetsOutByType()));
    }

    public static JsonObject ring(RingSnapshot r) {
        return new JsonObject()
                .put("writeIndex", r.writeIndex())
                .put("readIndex", r.readIndex())
                .put("interruptMask", r.interruptMask())
                .put("pendingSendSize", r.pendingSendSize())
                .put("featureBits", r.featureBits())
                .put("dataSize", r.dataSize())
                .put("bytesToRead", r.bytesToRead())
                .put("bytesToWrite", r.bytesToWrite())
                .put("fillPercent", r.fillPercent());
    }
}
