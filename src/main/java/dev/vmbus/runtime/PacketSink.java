package dev.vmbus.runtime;

import dev.vmbus.channel.Packet;

/**
 * Receives the packets a {@link ChannelDriver}'s drain takes off the ring, synchronously, on its context. Throwing
 * ends the channel ({@link dev.vmbus.channel.EndReason.Kind#HANDLER_FAILED}, or a {@link HandlerFailure}'s reason);
 * the packets the pass took stay consumed.
 */
@FunctionalInterface
public interface PacketSink {
    void accept(Packet packet);
}
