package dev.vmbus.transport;

import io.vertx.core.Context;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The receiving half of an interrupt line: runs a handler on its owner's context, coalescing signals that
 * arrive while one is still queued (as a real interrupt does: the handler drains everything anyway). Interrupts
 * are counted once, by the channel runtime that handles them.
 */
public final class SignalTarget {
    private final AtomicBoolean queued = new AtomicBoolean();
    private final Context context;
    private volatile Runnable handler = () -> { };

    public SignalTarget(Context context) {
        this.context = context;
    }

    public void handler(Runnable handler) {
        this.handler = handler;
    }

    /** Raises the line; safe from any thread. */
    public void raise() {
        if (queued.compareAndSet(false, true)) {
            context.runOnContext(v -> {
                queued.set(false); // clear before running: a signal raised during the handler queues again
                handler.run();
            });
        }
    }
}
