package dev.vmbus.device;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs an action's command (shutdown, freeze, thaw, hooks) with {@link ProcessBuilder} on a worker thread, so
 * that the event loop never waits for a process. Output is kept in memory, never in a file: a VSS freeze runs
 * these commands while file systems may be frozen.
 */
public final class CommandRunner {
    /** How much of a command's output is kept for logs and the dashboard. */
    public static final int OUTPUT_LIMIT = 4096;

    private final Vertx vertx;

    public CommandRunner(Vertx vertx) {
        this.vertx = vertx;
    }

    /**
     * What a finished (or killed) command did.
     *
     * @param command    the command line
     * @param exitCode   its exit status; -1 if it was killed at the timeout
     * @param output     stdout and stderr, merged, at most {@link #OUTPUT_LIMIT} bytes
     * @param durationMs wall time from start to exit
     * @param timedOut   whether it was killed for taking too long
     */
    public record Result(List<String> command, int exitCode, String output, long durationMs, boolean timedOut) {
        public boolean succeeded() {
            return exitCode == 0 && !timedOut;
        }

        /** One line for logs: the command and how it ended. */
        public String summary() {
            String end = timedOut ? "killed after " + durationMs + " ms" : "exit " + exitCode + " in " + durationMs + " ms";
            String out = output.isBlank() ? "" : ": " + output.strip().replace('\n', ' ');
            return String.join(" ", command) + " (" + end + ")" + out;
        }
    }

    /**
     * Starts {@code command} on a worker and completes when it exits or has been killed, with every process it
     * started, after {@code timeoutMs};
     * fails only if it cannot be started at all (no such program, no permission).
     */
    public Future<Result> run(List<String> command, long timeoutMs) {
        List<String> line = List.copyOf(command);
        return vertx.executeBlocking(() -> runBlocking(line, timeoutMs), false);
    }

    private static Result runBlocking(List<String> command, long timeoutMs) throws IOException, InterruptedException {
        long started = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> drain(process.getInputStream(), output));
        boolean exited = process.waitFor(timeoutMs, TimeUnit.MILLISECONDS);
        if (!exited) {
            // its own children first, while they are still its (a hook's 'sh -c "a & b"'): killed alone, the shell
            // leaves them running, holding the output pipe and this worker's reader with it
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        reader.join(1000);
        long durationMs = (System.nanoTime() - started) / 1_000_000;
        String text;
        synchronized (output) {
            text = output.toString(StandardCharsets.UTF_8);
        }
        return new Result(command, exited ? process.exitValue() : -1, text, durationMs, !exited);
    }

    /** Reads everything (so the child never blocks on a full pipe) and keeps the first {@link #OUTPUT_LIMIT} bytes. */
    private static void drain(InputStream in, ByteArrayOutputStream into) {
        byte[] buffer = new byte[4096];
        try (in) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                synchronized (into) {
                    int keep = Math.min(n, OUTPUT_LIMIT - into.size());
                    if (keep > 0) {
                        into.write(buffer, 0, keep);
                    }
                }
            }
        } catch (IOException closed) {
            // the process was killed: what was read so far is the output
        }
    }
}
