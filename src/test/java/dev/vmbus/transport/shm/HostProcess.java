package dev.vmbus.transport.shm;

import io.vertx.core.Promise;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A test's simulated host in its own JVM: runs {@code main} on this test's class path, waits (at most 30 s) for it
 * to print {@code READY}, and keeps copying its output to this JVM's output (prefixed {@code host: }) so that a
 * talkative host never blocks on a full pipe. {@link #close()} kills it.
 */
public final class HostProcess implements AutoCloseable {
    private static final long READY_TIMEOUT_S = 30;
    private final Process process;

    private HostProcess(Process process) {
        this.process = process;
    }

    /** Starts {@code main} with {@code args} and returns once it printed {@code READY}; fails (and kills it) if it ends or is slow. */
    public static HostProcess start(Class<?> main, String... args) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Promise<Void> ready = Promise.promise();
        Thread reader = Thread.ofPlatform().daemon().name("host-output-" + main.getSimpleName()).start(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    if (!ready.future().isComplete() && line.equals("READY")) {
                        ready.complete();
                    } else {
                        System.out.println("host: " + line);
                    }
                }
                ready.tryFail(new IllegalStateException(main.getSimpleName()
                        + " ended before READY, exit " + process.waitFor()));
            } catch (IOException | UncheckedIOException e) {
                ready.tryFail(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ready.tryFail(e);
            }
        });
        try {
            ready.future().await(READY_TIMEOUT_S, TimeUnit.SECONDS);
        } catch (Exception e) { // the timeout, or what ended the host before READY
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            reader.interrupt();
            throw new AssertionError("host process " + main.getSimpleName() + " did not start: "
                    + (e instanceof TimeoutException ? "no READY within " + READY_TIMEOUT_S + " s" : e.getMessage()), e);
        }
        return new HostProcess(process);
    }

    /** Kills the host and waits (at most 10 s) for it to go. */
    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
}
