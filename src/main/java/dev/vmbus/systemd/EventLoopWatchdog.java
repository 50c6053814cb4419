package dev.vmbus.systemd;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Predicate;

/**
 * systemd's watchdog fed by the event loops themselves: a timer on every event loop of the Vert.x instance
 * records that its loop ran, every half of the watchdog interval (as sd_watchdog_enabled(3) recommends; each
 * check-in wakes an idle agent, docs/benchmarks/footprint.md "Idle CPU"), and {@code WATCHDOG=1} is sent only when
 * every loop has checked in within three quarters of it. One stalled loop (a handler blocking its thread) therefore
 * stops the pings, and systemd
 * restarts the agent after {@code WatchdogSec}, which is the point: a channel on that loop is no longer drained.
 * Every loop of the group is watched, not only those with a channel now, since Vert.x may put the next channel on
 * any of them.
 *
 * <p>Thread use: each timer runs on its own event loop and touches only its own slot of {@link #checkIns} and the
 * atomic {@link #lastPing}; the loop that completes a round sends the ping (non-blocking). Made for concurrent use.
 */
public final class EventLoopWatchdog implements AutoCloseable {
    private final List<EventExecutor> loops = new ArrayList<>();
    private final AtomicLongArray checkIns;
    private final AtomicLong lastPing = new AtomicLong(Long.MIN_VALUE);
    private final List<ScheduledFuture<?>> timers = new ArrayList<>();
    private final long tickNanos;
    private final long windowNanos;
    private final Predicate<String> notify;

    /**
     * @param watchdogUsec systemd's {@code WATCHDOG_USEC}: pings come about every half of it, and a loop that
     *                     has not run for three quarters of it holds them back
     * @param notify       sends a notify message; must not block (see {@link SystemdNotify#send})
     */
    public EventLoopWatchdog(Vertx vertx, long watchdogUsec, Predicate<String> notify) {
        this.notify = notify;
        long intervalNanos = TimeUnit.MICROSECONDS.toNanos(watchdogUsec);
        this.tickNanos = Math.max(1, intervalNanos / 2);
        this.windowNanos = Math.max(2, intervalNanos / 4 * 3);
        for (EventExecutor loop : ((VertxInternal) vertx).nettyEventLoopGroup()) {
            loops.add(loop);
        }
        checkIns = new AtomicLongArray(loops.size());
    }

    /** How many event loops are watched. */
    public int loops() {
        return loops.size();
    }

    /** Starts a check-in timer on every loop; the first pings follow as soon as each loop has run once. */
    public synchronized void start() {
        long now = System.nanoTime();
        for (int i = 0; i < loops.size(); i++) {
            checkIns.set(i, now - windowNanos - 1); // not checked in until the loop's own timer has run
            int slot = i;
            timers.add(loops.get(i).scheduleAtFixedRate(() -> checkIn(slot), 0, tickNanos, TimeUnit.NANOSECONDS));
        }
    }

    /** On loop {@code slot}: record that it ran, and ping if every loop is recent and no ping went out this round. */
    private void checkIn(int slot) {
        long now = System.nanoTime();
        checkIns.set(slot, now);
        for (int i = 0; i < checkIns.length(); i++) {
            if (now - checkIns.get(i) > windowNanos) {
                return; // that loop has not run lately: no ping, so systemd notices if it stays stuck
            }
        }
        long last = lastPing.get();
        // half a tick, not a whole one: a check-in that comes a little early against the last ping (timer jitter)
        // must not skip its round, since the next one is a whole watchdog interval after that ping
        if ((last == Long.MIN_VALUE || now - last >= tickNanos / 2) && lastPing.compareAndSet(last, now)) {
            notify.test("WATCHDOG=1");
        }
    }

    @Override
    public synchronized void close() {
        timers.forEach(t -> t.cancel(false));
        timers.clear();
    }
}
