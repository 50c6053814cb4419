package dev.vmbus.cli;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** {@code vmbus ...} as a real child process (this test JVM's class path), with its output collected. */
public final class VmbusProcess implements AutoCloseable {
    final Process process;
    public final List<String> lines = new CopyOnWriteArrayList<>();
    private final Thread reader;

    public VmbusProcess(String... args) throws IOException {
        this(Map.of(), args);
    }

    /** With {@code env} added to this JVM's environment. */
    public VmbusProcess(Map<String, String> env, String... args) throws IOException {
        this(command(List.of("--enable-native-access=ALL-UNNAMED"), System.getProperty("java.class.path"), args),
                env, false);
    }

    /** With these JVM options (e.g. those of conf/jvm.options) before the class path. */
    public VmbusProcess(List<String> jvmOptions, String... args) throws IOException {
        this(command(jvmOptions, System.getProperty("java.class.path"), args), Map.of(), false);
    }

    /** With these JVM options and this class path. */
    static VmbusProcess withClassPath(List<String> jvmOptions, String classPath, String... args) throws IOException {
        return new VmbusProcess(command(jvmOptions, classPath, args), Map.of(), false);
    }

    private static List<String> command(List<String> jvmOptions, String classPath, String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", classPath, Vmbus.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * Any command, e.g. an installed {@code /usr/bin/vmbus}; {@code env} is added to this JVM's environment, or
     * is the whole environment when {@code clearEnvironment}.
     */
    public VmbusProcess(List<String> command, Map<String, String> env, boolean clearEnvironment) throws IOException {
        this(command, env, clearEnvironment, null);
    }

    /** {@code vmbus ARGS} on this JVM's class path, with these JVM options, in the working directory {@code dir}. */
    static VmbusProcess in(java.nio.file.Path dir, List<String> jvmOptions, String... args) throws IOException {
        List<String> options = new ArrayList<>(List.of("--enable-native-access=ALL-UNNAMED"));
        options.addAll(jvmOptions);
        return new VmbusProcess(command(options, System.getProperty("java.class.path"), args), Map.of(), false, dir);
    }

    private VmbusProcess(List<String> command, Map<String, String> env, boolean clearEnvironment, java.nio.file.Path dir)
            throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (dir != null) {
            builder.directory(dir.toFile());
        }
        if (clearEnvironment) {
            builder.environment().clear();
        }
        builder.environment().putAll(env);
        process = builder.start();
        reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    lines.add(l);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
    }

    /** Waits until a line contains {@code text} (0: is there already); fails with the whole output otherwise. */
    String await(String text, long timeoutMs) {
        Optional<String> now = line(text);
        if (now.isPresent()) {
            return now.get(); // checked here first: Awaitility may time out a very short wait before it looks at all
        }
        try {
            if (timeoutMs > 0) {
                return Awaitility.await("a line containing '" + text + "'").pollInterval(Duration.ofMillis(20))
                        .atMost(Duration.ofMillis(timeoutMs)).until(() -> line(text), Optional::isPresent).orElseThrow();
            }
        } catch (ConditionTimeoutException e) {
            // reported below, with the output
        }
        throw new AssertionError("no line containing '" + text + "' within " + timeoutMs + " ms; output:\n"
                + String.join("\n", lines));
    }

    private Optional<String> line(String text) {
        return lines.stream().filter(l -> l.contains(text)).findFirst();
    }

    boolean has(String text) {
        return lines.stream().anyMatch(l -> l.contains(text));
    }

    /** SIGTERM, then the exit status (fails if the process does not exit within {@code timeoutMs}). */
    public int terminate(long timeoutMs) throws InterruptedException {
        sigterm();
        return exitStatus(timeoutMs);
    }

    /** Sends SIGTERM and returns at once. */
    void sigterm() {
        // Through the handle: Process.destroy() would also close our end of the output pipe.
        process.toHandle().destroy();
    }

    /** The exit status, once the process has exited (fails if it does not within {@code timeoutMs}). */
    int exitStatus(long timeoutMs) throws InterruptedException {
        if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("did not exit within " + timeoutMs + " ms of SIGTERM; output:\n"
                    + String.join("\n", lines));
        }
        reader.join(5_000); // the last lines are still in the pipe when the process has exited
        return process.exitValue();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
