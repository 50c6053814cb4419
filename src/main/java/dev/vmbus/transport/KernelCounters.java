package dev.vmbus.transport;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One channel's counters as the kernel keeps them, beside the agent's own (on {@code uio}: the attributes of
 * {@code <sysfs>/bus/vmbus/devices/<instance>/channels/<relid>/}, read by
 * {@code transport.uio.KernelChannelCounters}); each is null when the kernel did not give it (hidden, or its ring
 * not open). Named after the sysfs files. Immutable. A viewer above the transport sees only this record and a
 * {@link Source} the composition root hands it, never the transport that reads them.
 */
public record KernelCounters(Long outMask, Long inMask, Long readAvail, Long writeAvail, Long cpu, Long pending,
                             Long latency, Long interrupts, Long events, Long intrInFull, Long intrOutEmpty,
                             Long outFullFirst, Long outFullTotal) {
    /** Every numeric attribute, in the kernel's order. */
    public static final List<String> ATTRIBUTES = List.of("out_mask", "in_mask", "read_avail", "write_avail", "cpu",
            "pending", "latency", "interrupts", "events", "intr_in_full", "intr_out_empty", "out_full_first",
            "out_full_total");

    /** Reads every channel's counters, by relid. Blocking file I/O: call it from a worker, never an event loop. */
    @FunctionalInterface
    public interface Source {
        Map<Integer, KernelCounters> read();
    }

    /** From sysfs names ({@link #ATTRIBUTES}) to values; names not among them are ignored. */
    public static KernelCounters of(Map<String, Long> byAttribute) {
        return new KernelCounters(byAttribute.get("out_mask"), byAttribute.get("in_mask"), byAttribute.get("read_avail"),
                byAttribute.get("write_avail"), byAttribute.get("cpu"), byAttribute.get("pending"),
                byAttribute.get("latency"), byAttribute.get("interrupts"), byAttribute.get("events"),
                byAttribute.get("intr_in_full"), byAttribute.get("intr_out_empty"),
                byAttribute.get("out_full_first"), byAttribute.get("out_full_total"));
    }

    /** Back to sysfs names, in {@link #ATTRIBUTES} order, present ones only. */
    public Map<String, Long> byAttribute() {
        Long[] v = {outMask, inMask, readAvail, writeAvail, cpu, pending, latency, interrupts, events, intrInFull,
                intrOutEmpty, outFullFirst, outFullTotal};
        Map<String, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < v.length; i++) {
            if (v[i] != null) {
                out.put(ATTRIBUTES.get(i), v[i]);
            }
        }
        return out;
    }
}
