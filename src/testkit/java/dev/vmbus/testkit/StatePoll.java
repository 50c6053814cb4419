package dev.vmbus.testkit;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Waits for something read over the event bus to satisfy a condition: reads it, and if it does not yet, reads it
 * again 10 ms later on a Vert.x timer (no thread sleeps), until {@link ScriptedHost#TIMEOUT}.
 *
 * <p>Threads: the reads and timers run on a Vert.x context; {@link #until} blocks the calling (test) thread.
 */
public final class StatePoll {
    private static final long RETRY_MS = 10;

    private StatePoll() {
    }

    static <T> T until(Vertx vertx, Supplier<Future<T>> read, Predicate<T> condition, String what) {
        Promise<T> found = Promise.promise();
        AtomicReference<T> last = new AtomicReference<>();
        vertx.runOnContext(v -> attempt(vertx, read, condition, found, last));
        try {
            return ScriptedHost.await(found.future(), what);
        } catch (AssertionError e) {
            found.tryFail("given up"); // stops the retries
            throw new AssertionError(e.getMessage() + "; last seen: " + last.get(), e);
        }
    }

    private static <T> void attempt(Vertx vertx, Supplier<Future<T>> read, Predicate<T> condition,
                                    Promise<T> found, AtomicReference<T> last) {
        if (found.future().isComplete()) {
            return;
        }
        read.get().onComplete(ar -> {
            if (ar.succeeded()) {
                last.set(ar.result());
                if (condition.test(ar.result())) {
                    found.tryComplete(ar.result());
                    return;
                }
            }
            vertx.setTimer(RETRY_MS, t -> attempt(vertx, read, condition, found, last));
        });
    }
}
