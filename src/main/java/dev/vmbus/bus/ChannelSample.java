package dev.vmbus.bus;

import dev.vmbus.channel.ChannelStats;
import dev.vmbus.channel.HostComplaints;

/**
 * One channel's live figures, taken on the channel's own context: what {@code vmbus.channel.<relid>.stats}
 * answers, by reference through the local codec. Immutable.
 *
 * @param stats      the channel's own counters and ring headers
 * @param complaints what the host got wrong on it, or null where nobody counts that (the simulated host's ends)
 */
public record ChannelSample(ChannelStats stats, HostComplaints.Tally complaints) {
}
