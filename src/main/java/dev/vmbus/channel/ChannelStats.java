package dev.vmbus.channel;

import dev.vmbus.ring.RingSnapshot;

/**
 * One channel end's own counters and ring headers, taken at one moment on the channel's own thread. Counter names
 * follow Linux's per-channel sysfs files (spec section 6). Which channel it is, where it is in its life and why it
 * ended are not repeated here: the agent's one per-channel record, {@code bus.ChannelView}, holds them (the reason as
 * the channel's own {@link EndReason}) beside these figures.
 *
 * @param outbound         the ring this end writes
 * @param inbound          the ring this end reads
 * @param interrupts       signals received from the peer
 * @param events           signals sent to the peer
 * @param intrInFull       signals sent because the blocked peer got room in our inbound ring
 * @param intrOutEmpty     signals sent because our outbound ring went empty to non-empty
 * @param outFullFirst     first send attempts of a run that found the outbound ring full
 * @param outFullTotal     all send attempts (and pending_send_sz armings) that found it full
 * @param packetsInByType  packets taken off the inbound ring, by type
 * @param packetsOutByType packets sent, by type (raw fault-knob writes only in {@code packetsOut})
 */
public record ChannelStats(RingSnapshot outbound, RingSnapshot inbound,
                           long interrupts, long events, long intrInFull, long intrOutEmpty,
                           long outFullFirst, long outFullTotal,
                           long packetsOut, long bytesOut, long packetsIn, long bytesIn,
                           long malformed, long requestorRejected,
                           PacketCounts packetsInByType, PacketCounts packetsOutByType) {
}
