package dev.vmbus.runtime;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Packet;
import io.vertx.core.Future;

/**
 * Receives a {@link ChannelDriver}'s packets on its context and answers asynchronously; the packet's unit of
 * credit comes back when the future completes. A failed future ends the channel (faulted): with the reason of
 * a {@link HandlerFailure}, or as {@link EndReason.Kind#HANDLER_FAILED} with the failure's message.
 */
@FunctionalInterface
public interface PacketHandler {
    Future<?> handle(Packet packet);
}
