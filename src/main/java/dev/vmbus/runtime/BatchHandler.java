package dev.vmbus.runtime;

import dev.vmbus.channel.Packet;

import java.util.List;

/**
 * Receives the packets one drain pass of a {@link ChannelDriver} took off the ring, all at once, on its context,
 * after the pass committed {@code read_index} (a transfer-page packet's data lies in the receive buffer, not the
 * ring, so it stays readable until the packet is completed). Each packet's unit of credit comes back when this
 * returns, except a transfer-page packet's, which its slots hold until {@link ChannelDriver#complete} completes
 * it. Throwing ends the channel: with the reason of a {@link HandlerFailure}, else as
 * {@link dev.vmbus.channel.EndReason.Kind#HANDLER_FAILED}.
 */
@FunctionalInterface
public interface BatchHandler {
    /** @param batch the pass's packets in ring order; never empty, immutable */
    void accept(List<Packet> batch);
}
