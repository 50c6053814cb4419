package dev.vmbus.agent;

import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * {@link Agent.Builder#simHostLoop}: on sim the host end runs on a Vert.x of its own (another thread than the
 * agent's event loop), which closes with the agent; without it the host end shares the agent's Vert.x.
 */
class SimHostLoopTest {
    private static final VmbusConfig CONFIG = ConfigLoader.parse("{\"dashboard\": {\"enabled\": false}}", "test");

    /** The host end's context, and the thread it runs on. */
    private record HostSeen(Context context, Thread thread) {
    }

    private static Agent start(Agent.Builder builder, Promise<HostSeen> seen) throws Exception {
        return builder.hostEnd((context, transport) -> {
            seen.complete(new HostSeen(context, Thread.currentThread()));
            return transport.start();
        }).start();
    }

    private static Thread agentThread(Vertx vertx) throws Exception {
        Promise<Thread> thread = Promise.promise();
        vertx.getOrCreateContext().runOnContext(v -> thread.complete(Thread.currentThread()));
        return thread.future().await(10, TimeUnit.SECONDS);
    }

    @Test
    void theHostEndRunsOnAVertxOfItsOwnThatClosesWithTheAgent() throws Exception {
        Promise<HostSeen> seen = Promise.promise();
        Agent agent = start(Agent.builder(CONFIG).handlers(List.of()).simHostLoop(true), seen);
        HostSeen host;
        try {
            host = seen.future().await(10, TimeUnit.SECONDS);
            assertNotSame(agent.vertx(), host.context().owner(), "the host end is on the agent's Vert.x");
            assertNotSame(agentThread(agent.vertx()), host.thread(), "the host end shares the agent's thread");
        } finally {
            agent.close();
        }
        await("the host's event loop ends with the agent").atMost(10, TimeUnit.SECONDS)
                .until(() -> !host.thread().isAlive());
    }

    @Test
    void withoutItTheHostEndSharesTheAgentsVertx() throws Exception {
        Promise<HostSeen> seen = Promise.promise();
        try (Agent agent = start(Agent.builder(CONFIG).handlers(List.of()), seen)) {
            assertSame(agent.vertx(), seen.future().await(10, TimeUnit.SECONDS).context().owner());
        }
    }
}
