package dev.vmbus.bus;

import dev.vmbus.channel.ChannelStats;
import dev.vmbus.channel.HostComplaints;
import dev.vmbus.ring.RingSnapshot;
import io.vertx.core.json.JsonObject;

/** The JSON form of channel stats, named like Linux's sysfs files where one exists. */
public final class StatsJson {
    private StatsJson() {
    }

    public static JsonObject toJson(ChannelStats s) {
        return new JsonObject()
                .put("relid", s.offer().relid())
                .put("subchannel", s.offer().subchannel())
                .put("class", s.offer().className())
                .put("classId", s.offer().classId().toString())
                .put("instanceId", s.offer().instanceId().toString())
                .put("ringSize", s.offer().ringSize())
                .put("state", s.state().name().toLowerCase())
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
                .put("fault", s.fault());
    }

    /**
     * The stats plus what the host got wrong on this channel: {@code hostComplaints} (count per reason, every
     * reason present, zeros included, so that a counter exists before its first increment) and
     * {@code logLinesSuppressed}.
     */
    public static JsonObject toJson(ChannelStats s, HostComplaints complaints) {
        JsonObject byKind = new JsonObject();
        for (HostComplaints.Kind kind : HostComplaints.Kind.values()) {
            byKind.put(kind.label(), complaints.count(s.offer().relid(), kind));
        }
        return toJson(s).put("hostComplaints", byKind)
                .put("logLinesSuppressed", complaints.suppressed(s.offer().relid()));
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
