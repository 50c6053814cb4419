package dev.vmbus.bus;

import dev.vmbus.transport.KernelCounters;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Every channel the agent knows, in relid order, at one moment: what {@code vmbus.channels.list},
 * {@code vmbus.stats} and {@code vmbus.stats.now} carry, by reference through the local codec. It becomes JSON
 * only at the dashboard's edge. Immutable (the list is a copy).
 *
 * @param timestamp epoch milliseconds when it was assembled
 */
public record AgentSnapshot(long timestamp, List<ChannelView> channels) {
    public AgentSnapshot {
        channels = List.copyOf(channels);
    }

    /** A copy with the kernel's attributes set on each channel the kernel describes. */
    public AgentSnapshot withKernel(Map<Integer, KernelCounters> byRelid) {
        List<ChannelView> out = new ArrayList<>(channels.size());
        for (ChannelView c : channels) {
            KernelCounters k = byRelid.get(c.relid());
            out.add(k != null ? c.withKernel(k) : c);
        }
        return new AgentSnapshot(timestamp, out);
    }
}
