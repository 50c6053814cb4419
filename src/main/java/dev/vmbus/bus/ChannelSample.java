package dev.vmbus.bus;

import dev.vmbus.channel.ChannelStats;
import dev.vmbus.channel.HostComplaints;
import dev.vmbus.runtime.Outstanding;
import dev.vmbus.spi.SendSections;

/**
 * One channel's live figures, taken on the channel's own context: what {@code vmbus.channel.<relid>.stats}
 * answers, by reference through the local codec. Immutable.
 *
 * @param stats       the channel's own counters and ring headers
 * @param complaints  what the host got wrong on it, or null where nobody counts that (the simulated host's ends)
 * @param outstanding what its device holds (packets, credit, receive-buffer slots, completions owed) and the
 *                    completions it waits for; null where nobody counts that
 * @param sections    the send sections its device took ({@code ChannelPort.sendSections}), or null if none
 */
public record ChannelSample(ChannelStats stats, HostComplaints.Tally complaints, Outstanding outstanding,
                            SendSections.Use sections) {

    /** Figures without a device's use (a simulated host's end). */
    public ChannelSample(ChannelStats stats, HostComplaints.Tally complaints) {
        this(stats, complaints, null, null);
    }
}
