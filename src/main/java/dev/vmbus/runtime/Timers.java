package dev.vmbus.runtime;

/**
 * Delayed tasks on the channel owner's thread (a Vert.x timer on the channel's context, or a scheduled
 * executor in plain Java). The channel layer knows nothing of Vert.x, so it asks for this.
 */
@FunctionalInterface
public interface Timers {
    /** Runs {@code task} on the owner's thread after {@code delayMillis}; the result cancels it. */
    Runnable schedule(long delayMillis, Runnable task);
}
