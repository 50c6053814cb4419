package dev.vmbus.transport.uio;

import dev.vmbus.agent.Agent;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * What the end-to-end tests of the whole agent on a uio fixture tree share: the tree's directory, the agent and the
 * simulated host's own Vert.x, both closed after each test (the agent first, so its channels end before the host's).
 */
abstract class UioAgentTest {
    @TempDir
    Path tmp;
    Vertx hostVertx;
    Agent agent;

    @AfterEach
    void closeAgentThenHost() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (hostVertx != null) {
            hostVertx.close().await(10, TimeUnit.SECONDS);
        }
    }
}
