package dev.vmbus.dashboard;

import dev.vmbus.bus.AgentSnapshot;
import dev.vmbus.transport.KernelCounters;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kernel's channel attributes as their own metric families, merged by relid, and clean for promtool. */
class KernelMetricsTest {

    @Test
    void kernelAttributesBecomeTheirOwnFamiliesAndPassPromtool() throws Exception {
        AgentSnapshot snapshot = PrometheusFormatTest.snapshot();
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
        AgentSnapshot merged = snapshot.withKernel(Map.of(1, KernelCounters.of(k),
                99, KernelCounters.of(Map.of("interrupts", 5L))));
        assertEquals(4242L, merged.channels().get(0).kernel().interrupts());
        assertEquals(k, merged.channels().get(0).kernel().byAttribute(), "every attribute, in the kernel's order");
        assertEquals(new java.util.ArrayList<>(k.keySet()),
                new java.util.ArrayList<>(StatsJson.channel(merged.channels().get(0)).getJsonObject("kernel").fieldNames()));
        assertNull(merged.channels().get(1).kernel(), "relid 7 has none");
        assertNull(snapshot.channels().get(0).kernel(), "the input is not changed");

        String text = new PrometheusFormat().render(merged);
        String[] id = {"relid", "1", "class", "heartbeat"};
        assertEquals(4242.0, Exposition.value(text, "vmbus_kernel_channel_interrupts_total", id), text);
        assertEquals(0.0, Exposition.value(text, "vmbus_kernel_channel_interrupt_mask", PrometheusFormatTest.with(id, "ring", "inbound")), text);
        assertEquals(1.0, Exposition.value(text, "vmbus_kernel_channel_interrupt_mask", PrometheusFormatTest.with(id, "ring", "outbound")), text);
        assertEquals(100.0, Exposition.value(text, "vmbus_kernel_channel_monitor_latency", id), text);
        assertEquals(1, text.split("# TYPE vmbus_kernel_channel_interrupt_mask ", -1).length - 1, "one family for both masks");
        assertEquals("0:", PromtoolTest.check(text), "promtool check metrics on:\n" + text);

        assertFalse(new PrometheusFormat().render(snapshot).contains("vmbus_kernel_"), "no kernel families without kernel data");
        assertTrue(text.contains("# HELP vmbus_kernel_channel_target_cpu The CPU the host interrupts for this channel (sysfs cpu).\n"), text);
    }
}
