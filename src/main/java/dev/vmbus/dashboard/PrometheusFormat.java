package dev.vmbus.dashboard;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a channel snapshot in the Prometheus text exposition format (version 0.0.4): snake_case names with
 * base units, {@code _total} on counters, HELP and TYPE for every family, one series per channel labelled with
 * {@code relid} and {@code class} (plus {@code ring} or {@code direction} where a channel has two).
 */
final class PrometheusFormat {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private record Family(String name, String type, String help, List<String> samples) {
    }

    private final Map<String, Family> families = new LinkedHashMap<>();

    private PrometheusFormat() {
    }

    /** The exposition text for {@code snapshot} ({@code {channels: [...]}}). */
    static String render(JsonObject snapshot) {
        PrometheusFormat f = new PrometheusFormat();
        f.declare("vmbus_channels", "gauge", "Channels the host offers, by state.");
        f.declare("vmbus_channel_info", "gauge", "Identity of each channel; always 1.");
        f.declare("vmbus_channel_interrupts_total", "counter", "Signals received from the host.");
        f.declare("vmbus_channel_events_total", "counter", "Signals sent to the host.");
        f.declare("vmbus_channel_intr_in_full_total", "counter",
                "Signals sent because the blocked host got room in the inbound ring.");
        f.declare("vmbus_channel_intr_out_empty_total", "counter",
                "Signals sent because the outbound ring went from empty to non-empty.");
        f.declare("vmbus_channel_out_full_first_total", "counter", "First send attempts of a run that found the outbound ring full.");
        f.declare("vmbus_channel_out_full_attempts_total", "counter",
                "All send attempts (and pending_send_sz armings) that found the outbound ring full (Linux out_full_total).");
        f.declare("vmbus_channel_packets_total", "counter", "Packets moved through the channel, by direction.");
        f.declare("vmbus_channel_bytes_total", "counter", "Ring bytes moved through the channel (packets with trailers), by direction.");
        f.declare("vmbus_channel_malformed_packets_total", "counter", "Packets or indices from the host rejected as malformed.");
        f.declare("vmbus_channel_requestor_rejections_total", "counter", "Completions rejected by the requestor.");
        f.declare("vmbus_channel_host_complaints_total", "counter",
                "Messages from the host rejected or refused, by reason (each logged only up to a rate limit).");
        f.declare("vmbus_channel_log_lines_suppressed_total", "counter",
                "Log lines about host mistakes not written because of the per-channel rate limit.");
        f.declare("vmbus_ring_used_bytes", "gauge", "Bytes written and not yet consumed, per ring.");
        f.declare("vmbus_ring_free_bytes", "gauge", "Bytes the producer may still write, per ring.");
        f.declare("vmbus_ring_size_bytes", "gauge", "Size of the ring's data area.");
        f.declare("vmbus_ring_interrupt_masked", "gauge", "1 while the ring's consumer has interrupts masked.");
        f.declare("vmbus_ring_pending_send_bytes", "gauge", "The blocked producer's pending_send_sz (0 when not blocked).");

        Map<String, Integer> byState = new LinkedHashMap<>();
        JsonArray channels = snapshot.getJsonArray("channels", new JsonArray());
        for (int i = 0; i < channels.size(); i++) {
            JsonObject c = channels.getJsonObject(i);
            byState.merge(c.getString("state", "unknown"), 1, Integer::sum);
            String id = "relid=\"" + c.getInteger("relid") + "\",class=\"" + escape(c.getString("class", "")) + "\"";
            f.sample("vmbus_channel_info", "{" + id + ",class_id=\"" + escape(c.getString("classId", ""))
                    + "\",instance_id=\"" + escape(c.getString("instanceId", "")) + "\",subchannel=\""
                    + c.getInteger("subchannel", 0) + "\",state=\"" + escape(c.getString("state", "")) + "\"}", 1);
            JsonObject s = c.getJsonObject("stats");
            if (s == null) {
                continue;
            }
            f.sample("vmbus_channel_interrupts_total", "{" + id + "}", s.getLong("interrupts"));
            f.sample("vmbus_channel_events_total", "{" + id + "}", s.getLong("events"));
            f.sample("vmbus_channel_intr_in_full_total", "{" + id + "}", s.getLong("intr_in_full"));
            f.sample("vmbus_channel_intr_out_empty_total", "{" + id + "}", s.getLong("intr_out_empty"));
            f.sample("vmbus_channel_out_full_first_total", "{" + id + "}", s.getLong("out_full_first"));
            f.sample("vmbus_channel_out_full_attempts_total", "{" + id + "}", s.getLong("out_full_total"));
            f.sample("vmbus_channel_packets_total", "{" + id + ",direction=\"in\"}", s.getLong("packetsIn"));
            f.sample("vmbus_channel_packets_total", "{" + id + ",direction=\"out\"}", s.getLong("packetsOut"));
            f.sample("vmbus_channel_bytes_total", "{" + id + ",direction=\"in\"}", s.getLong("bytesIn"));
            f.sample("vmbus_channel_bytes_total", "{" + id + ",direction=\"out\"}", s.getLong("bytesOut"));
            f.sample("vmbus_channel_malformed_packets_total", "{" + id + "}", s.getLong("malformed"));
            f.sample("vmbus_channel_requestor_rejections_total", "{" + id + "}", s.getLong("requestorRejected"));
            JsonObject complaints = s.getJsonObject("hostComplaints");
            if (complaints != null) {
                for (String reason : complaints.fieldNames()) {
                    f.sample("vmbus_channel_host_complaints_total", "{" + id + ",reason=\"" + escape(reason) + "\"}",
                            complaints.getLong(reason));
                }
                f.sample("vmbus_channel_log_lines_suppressed_total", "{" + id + "}", s.getLong("logLinesSuppressed", 0L));
            }
            for (String ring : new String[] {"inbound", "outbound"}) {
                JsonObject r = s.getJsonObject(ring);
                String labels = "{" + id + ",ring=\"" + ring + "\"}";
                f.sample("vmbus_ring_used_bytes", labels, Math.max(0, r.getLong("bytesToRead")));
                f.sample("vmbus_ring_free_bytes", labels, Math.max(0, r.getLong("bytesToWrite")));
                f.sample("vmbus_ring_size_bytes", labels, r.getLong("dataSize"));
                f.sample("vmbus_ring_interrupt_masked", labels, r.getInteger("interruptMask") != 0 ? 1 : 0);
                f.sample("vmbus_ring_pending_send_bytes", labels, r.getLong("pendingSendSize") & 0xFFFF_FFFFL);
            }
        }
        byState.forEach((state, n) -> f.sample("vmbus_channels", "{state=\"" + escape(state) + "\"}", n));
        return f.text();
    }

    private void declare(String name, String type, String help) {
        families.put(name, new Family(name, type, help, new ArrayList<>()));
    }

    private void sample(String family, String labels, long value) {
        families.get(family).samples().add(family + labels + " " + value);
    }

    private String text() {
        StringBuilder out = new StringBuilder();
        for (Family f : families.values()) {
            out.append("# HELP ").append(f.name()).append(' ').append(f.help()).append('\n');
            out.append("# TYPE ").append(f.name()).append(' ').append(f.type()).append('\n');
            f.samples().forEach(s -> out.append(s).append('\n'));
        }
        return out.toString();
    }

    /** Label values escape backslash, double quote and newline. */
    static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
