package dev.vmbus.runtime;

import dev.vmbus.channel.Packet;

/** Receives the packets a {@link ChannelDriver}'s drain takes off the ring, synchronously, on its context. */
@FunctionalInterface
public interface PacketSink {
    void accept(Packet packet);
}
