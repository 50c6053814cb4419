package dev.vmbus.transport;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.function.Supplier;

/**
 * The one way this project runs a piece of work on a given Vert.x context from any thread and hands back its
 * outcome as a {@link Future}: the work is queued on the context (never run inline, even when the caller is
 * already on it, so it keeps its place behind what was queued before), and whatever it throws fails the future
 * instead of being lost on the event loop. It lives in the lowest package that may use Vert.x, so every layer
 * above, the test kit and the tests share it.
 */
public final class OnContext {
    private OnContext() {
    }

    /** Runs {@code task} on {@code context}; the future it returns decides the outcome. */
    public static <T> Future<T> call(Context context, Supplier<Future<T>> task) {
        Promise<T> result = Promise.promise();
        context.runOnContext(v -> {
            Future<T> future;
            try {
                future = task.get();
            } catch (Throwable e) {
                result.fail(e);
                return;
            }
            if (future == null) {
                result.fail(new NullPointerException("the task run on the context returned no future"));
            } else {
                future.onComplete(result);
            }
        });
        return result.future();
    }

    /** Runs {@code task} on {@code context}; its value (which may be null) is the outcome. */
    public static <T> Future<T> supply(Context context, Supplier<T> task) {
        return call(context, () -> Future.succeededFuture(task.get()));
    }

    /** Runs {@code task} on {@code context}; the outcome is that it ran, or what it threw. */
    public static Future<Void> run(Context context, Runnable task) {
        return call(context, () -> {
            task.run();
            return Future.succeededFuture();
        });
    }
}
