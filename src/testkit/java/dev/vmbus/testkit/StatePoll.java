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
 * <p>Threads: the reads and timers run on a Vert.x context; {@link #untilAsync} may be called from any thread,
 * {@link #until} blocks the calling (test) thread.
 */
public final class StatePoll {
    private static final long RETRY_MS = 10;

    private StatePoll() {
    }

    static <T> T until(Vertx vertx, Supplier<Future<T>> read, Predicate<T> condition, String what) {
        ScriptedHost.refuseEventLoop(what);
        // the poll's own timer fails it first, with what it last saw
        return ScriptedHost.await(untilAsync(vertx, read, condition, what), what, ScriptedHost.TIMEOUT.plusSeconds(5));
    }

    /**
     * The first value {@code read} gives that satisfies {@code condition}; fails with an {@link AssertionError}
     * naming {@code what} and the last value seen when none does within {@link ScriptedHost#TIMEOUT}.
     */
    static <T> Future<T> untilAsync(Vertx vertx, Supplier<Future<T>> read, Predicate<T> condition, String what) {
        Promise<T> found = Promise.promise();
        AtomicReference<T> last = new AtomicReference<>();
        long timer = vertx.setTimer(ScriptedHost.TIMEOUT.toMillis(), t -> found.tryFail(new AssertionError(
                "timed out after " + ScriptedHost.TIMEOUT.toSeconds() + " s waiting for " + what + "; last seen: "
                        + last.get())));
        vertx.runOnContext(v -> attempt(vertx, read, condition, found, last));
        return found.future().onComplete(ar -> vertx.cancelTimer(timer));
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
