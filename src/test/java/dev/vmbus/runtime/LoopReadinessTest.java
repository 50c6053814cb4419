package dev.vmbus.runtime;

import dev.vmbus.net.Readiness;
import dev.vmbus.os.Libc;
import dev.vmbus.os.Posix;
import dev.vmbus.os.SelectableFd;
import dev.vmbus.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * A descriptor the JDK cannot wrap (an eventfd) watched by a Vert.x event loop's own selector through
 * {@link SelectableFd} and {@link LoopReadiness}: each readiness runs in the context it was asked on; disabled,
 * nothing runs and the data waits; cancelled, nothing runs again; closing the selectable copy leaves the original
 * descriptor and its data alone. Needs no root.
 */
class LoopReadinessTest {

    @Test
    void anEventfdWakesTheContextItselfUntilCancelled() throws Exception {
        Vertx vertx = Vertx.vertx();
        int efd = Posix.eventfd();
        SelectableFd selectable = null;
        try (Arena arena = Arena.ofShared()) {
            Context context = vertx.getOrCreateContext();
            Readiness readiness = LoopReadiness.of(context);
            assertNotNull(readiness, "an event-loop context on NIO can watch a channel");
            selectable = SelectableFd.of(efd);
            MemorySegment buffer = arena.allocate(8);
            MemorySegment capture = Libc.errnoBuffer(arena);
            Queue<Long> counts = new ConcurrentLinkedQueue<>();
            Queue<Context> contexts = new ConcurrentLinkedQueue<>();
            Readiness.Watch watch = readiness.watch(selectable.channel(), selectable.readyOps(), () -> {
                contexts.add(Vertx.currentContext());
                if (Posix.read(efd, buffer, 8, capture) == 8) { // reads the counter and resets it
                    counts.add(buffer.get(ValueLayout.JAVA_LONG, 0));
                }
            });

            assertEquals(8, Posix.writeLong(efd, 5));
            assertEquals(5L, await("the loop reads what the descriptor holds").atMost(10, TimeUnit.SECONDS)
                    .until(counts::poll, Objects::nonNull));
            assertSame(context, contexts.poll(), "readiness runs in the context it was asked on");

            watch.enabled(false);
            // a readiness the loop dispatched before that may still be running; the context's next task runs after it
            OnContext.run(context, () -> { }).await(10, TimeUnit.SECONDS);
            counts.clear();
            assertEquals(8, Posix.writeLong(efd, 7));
            await("nothing runs while disabled").during(300, TimeUnit.MILLISECONDS).atMost(5, TimeUnit.SECONDS)
                    .until(counts::isEmpty);
            watch.enabled(true);
            assertEquals(7L, await("the data waited and is read once enabled").atMost(10, TimeUnit.SECONDS)
                    .until(counts::poll, Objects::nonNull));

            watch.cancel();
            OnContext.run(context, () -> { }).await(10, TimeUnit.SECONDS);
            counts.clear();
            assertEquals(8, Posix.writeLong(efd, 9));
            await("nothing runs after cancel").during(300, TimeUnit.MILLISECONDS).atMost(5, TimeUnit.SECONDS)
                    .until(counts::isEmpty);
            selectable.close();
            selectable.close(); // idempotent
            assertEquals(8, Posix.read(efd, buffer, 8, capture), "the original descriptor still works");
            assertEquals(9L, buffer.get(ValueLayout.JAVA_LONG, 0));
        } finally {
            if (selectable != null) {
                selectable.close();
            }
            Posix.close(efd);
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }
}
