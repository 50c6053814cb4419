package dev.vmbus.bench;

import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A JVM started by {@code vmbus bench footprint} or {@code vmbus bench net}: the java of this JVM, the JVM options, then what to run, with
 * its output going to a log file (no pipe, so no reader thread here and no blocked child). Used by one thread.
 */
public final class ChildJvm implements AutoCloseable {
    final String name;
    final Process process;
    final long startedNanos;
    final Path log;

    private ChildJvm(String name, Process process, long startedNanos, Path log) {
        this.name = name;
        this.process = process;
        this.startedNanos = startedNanos;
        this.log = log;
    }

    /**
     * The program that holds {@code command}: the class of its root command's object, which for {@code vmbus bench
     * ...} is the {@code vmbus} program's main class. A child runs that program, as {@code scripts/run.sh} does, in
     * a process of its own; the harness is handed it and never names the commands above it.
     */
    static Class<?> program(CommandSpec command) {
        Class<?> root = command.root().userObject().getClass();
        try {
            root.getMethod("main", String[].class);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("'" + command.qualifiedName() + "' runs the program that holds it in a "
                    + "child JVM, but its root command " + root.getName() + " has no main method");
        }
        return root;
    }

    /** How this code was started: {@code -jar JAR} when it runs from a jar, else this JVM's class path. */
    record Code(Path jar, String classPath) {
        static Code current() {
            try {
                Path p = Path.of(ChildJvm.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                if (Files.isRegularFile(p) && p.toString().endsWith(".jar")) {
                    return new Code(p, p.toString());
                }
            } catch (Exception e) {
                // not from a file: fall back to the class path
            }
            return new Code(null, System.getProperty("java.class.path"));
        }

        static Code jar(Path jar) {
            if (!Files.isRegularFile(jar)) {
                throw new IllegalArgumentException("--jar " + jar + ": no such file");
            }
            return new Code(jar, jar.toString());
        }

        /**
         * The arguments that run the {@code vmbus} program, whose main class is {@code program}: exactly
         * scripts/run.sh's {@code -jar} when from a jar (whose manifest names that class), else the class path.
         */
        List<String> vmbus(Class<?> program) {
            return jar != null ? List.of("-jar", jar.toString()) : List.of("-cp", classPath, program.getName());
        }

        List<String> main(Class<?> main) {
            return List.of("-cp", classPath, main.getName());
        }
    }

    static ChildJvm start(String name, List<String> jvmOptions, List<String> launch, List<String> args, Path workDir)
            throws IOException {
        return start(name, List.of(), jvmOptions, launch, args, workDir);
    }

    /** With {@code prefix} in front of the java command (e.g. {@code ip netns exec NAME}, which execs it). */
    static ChildJvm start(String name, List<String> prefix, List<String> jvmOptions, List<String> launch,
                          List<String> args, Path workDir) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(launch);
        cmd.addAll(args);
        Path log = workDir.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        long t0 = System.nanoTime();
        return new ChildJvm(name, pb.start(), t0, log);
    }

    long pid() {
        return process.pid();
    }

    /** Fails with the end of the child's log if it has exited. */
    void checkAlive() {
        if (!process.isAlive()) {
            throw new IllegalStateException(name + " exited with status " + process.exitValue() + "; its output:\n" + tail());
        }
    }

    /** Waits until the log has a line containing {@code text}. */
    void awaitLog(String text, long timeoutMs) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!Files.readString(log).contains(text)) {
            checkAlive();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + ": no '" + text + "' within " + timeoutMs + " ms; output:\n" + tail());
            }
            Thread.sleep(20);
        }
    }

    String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    /** GET {@code url}: the status and body, or -1 when nothing answers yet. */
    static Response get(String url, int timeoutMs) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
            c.setConnectTimeout(timeoutMs);
            c.setReadTimeout(timeoutMs);
            int status = c.getResponseCode();
            try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
                return new Response(status, in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            return new Response(-1, e.toString());
        }
    }

    record Response(int status, String body) {
    }

    /** SIGTERM, then SIGKILL if it has not exited within 10 s. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
