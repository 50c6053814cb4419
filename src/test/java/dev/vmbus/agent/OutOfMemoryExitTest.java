package dev.vmbus.agent;

import dev.vmbus.bench.JvmOptions;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With the agent's JVM options ({@code conf/jvm.options}, as scripts/run.sh and the packaged launcher pass them), a
 * heap exhausted on an event loop ends the process (status 3), so systemd starts the agent again. It used to end
 * only the handler or drain pass it hit, leaving a channel silent in a process that still told the watchdog it was
 * alive (audit31 finding 1).
 */
class OutOfMemoryExitTest {
    @org.junit.jupiter.api.io.TempDir
    Path tmp;

    /** Fills the heap from a Vert.x event loop, as a handler that leaks would; exits 0 if still alive after 60 s. */
    public static void main(String[] args) throws Exception {
        Vertx vertx = Vertx.vertx();
        List<byte[]> held = new ArrayList<>();
        vertx.runOnContext(v -> {
            for (int i = 0; i < 100_000; i++) {
                held.add(new byte[1 << 20]);
            }
        });
        Thread.sleep(60_000); // pacing: nothing to wait for; the JVM should have exited long before
        System.out.println("still alive with " + held.size() + " MB held");
        System.exit(0);
    }

    @Test
    void aHeapExhaustedOnAnEventLoopEndsTheAgentsJvm() throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JvmOptions.read(Path.of("conf/jvm.options")));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), OutOfMemoryExitTest.class.getName()));
        Path log = tmp.resolve("jvm.log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean ended;
        try {
            ended = p.waitFor(50, TimeUnit.SECONDS);
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
        String output = java.nio.file.Files.readString(log);
        assertTrue(ended, "the JVM did not end: " + output);
        assertEquals(3, p.exitValue(), output);
        assertTrue(output.contains("Terminating due to java.lang.OutOfMemoryError"), output);
    }
}
