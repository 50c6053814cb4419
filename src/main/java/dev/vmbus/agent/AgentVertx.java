package dev.vmbus.agent;

import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;

import java.util.concurrent.TimeUnit;

/**
 * The one {@link VertxOptions} of every command that starts the agent or its simulated host ({@code run},
 * {@code host}, {@code bench}) and of the bare baseline ({@link BareVertx}), sized for a small daemon.
 * docs/benchmarks/footprint.md gives the figure each setting moved. Stateless.
 */
public final class AgentVertx {
    /**
     * One event loop: a guest has a handful of channels that each see a few packets a second; one thread
     * serves them all, and the channel verticle, its handler and (on sim) the host then share a thread, so a
     * round trip needs no cross-thread wake-up.
     */
    static final int EVENT_LOOPS = 1;
    /**
     * Two workers: file copy, KVP pool writes and the shutdown/VSS commands block a worker; two let a slow
     * command not hold up KVP. Threads are only created when first needed.
     */
    static final int WORKERS = 2;
    /** Vert.x's own blocking work (file system, DNS): one thread, created on first use. */
    static final int INTERNAL_BLOCKING = 1;
    /**
     * The blocked-thread checker is a timer thread Vert.x always starts, and each of its wake-ups costs an idle
     * agent about 0.6 ms of CPU (docs/benchmarks/footprint.md, "Idle CPU"); checking every 10 s instead of every
     * second still reports an event loop blocked past {@link #MAX_EVENT_LOOP_MS}, within 12 s, with 10x fewer
     * wake-ups. Under systemd the watchdog ({@code EventLoopWatchdog}) restarts an agent whose loop stays stuck.
     */
    static final long BLOCKED_CHECK_MS = 10_000;
    static final long MAX_EVENT_LOOP_MS = 2_000;
    /**
     * Netty 4.2's event loop, with no task scheduled, bounds its wait for I/O at one second
     * ({@code SingleThreadEventExecutor.delayNanos} returns its {@code SCHEDULE_PURGE_INTERVAL}), so an idle loop
     * woke every second for nothing: half the wake-ups of an idle agent whose host sends a heartbeat every 2 s
     * (docs/benchmarks/footprint.md, "Idle CPU"). A do-nothing task this far ahead on every loop lets it wait until
     * its next real timer or I/O instead; cancelling a timer from its loop takes it off the queue at once, so
     * nothing is left that needs that purge.
     */
    static final long IDLE_WAIT_HOURS = 1;

    private AgentVertx() {
    }

    public static VertxOptions options() {
        return new VertxOptions()
                .setEventLoopPoolSize(EVENT_LOOPS)
                .setWorkerPoolSize(WORKERS)
                .setInternalBlockingPoolSize(INTERNAL_BLOCKING)
                .setBlockedThreadCheckInterval(BLOCKED_CHECK_MS)
                .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
                .setMaxEventLoopExecuteTime(MAX_EVENT_LOOP_MS)
                .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS);
    }

    public static Vertx create() {
        Vertx vertx = Vertx.vertx(options());
        for (EventExecutor loop : ((VertxInternal) vertx).nettyEventLoopGroup()) {
            loop.scheduleAtFixedRate(() -> { }, IDLE_WAIT_HOURS, IDLE_WAIT_HOURS, TimeUnit.HOURS);
        }
        return vertx;
    }
}
