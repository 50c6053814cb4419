package dev.vmbus.os;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Work done inside another network namespace without moving the process: {@link #call} runs it on a new,
 * short-lived platform thread that first joins the namespace with {@code setns(CLONE_NEWNET)}. What that thread
 * creates there (a TAP's file descriptor, a socket) stays in that namespace for its whole life, whichever thread
 * uses it afterwards. Needs CAP_SYS_ADMIN.
 */
public final class NetNamespace {
    static final int CLONE_NEWNET = 0x40000000;
    private static final MethodHandle SETNS = Libc.errnoCall("setns",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private NetNamespace() {
    }

    /**
     * Runs {@code work} inside the network namespace {@code netns} (a file such as {@code /var/run/netns/NAME} or
     * {@code /proc/PID/ns/net}) and returns its result; its exception, or the failure to join, is thrown here.
     */
    public static <T> T call(Path netns, Callable<T> work) throws IOException {
        AtomicReference<Object> result = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("netns-" + netns.getFileName()).unstarted(() -> {
            try {
                join(netns);
                result.set(new Ok(work.call()));
            } catch (Throwable e) {
                result.set(e);
            }
        });
        t.start();
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true; // the thread is already in the namespace: let it finish, so nothing leaks
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Object r = result.get();
        if (r instanceof Ok ok) {
            @SuppressWarnings("unchecked")
            T value = (T) ok.value();
            return value;
        }
        if (r instanceof IOException io) {
            throw io;
        }
        if (r instanceof RuntimeException re) {
            throw re;
        }
        if (r instanceof Error error) {
            throw error;
        }
        throw new IOException("work in network namespace " + netns + " failed: " + r, (Throwable) r);
    }

    private record Ok(Object value) {
    }

    /** Moves the calling thread into {@code netns}. */
    private static void join(Path netns) throws IOException {
        int nsfd = Posix.open(netns, Posix.O_CLOEXEC);
        try {
            Libc.checked("setns(" + netns + ", CLONE_NEWNET)", capture -> (int) SETNS.invokeExact(capture, nsfd, CLONE_NEWNET));
        } finally {
            Posix.close(nsfd);
        }
    }
}
