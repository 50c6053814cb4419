package dev.vmbus.runtime;

import io.vertx.core.Context;

/**
 * Delayed tasks on the channel owner's thread (a Vert.x timer on the channel's context, or a scheduled
 * executor in plain Java). The channel layer knows nothing of Vert.x, so it asks for this.
 */
@FunctionalInterface
public interface Timers {
    /** Runs {@code task} on the owner's thread after {@code delayMillis}; the result cancels it. */
    Runnable schedule(long delayMillis, Runnable task);

    /** Vert.x timers, each firing on {@code context} (a delay under 1 ms is 1 ms, Vert.x's least). */
    static Timers on(Context context) {
        return (delay, task) -> {
            long id = context.owner().setTimer(Math.max(1, delay), t -> task.run());
            return () -> context.owner().cancelTimer(id);
        };
    }
}
