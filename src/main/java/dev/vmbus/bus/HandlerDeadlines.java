package dev.vmbus.bus;

import dev.vmbus.channel.EndReason;
import dev.vmbus.runtime.HandlerFailure;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The handler timeout of a channel's direct line ({@link ChannelVerticle}): each packet handed to the device waits
 * here, oldest first, and its answer fails with {@link EndReason.Kind#HANDLER_TIMED_OUT} (which faults the channel)
 * if it is not back by its deadline. One timer watches them all. Touched only on the channel's context.
 */
final class HandlerDeadlines {
    /**
     * The time and the timers the deadlines run on: {@link #of(Vertx)} in the agent; a test moves its own on by
     * hand to make a handler timeout pass without waiting for it.
     */
    interface Clock {
        long nanoTime();

        /** Runs {@code fire} on the calling (the channel's) context once {@code delayMs} have passed; the timer's id. */
        long setTimer(long delayMs, Runnable fire);

        void cancelTimer(long id);

        /** {@link System#nanoTime()} and Vert.x's timers. */
        static Clock of(Vertx vertx) {
            return new Clock() {
                @Override
                public long nanoTime() {
                    return System.nanoTime();
                }

                @Override
                public long setTimer(long delayMs, Runnable fire) {
                    return vertx.setTimer(delayMs, t -> fire.run());
                }

                @Override
                public void cancelTimer(long id) {
                    vertx.cancelTimer(id);
                }
            };
        }
    }

    private record Waiting(long deadlineNanos, Promise<?> answer) {
    }

    private final Clock clock;
    private final long timeoutMs;
    private final String handlerName;
    /** Packets with the device, oldest first. */
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    /** The timer for the oldest waiting packet's deadline, or -1 while nothing waits. */
    private long timer = -1;

    HandlerDeadlines(Vertx vertx, long timeoutMs, String handlerName) {
        this(Clock.of(vertx), timeoutMs, handlerName);
    }

    HandlerDeadlines(Clock clock, long timeoutMs, String handlerName) {
        this.clock = clock;
        this.timeoutMs = timeoutMs;
        this.handlerName = handlerName;
    }

    /** Fails {@code answer} if the device has not answered within the handler timeout. */
    void watch(Promise<?> answer) {
        waiting.add(new Waiting(clock.nanoTime() + timeoutMs * 1_000_000L, answer));
        if (timer < 0) {
            timer = clock.setTimer(timeoutMs, this::overdue);
        }
    }

    /**
     * Drops the answered packets at the head, and cancels the timer once nothing waits. Left armed, it woke the
     * idle agent's event loop once per handler timeout and channel for nothing (a heartbeat every 2 s keeps its
     * channel's timer armed for good), which costs more than setting and cancelling one per packet once the path
     * is compiled (docs/benchmarks/footprint.md, "Idle CPU").
     */
    void unwatchAnswered() {
        while (!waiting.isEmpty() && waiting.peek().answer().future().isComplete()) {
            waiting.poll();
        }
        if (waiting.isEmpty() && timer >= 0) {
            clock.cancelTimer(timer);
            timer = -1;
        }
    }

    /** Whether the deadline timer is armed (for tests; on the channel's context). */
    boolean armed() {
        return timer >= 0;
    }

    /** The timer fired: every packet past its deadline fails (faulting the channel); re-armed for the next. */
    private void overdue() {
        timer = -1;
        long now = clock.nanoTime();
        List<Waiting> late = new ArrayList<>();
        for (Waiting w : waiting) {
            if (now - w.deadlineNanos() >= 0) {
                late.add(w);
            }
        }
        // failing one runs its continuation now, which takes answered packets off the queue: not while iterating it
        for (Waiting w : late) {
            w.answer().tryFail(new HandlerFailure(EndReason.of(EndReason.Kind.HANDLER_TIMED_OUT, "handler '"
                    + handlerName + "' did not answer a packet within " + timeoutMs + " ms")));
        }
        unwatchAnswered();
        if (!waiting.isEmpty() && timer < 0) {
            long ms = Math.max(1, (waiting.peek().deadlineNanos() - now + 999_999) / 1_000_000);
            timer = clock.setTimer(ms, this::overdue);
        }
    }
}
