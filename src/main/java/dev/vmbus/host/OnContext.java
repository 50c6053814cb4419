package dev.vmbus.host;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.function.Supplier;

/** Runs a host device's public operation on the host's context, whichever thread calls it. */
final class OnContext {
    private OnContext() {
    }

    static <T> Future<T> call(Context context, Supplier<Future<T>> task) {
        Promise<T> result = Promise.promise();
        context.runOnContext(v -> {
            try {
                task.get().onComplete(result);
            } catch (RuntimeException e) {
                result.fail(e);
            }
        });
        return result.future();
    }
}
