package dev.vmbus.transport;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

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

    /**
     * {@code future}'s outcome, completed on {@code context}: at once when {@code future} completes there, else
     * by a task queued there. Listeners added to the returned future before it completes run on the context's
     * thread. A Vert.x future made without a context ({@code Promise.promise()}, {@code Future.all}, and what
     * {@code compose} or {@code map} derive from them) runs its listeners on whichever thread completes it;
     * this brings the continuation home.
     */
    public static <T> Future<T> deliver(Context context, Future<T> future) {
        Promise<T> result = Promise.promise();
        future.onComplete(ar -> {
            if (Vertx.currentContext() == context) {
                result.handle(ar);
            } else {
                context.runOnContext(v -> result.handle(ar));
            }
        });
        return result.future();
    }

    /** Runs {@code task} on {@code context}; the outcome is that it ran, or what it threw. */
    public static Future<Void> run(Context context, Runnable task) {
        return call(context, () -> {
            task.run();
            return Future.succeededFuture();
        });
    }
}
