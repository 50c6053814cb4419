package dev.vmbus.dashboard;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The exposition text of {@link PrometheusFormat}, from hand-made snapshots. */
class PrometheusFormatTest {

    static JsonObject ring(long used, long size, int mask, long pending) {
        return new JsonObject().put("bytesToRead", used).put("bytesToWrite", size - used).put("dataSize", size)
                .put("interruptMask", mask).put("pendingSendSize", pending);
    }

    static JsonObject stats(long n) {
        JsonObject s = new JsonObject();
        for (String k : List.of("interrupts", "events", "intr_in_full", "intr_out_empty", "out_full_first",
                "out_full_total", "packetsIn", "packetsOut", "bytesIn", "bytesOut", "malformed", "requestorRejected")) {
            s.put(k, n);
        }
        return s.put("inbound", ring(64, 12288, 1, 0)).put("outbound", ring(0, 12288, 0, 0xFFFF_FFFFL))
                .put("hostComplaints", new JsonObject().put("no_common_version", 4 * n).put("channel_fault", 0))
                .put("logLinesSuppressed", 4 * n - 5);
    }

    /** Two open channels (one with a hostile class name) and one faulted without stats. */
    static JsonObject snapshot() {
        return new JsonObject().put("channels", new JsonArray()
                .add(new JsonObject().put("relid", 1).put("class", "heartbeat").put("classId", "57164f39-9115-4e78-ab55-382f3bd5422d")
                        .put("instanceId", "fd149e91-82e0-4a7d-afa6-2a4166cbd7c0").put("subchannel", 0).put("state", "open")
                        .put("stats", stats(7)))
                .add(new JsonObject().put("relid", 7).put("class", "we\"ird\\cla\nss").put("classId", "c\"id")
                        .put("instanceId", "i\\id").put("subchannel", 2).put("state", "open").put("stats", stats(3)))
                .add(new JsonObject().put("relid", 9).put("class", "vss").put("classId", "x").put("instanceId", "y")
                        .put("state", "faulted")));
    }

    @Test
    void escapesBackslashQuoteAndNewlineInLabelValues() {
        assertEquals("a\\\"b\\\\c\\nd", PrometheusFormat.escape("a\"b\\c\nd"));
        assertEquals("plain", PrometheusFormat.escape("plain"));
        String text = PrometheusFormat.render(snapshot());
        assertTrue(text.contains("vmbus_channel_info{relid=\"7\",class=\"we\\\"ird\\\\cla\\nss\",class_id=\"c\\\"id\","
                + "instance_id=\"i\\\\id\",subchannel=\"2\",state=\"open\"} 1\n"), text);
        assertTrue(text.contains("vmbus_channel_interrupts_total{relid=\"7\",class=\"we\\\"ird\\\\cla\\nss\"} 3\n"), text);
        for (String line : text.split("\n")) {
            assertFalse(line.isEmpty(), "a raw newline inside a label would split a sample");
            assertTrue(line.startsWith("# ") || line.startsWith("vmbus_"), line);
        }
    }

    @Test
    void everyFamilyHasHelpAndTypeBeforeItsSamples() {
        String text = PrometheusFormat.render(snapshot());
        Map<String, String> types = new LinkedHashMap<>();
        Set<String> helped = new LinkedHashSet<>();
        for (String line : text.split("\n")) {
            String[] parts = line.split(" ", 4);
            if (line.startsWith("# HELP ")) {
                assertTrue(helped.add(parts[2]), "one HELP per family: " + parts[2]);
                assertTrue(parts.length == 4 && !parts[3].isBlank(), line);
            } else if (line.startsWith("# TYPE ")) {
                assertTrue(helped.contains(parts[2]), "HELP before TYPE: " + parts[2]);
                assertEquals(null, types.put(parts[2], parts[3]), "one TYPE per family");
                assertTrue(Set.of("counter", "gauge").contains(parts[3]), line);
            } else {
                String name = line.substring(0, line.indexOf('{'));
                assertTrue(types.containsKey(name), "sample before (or without) its TYPE: " + line);
                assertTrue(name.matches("[a-z_]+"), "snake_case: " + name);
            }
        }
        assertEquals(19, types.size(), types.toString());
        assertEquals(helped, types.keySet());
    }

    @Test
    void countersEndInTotalAndGaugesDoNot() {
        String text = PrometheusFormat.render(snapshot());
        int counters = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.split(" ");
                if (parts[3].equals("counter")) {
                    counters++;
                    assertTrue(parts[2].endsWith("_total"), parts[2]);
                } else {
                    assertFalse(parts[2].endsWith("_total"), parts[2]);
                }
            }
        }
        assertEquals(12, counters);
    }

    @Test
    void seriesPerChannelAndValues() {
        String text = PrometheusFormat.render(snapshot());
        assertTrue(text.contains("vmbus_channels{state=\"open\"} 2\n"), text);
        assertTrue(text.contains("vmbus_channels{state=\"faulted\"} 1\n"), text);
        assertTrue(text.contains("vmbus_channel_info{relid=\"9\",class=\"vss\",class_id=\"x\",instance_id=\"y\","
                + "subchannel=\"0\",state=\"faulted\"} 1\n"), text);
        assertFalse(text.contains("vmbus_channel_interrupts_total{relid=\"9\""), "no stats, no counters");
        assertTrue(text.contains("vmbus_channel_packets_total{relid=\"1\",class=\"heartbeat\",direction=\"out\"} 7\n"));
        assertTrue(text.contains("vmbus_channel_out_full_attempts_total{relid=\"1\",class=\"heartbeat\"} 7\n"));
        assertTrue(text.contains("vmbus_ring_used_bytes{relid=\"1\",class=\"heartbeat\",ring=\"inbound\"} 64\n"));
        assertTrue(text.contains("vmbus_ring_free_bytes{relid=\"1\",class=\"heartbeat\",ring=\"inbound\"} 12224\n"));
        assertTrue(text.contains("vmbus_ring_interrupt_masked{relid=\"1\",class=\"heartbeat\",ring=\"inbound\"} 1\n"));
        assertTrue(text.contains("vmbus_ring_pending_send_bytes{relid=\"1\",class=\"heartbeat\",ring=\"outbound\"} 4294967295\n"));
        assertTrue(text.contains("vmbus_channel_host_complaints_total{relid=\"1\",class=\"heartbeat\",reason=\"no_common_version\"} 28\n"), text);
        assertTrue(text.contains("vmbus_channel_host_complaints_total{relid=\"1\",class=\"heartbeat\",reason=\"channel_fault\"} 0\n"), text);
        assertTrue(text.contains("vmbus_channel_log_lines_suppressed_total{relid=\"1\",class=\"heartbeat\"} 23\n"), text);
        assertTrue(PrometheusFormat.render(new JsonObject()).contains("# TYPE vmbus_channels gauge\n"),
                "an empty snapshot still declares every family");
    }
}
