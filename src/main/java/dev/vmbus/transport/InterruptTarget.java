package dev.vmbus.transport;

import io.vertx.core.Context;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The receiving half of an interrupt line: runs a handler on its owner's context, coalescing interrupts that
 * arrive while one is still queued (as a real interrupt does: the handler drains everything anyway). Interrupts
 * are counted once, by the channel that handles them.
 */
public final class InterruptTarget {
    private final AtomicBoolean queued = new AtomicBoolean();
    private final Context context;
    private volatile Runnable handler = () -> { };

    public InterruptTarget(Context context) {
        this.context = context;
    }

    public void handler(Runnable handler) {
        this.handler = handler;
    }

    /** The peer signalled: interrupts the owner; safe from any thread. */
    public void interrupt() {
        if (queued.compareAndSet(false, true)) {
            context.runOnContext(v -> {
                queued.set(false); // clear before running: an interrupt during the handler queues again
                handler.run();
            });
        }
    }
}
