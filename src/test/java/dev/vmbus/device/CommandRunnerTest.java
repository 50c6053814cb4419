package dev.vmbus.device;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A command killed at its timeout goes with everything it started (a VSS hook, a shutdown command). */
class CommandRunnerTest {
    private final Vertx vertx = Vertx.vertx();
    private long leftover = -1;

    @TempDir
    Path tmp;

    @AfterEach
    void stop() throws Exception {
        if (leftover > 0) {
            ProcessHandle.of(leftover).ifPresent(ProcessHandle::destroyForcibly);
        }
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    /**
     * A hook that starts a background process and then hangs ({@code sh -c 'sleep 100 & sleep 100'}): at the
     * timeout its background process is killed too. Killing the shell alone left it running for its 100 s, holding
     * the output pipe and the worker's reader thread (audit29 finding 6).
     */
    @Test
    void aCommandKilledAtItsTimeoutTakesItsChildrenWithIt() throws Exception {
        Path pid = tmp.resolve("pid");
        CommandRunner.Result r = new CommandRunner(vertx).run(List.of("sh", "-c",
                "sleep 100 & echo $! > " + pid + "; sleep 100"), 3000).await(20, TimeUnit.SECONDS);
        assertTrue(r.timedOut(), r.summary());
        assertEquals(-1, r.exitCode(), r.summary());
        leftover = Long.parseLong(Files.readString(pid).strip());
        await("the background sleep killed").atMost(10, TimeUnit.SECONDS)
                .until(() -> ProcessHandle.of(leftover).map(ProcessHandle::isAlive).orElse(false) == Boolean.FALSE);
        assertEquals(Optional.empty(), ProcessHandle.of(leftover).filter(ProcessHandle::isAlive));
    }

    @Test
    void aCommandThatEndsInTimeKeepsItsStatusAndOutput() throws Exception {
        CommandRunner.Result r = new CommandRunner(vertx).run(List.of("sh", "-c", "echo hi; exit 3"), 10_000)
                .await(20, TimeUnit.SECONDS);
        assertEquals(3, r.exitCode());
        assertEquals("hi\n", r.output());
        assertTrue(!r.timedOut() && !r.succeeded(), r.summary());
    }
}
