package dev.vmbus.transport;

import dev.vmbus.channel.Offer;

/** What a guest transport reports about the host's channels, on the context given to {@code start}. */
public interface OfferListener {
    /** The host offers a channel (at start for every existing channel, later for hot-added ones). */
    void offered(Offer offer);

    /** The host takes a channel away; an open link also sees its closed handler. */
    void rescinded(int relid);

    /** The connection to the host is gone: every offer is void. */
    default void disconnected(String reason) {
    }
}
