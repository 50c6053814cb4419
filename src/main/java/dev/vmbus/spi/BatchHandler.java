package dev.vmbus.spi;

import dev.vmbus.channel.Packet;
import io.vertx.core.Future;

import java.util.List;

/**
 * A device's handler for one channel's packets, a drain batch at a time ({@link Device#batchHandler}): called on
 * the channel's own context with every packet one drain pass took off the ring, after it committed the ring.
 * Completions from the host of the device's own requests come in the batch too.
 *
 * <p>Credit: a packet gives its unit back when this returns; a transfer-page packet holds one unit per range
 * (receive-buffer slot) until the device completes it through {@link ChannelPort#complete}, so read its data in
 * place ({@code channel.buffer(RECEIVE).slice(offset, count)}) and complete it, now or later. Throwing faults the
 * channel, as a failed {@link Device#handle} does: the reason ({@code /api/channels}, the log) is the message of an
 * exception of your own, and an exception of the JDK's (an index out of bounds, a null) with its class named.
 */
@FunctionalInterface
public interface BatchHandler {
    /** @param batch the packets in ring order; never empty, immutable */
    void packets(List<Packet> batch);

    /**
     * The guest is about to close this channel in order (the agent stops; not after a rescind or a fault): what the
     * device must tell the host first, sent through its {@link ChannelPort} (a NIC's RNDIS HALT and the revokes of
     * its buffers, as Linux's netvsc sends them before it closes its channel). The close waits until the future
     * completes (a failure is logged and closes too), for {@link #FAREWELL_LIMIT_MS} at most. On the channel's
     * context; the default has nothing to say.
     */
    default Future<Void> closing() {
        return Future.succeededFuture();
    }

    /** How long an orderly close waits for {@link #closing}. */
    long FAREWELL_LIMIT_MS = 2_000;
}
