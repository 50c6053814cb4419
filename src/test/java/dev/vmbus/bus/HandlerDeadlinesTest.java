package dev.vmbus.bus;

import dev.vmbus.channel.EndReason;
import dev.vmbus.runtime.HandlerFailure;
import dev.vmbus.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The direct line's handler timeout: one timer, armed only while a packet waits for its device. */
class HandlerDeadlinesTest {
    private final Vertx vertx = Vertx.vertx();
    private final Context context = vertx.getOrCreateContext();

    @AfterEach
    void close() throws Exception {
        vertx.close().await(5, TimeUnit.SECONDS);
    }

    private <T> T on(Supplier<T> work) throws Exception {
        return OnContext.supply(context, work).await(10, TimeUnit.SECONDS);
    }

    /** An idle channel keeps no timer: the last one woke the idle agent once per timeout and channel for nothing. */
    @Test
    void theTimerIsCancelledOnceEveryPacketIsAnswered() throws Exception {
        HandlerDeadlines deadlines = new HandlerDeadlines(vertx, 60_000, "probe");
        Promise<Void> first = Promise.promise();
        Promise<Void> second = Promise.promise();
        assertFalse(on(deadlines::armed), "nothing waits yet");
        assertTrue(on(() -> {
            deadlines.watch(first);
            deadlines.watch(second);
            return deadlines.armed();
        }));
        assertTrue(on(() -> {
            first.complete();
            deadlines.unwatchAnswered();
            return deadlines.armed();
        }), "the second packet still waits");
        assertFalse(on(() -> {
            second.complete();
            deadlines.unwatchAnswered();
            return deadlines.armed();
        }), "every packet answered: no timer");
        assertTrue(on(() -> {
            deadlines.watch(Promise.promise());
            return deadlines.armed();
        }), "the next packet arms it again");
    }

    @Test
    void aPacketLeftUnansweredFailsWithTheTimeoutAndDisarmsTheTimer() throws Exception {
        HandlerDeadlines deadlines = new HandlerDeadlines(vertx, 50, "probe");
        Promise<Void> answered = Promise.promise();
        Promise<Void> stuck = Promise.promise();
        Promise<Throwable> failure = Promise.promise();
        on(() -> {
            stuck.future().onFailure(failure::complete);
            deadlines.watch(answered);
            deadlines.watch(stuck);
            answered.complete();
            deadlines.unwatchAnswered();
            return null;
        });
        Throwable t = failure.future().await(10, TimeUnit.SECONDS);
        assertTrue(t instanceof HandlerFailure, String.valueOf(t));
        assertEquals(EndReason.Kind.HANDLER_TIMED_OUT, ((HandlerFailure) t).reason().kind());
        assertTrue(t.getMessage().contains("handler 'probe' did not answer a packet within 50 ms"), t.getMessage());
        assertFalse(on(() -> {
            deadlines.unwatchAnswered();
            return deadlines.armed();
        }), "nothing waits after the timeout");
    }
}
