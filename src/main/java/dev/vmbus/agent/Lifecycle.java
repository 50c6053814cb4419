package dev.vmbus.agent;

import dev.vmbus.systemd.SystemdNotify;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Process life cycle for long-running commands: one-line log format, and SIGTERM / SIGINT turned into an
 * orderly close (every channel closed, so the host sees {@code close} for each) and exit status 0.
 */
public final class Lifecycle {
    private static final Logger LOG = Logger.getLogger(Lifecycle.class.getName());
    /**
     * How long an orderly close may take before the process exits anyway: what a backup's freeze still running at
     * the stop may take, then its thaw (VSS's budgets, 20 + 8 s), with a margin. The file systems must never be
     * left frozen behind the agent; an orderly close with nothing running takes milliseconds. Below the unit's
     * {@code TimeoutStopSec} (45 s), after which systemd kills.
     */
    static final long CLOSE_TIMEOUT_MS = 30_000;
    /** How long Vert.x may take to close once the agent's own close is done. */
    static final long VERTX_CLOSE_TIMEOUT_MS = 5_000;

    private final CountDownLatch done = new CountDownLatch(1);

    private Lifecycle() {
    }

    /**
     * Netty's loggers of its network-interface discovery. In a network namespace with no interface up (the NIC
     * between two namespaces, README "The synthetic NIC"), each process logged three WARNINGs and a 30-line stack
     * trace at start: no interfaces to list, no loopback interface (Netty falls back to 127.0.0.1 and ::1), no
     * hardware address (its channel ids take random bytes). Nothing here depends on either fallback, so only
     * their SEVERE records are kept. Held here: java.util.logging keeps loggers weakly, with their levels.
     */
    private static final Logger[] NETTY_INTERFACE_DISCOVERY = {
        Logger.getLogger("io.netty.util.NetUtilInitializations"),
        Logger.getLogger("io.netty.util.internal.MacAddressUtil"),
    };

    /** Sets the log format and quiets Netty's interface discovery; call before the first logger is used. */
    public static void initLogging() {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format",
                    "%1$tF %1$tT.%1$tL %4$-7s [%3$s] %5$s%6$s%n");
        }
        for (Logger l : NETTY_INTERFACE_DISCOVERY) {
            l.setLevel(Level.SEVERE);
        }
    }

    /** Runs until SIGTERM or SIGINT, then runs {@code close} (bounded by a timeout) and closes Vert.x. */
    public static int runUntilSignalled(Vertx vertx, Supplier<Future<?>> close) throws InterruptedException {
        return runUntilSignalled(vertx, close, SystemdNotify.disabled());
    }

    /** As above, telling systemd {@code STOPPING=1} as soon as the signal arrives. */
    public static int runUntilSignalled(Vertx vertx, Supplier<Future<?>> close, SystemdNotify notify) throws InterruptedException {
        return runUntilSignalled(vertx, close, notify, () -> { });
    }

    /**
     * As above, running {@code handling} once SIGTERM and SIGINT are handled (e.g. to log that the process is
     * running: a signal sent on that line must close in order, not kill the JVM with status 143).
     */
    public static int runUntilSignalled(Vertx vertx, Supplier<Future<?>> close, SystemdNotify notify,
                                        Runnable handling) throws InterruptedException {
        Lifecycle lifecycle = new Lifecycle();
        java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable onSignal = () -> {
            notify.send("STOPPING=1\nSTATUS=closing every channel");
            LOG.info("signal received; closing every channel");
            try {
                close.get().await(CLOSE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.warning("orderly close did not finish: " + e);
            }
            try {
                // Called from this plain thread, so the close future completes here, not on a dead event loop.
                vertx.close().await(VERTX_CLOSE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.warning("Vert.x did not close in time: " + e);
            }
            lifecycle.done.countDown();
        };
        for (String name : new String[] {"TERM", "INT"}) {
            // One orderly close however many signals arrive (timeout(1) and shells send TERM to the whole group).
            sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
                if (closing.compareAndSet(false, true)) {
                    Thread.ofPlatform().start(onSignal);
                }
            });
        }
        handling.run();
        lifecycle.done.await();
        LOG.info("stopped");
        return 0;
    }
}
