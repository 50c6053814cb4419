package dev.vmbus.transport;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnContextTest {
    private final Vertx vertx = Vertx.vertx();
    private final Context context = vertx.getOrCreateContext();

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void runsOnTheContextAndHandsBackTheOutcome() throws Exception {
        assertEquals("ran on it", OnContext.call(context,
                () -> Future.succeededFuture(Vertx.currentContext() == context ? "ran on it" : "ran elsewhere"))
                .await(10, TimeUnit.SECONDS));
        assertEquals(Boolean.TRUE, OnContext.supply(context, () -> Vertx.currentContext() == context)
                .await(10, TimeUnit.SECONDS));
        assertNull(OnContext.supply(context, () -> null).await(10, TimeUnit.SECONDS));
        AtomicBoolean ran = new AtomicBoolean();
        OnContext.run(context, () -> ran.set(Vertx.currentContext() == context)).await(10, TimeUnit.SECONDS);
        assertTrue(ran.get());
    }

    @Test
    void whatTheTaskThrowsOrFailsWithFailsTheFuture() {
        IllegalStateException thrown = new IllegalStateException("thrown");
        Future<Object> f = OnContext.call(context, () -> {
            throw thrown;
        });
        assertSame(thrown, assertThrows(IllegalStateException.class, () -> f.await(10, TimeUnit.SECONDS)));
        IllegalArgumentException failed = new IllegalArgumentException("failed");
        Future<Object> g = OnContext.call(context, () -> Future.failedFuture(failed));
        assertSame(failed, assertThrows(IllegalArgumentException.class, () -> g.await(10, TimeUnit.SECONDS)));
        Future<Void> r = OnContext.run(context, () -> {
            throw new AssertionError("an error too");
        });
        assertEquals("an error too", assertThrows(Throwable.class, () -> r.await(10, TimeUnit.SECONDS)).getMessage());
        Future<Object> none = OnContext.call(context, () -> null);
        assertThrows(NullPointerException.class, () -> none.await(10, TimeUnit.SECONDS));
    }

    /** Called on the context itself, the task still waits its turn: it sees what the caller did after calling. */
    @Test
    void queuedEvenFromTheContextItself() throws Exception {
        AtomicBoolean callerDone = new AtomicBoolean();
        Future<Boolean> sawCallerDone = OnContext.call(context, () -> {
            Future<Boolean> inner = OnContext.supply(context, callerDone::get);
            callerDone.set(true);
            return inner;
        });
        assertEquals(Boolean.TRUE, sawCallerDone.await(10, TimeUnit.SECONDS));
    }
}
