package dev.vmbus.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace a test creates with a unique name and always deletes ({@link #close}), and the commands it
 * runs there ({@code ip -n NAME ...}, {@code ip netns exec NAME ...}), each bounded in time. Needs root.
 */
public final class Netns implements AutoCloseable {
    private final String name;

    private Netns(String name) {
        this.name = name;
    }

    /** A new namespace named {@code vmbus-PREFIX-PID-RANDOM}, its loopback up. */
    public static Netns create(String prefix) throws IOException, InterruptedException {
        String name = "vmbus-" + prefix + "-" + ProcessHandle.current().pid() + "-"
                + Long.toHexString(System.nanoTime() & 0xFFFFFF);
        run(10, "ip", "netns", "add", name);
        Netns ns = new Netns(name);
        try {
            ns.ip("link", "set", "lo", "up");
        } catch (IOException | RuntimeException | Error e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    public String name() {
        return name;
    }

    /** The namespace's file, for {@code setns} ({@link dev.vmbus.os.Tap#openIn}). */
    public Path path() {
        return Path.of("/var/run/netns", name);
    }

    /** {@code ip -n NAME ARGS}; fails with its output unless it exits 0 within 10 s. Returns its output. */
    public String ip(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("ip", "-n", name));
        command.addAll(List.of(args));
        return run(10, command.toArray(String[]::new));
    }

    /** {@code ip netns exec NAME COMMAND} as a child process (output and errors merged), not waited for. */
    public ProcessBuilder exec(String... command) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", name));
        c.addAll(List.of(command));
        return new ProcessBuilder(c).redirectErrorStream(true);
    }

    /** {@code ip netns exec NAME COMMAND}, waited for at most {@code seconds}; fails unless it exits 0. */
    public String execAndWait(int seconds, String... command) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", name));
        c.addAll(List.of(command));
        return run(seconds, c.toArray(String[]::new));
    }

    /** Runs {@code command}, waiting at most {@code seconds}; its output, or an error with it unless it exits 0. */
    public static String run(int seconds, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        java.io.ByteArrayOutputStream output = new java.io.ByteArrayOutputStream();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try {
                p.getInputStream().transferTo(output);
            } catch (IOException ended) {
                // the process ended or was killed
            }
        });
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
            reader.join(1000);
            throw new IOException(String.join(" ", command) + " did not finish in " + seconds + " s; output: "
                    + output.toString(StandardCharsets.UTF_8).strip());
        }
        reader.join(5000);
        String out = output.toString(StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + out.strip());
        }
        return out;
    }

    /** Deletes the namespace (its interfaces go with it). */
    @Override
    public void close() throws IOException, InterruptedException {
        run(10, "ip", "netns", "del", name);
    }

    @Override
    public String toString() {
        return "network namespace " + name;
    }
}
