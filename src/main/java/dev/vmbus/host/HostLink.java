package dev.vmbus.host;

import dev.vmbus.channel.Offer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * What a {@link HostCounterpart} sends on: the host's end of one open channel. Call it on the host's context (where
 * the counterpart's methods run; timers from {@link #vertx()} set there run there too).
 */
public interface HostLink {

    /** The channel as offered. */
    Offer offer();

    /** Timers and workers. */
    Vertx vertx();

    /**
     * Writes an in-band packet (type 6, flags 0) with {@code transactionId} into the guest's inbound ring; completes
     * once it is there (a full ring waits for room), fails if the channel closes first, and fails at once, naming
     * the sizes, when the channel's ring could never hold it (offer the class with a larger {@code ringSize}).
     */
    Future<Void> send(byte[] payload, long transactionId);

    /** Whether the channel is still open. */
    boolean open();
}
