package dev.vmbus.dashboard;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kernel's channel attributes as their own metric families, merged by relid, and clean for promtool. */
class KernelMetricsTest {

    @Test
    void kernelAttributesBecomeTheirOwnFamiliesAndPassPromtool() throws Exception {
        JsonObject snapshot = PrometheusFormatTest.snapshot();
        Map<String, Long> k = new LinkedHashMap<>();
        k.put("out_mask", 1L);
        k.put("in_mask", 0L);
        k.put("read_avail", 0L);
        k.put("write_avail", 16312L);
        k.put("cpu", 1L);
        k.put("pending", 0L);
        k.put("latency", 100L);
        k.put("interrupts", 4242L);
        k.put("events", 17L);
        k.put("intr_in_full", 0L);
        k.put("intr_out_empty", 3L);
        k.put("out_full_first", 0L);
        k.put("out_full_total", 0L);
        JsonObject merged = KernelCounters.merge(snapshot, Map.of(1, k, 99, Map.of("interrupts", 5L)));
        assertEquals(4242L, merged.getJsonArray("channels").getJsonObject(0).getJsonObject("kernel").getLong("interrupts"));
        assertFalse(merged.getJsonArray("channels").getJsonObject(1).containsKey("kernel"), "relid 7 has none");
        assertFalse(snapshot.getJsonArray("channels").getJsonObject(0).containsKey("kernel"), "the input is not changed");

        String text = PrometheusFormat.render(merged);
        String id = "{relid=\"1\",class=\"heartbeat\"";
        assertTrue(text.contains("vmbus_kernel_channel_interrupts_total" + id + "} 4242\n"), text);
        assertTrue(text.contains("vmbus_kernel_channel_interrupt_mask" + id + ",ring=\"inbound\"} 0\n")
                && text.contains("vmbus_kernel_channel_interrupt_mask" + id + ",ring=\"outbound\"} 1\n"), text);
        assertTrue(text.contains("vmbus_kernel_channel_monitor_latency" + id + "} 100\n"), text);
        assertEquals(1, text.split("# TYPE vmbus_kernel_channel_interrupt_mask ", -1).length - 1, "one family for both masks");
        assertEquals("0:", PromtoolTest.check(text), "promtool check metrics on:\n" + text);

        assertFalse(PrometheusFormat.render(snapshot).contains("vmbus_kernel_"), "no kernel families without kernel data");
    }
}
