package dev.vmbus.transport;

import io.vertx.core.Context;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The receiving half of an interrupt line: runs a handler on its owner's context, coalescing signals that
 * arrive while one is still queued (as a real interrupt does: the handler drains everything anyway).
 */
public final class SignalTarget {
    private final AtomicBoolean queued = new AtomicBoolean();
    private final Context context;
    private volatile Runnable handler = () -> { };
    private volatile long count;

    public SignalTarget(Context context) {
        this.context = context;
    }

    public void handler(Runnable handler) {
        this.handler = handler;
    }

    /** Signals received so far (coalesced ones included). */
    public long count() {
        return count;
    }

    /** Raises the line; safe from any thread. */
    public void raise() {
        count++; // one raiser per line (the peer's owner thread); a lost increment would only affect display
        if (queued.compareAndSet(false, true)) {
            context.runOnContext(v -> {
                queued.set(false); // clear before running: a signal raised during the handler queues again
                handler.run();
            });
        }
    }
}
