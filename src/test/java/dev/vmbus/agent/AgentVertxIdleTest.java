package dev.vmbus.agent;

import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An idle event loop of {@link AgentVertx#create()} sleeps until there is something to do: Netty 4.2's loop
 * otherwise woke once a second when it had no timer (docs/benchmarks/footprint.md, "Idle CPU"). Counted by the
 * kernel: the loop thread's times scheduled, the third field of {@code /proc/self/task/TID/schedstat}.
 */
class AgentVertxIdleTest {
    @Test
    void anIdleEventLoopDoesNotWakeEverySecond() throws Exception {
        Vertx vertx = AgentVertx.create();
        try {
            for (EventExecutor loop : ((VertxInternal) vertx).nettyEventLoopGroup()) {
                // the loop's own thread id, from the loop itself
                Promise<Path> own = Promise.promise();
                loop.execute(() -> {
                    try {
                        own.complete(Path.of("/proc/self/task").resolve(
                                Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName()));
                    } catch (Exception e) {
                        own.fail(e);
                    }
                });
                Path task = own.future().await(10, TimeUnit.SECONDS);
                long before = timesRun(task);
                // three of the old one-second waits; nothing is scheduled on the loop and no I/O arrives
                Thread.sleep(3_200); // pacing: the idle time measured
                long after = timesRun(task);
                // the old loop ran three times (plus once to finish the task above); one spare for the kernel
                assertTrue(after - before <= 1, "the idle loop " + task + " ran " + (after - before) + " times");
            }
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    private static long timesRun(Path task) throws Exception {
        return Long.parseLong(Files.readString(task.resolve("schedstat")).trim().split(" ")[2]);
    }
}
