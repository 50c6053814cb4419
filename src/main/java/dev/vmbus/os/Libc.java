package dev.vmbus.os;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The one place the agent binds libc: the one {@link Linker}, the downcall handles every class of this package
 * makes (with or without {@code errno} capture), and the one {@code errno} helper that turns a failed call into
 * text or an exception naming the call and its arguments. Auditing the code that needs
 * {@code --enable-native-access} means reading this package, and every handle goes through here.
 *
 * <p>Stateless; safe from any thread. A thread that makes many calls keeps its own {@link #errnoBuffer}.
 */
public final class Libc {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle STRERROR = call("strerror",
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    private Libc() {
    }

    /** A handle on libc's {@code name} that takes no capture buffer. */
    static MethodHandle call(String name, FunctionDescriptor fd, Linker.Option... options) {
        return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name), fd, options);
    }

    /** A handle on libc's {@code name} whose first argument is an {@link #errnoBuffer} that receives errno. */
    static MethodHandle errnoCall(String name, FunctionDescriptor fd, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = Linker.Option.captureCallState("errno");
        System.arraycopy(extra, 0, options, 1, extra.length);
        return call(name, fd, options);
    }

    /** A buffer for the captured {@code errno} of calls made by one thread. */
    public static MemorySegment errnoBuffer(Arena arena) {
        return arena.allocate(CALL_STATE);
    }

    /** The {@code errno} the last call made with {@code capture} left there. */
    static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    /** {@code strerror(errno)} followed by the number, e.g. "Input/output error (errno 5)". */
    public static String describe(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(256).getString(0) + " (errno " + errno + ")";
        } catch (Throwable e) {
            return "errno " + errno;
        }
    }

    /** A libc call made with the errno buffer it captures into; returns what the call returned. */
    interface ErrnoCall {
        int call(MemorySegment capture) throws Throwable;
    }

    /**
     * Makes {@code call} with an errno buffer of its own: what it returned when that is not negative, else an
     * {@link IOException} {@code "callWithArguments: text (errno n)"}. A downcall that cannot be made at all (a
     * linkage bug, not a refusal of the kernel) is an {@link IllegalStateException} naming the function.
     */
    static int checked(String callWithArguments, ErrnoCall call) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = errnoBuffer(arena);
            int r = call.call(capture);
            if (r < 0) {
                throw failure(callWithArguments, capture);
            }
            return r;
        } catch (IOException e) {
            throw e;
        } catch (Throwable e) {
            int paren = callWithArguments.indexOf('(');
            throw new IllegalStateException((paren < 0 ? callWithArguments : callWithArguments.substring(0, paren))
                    + " downcall failed", e);
        }
    }

    /** The exception for a call that failed with {@code errno}: {@code "call(args): text (errno n)"}. */
    static IOException failure(String callWithArguments, int errno) {
        return new IOException(callWithArguments + ": " + describe(errno));
    }

    /** {@link #failure} with the errno left in {@code capture}. */
    static IOException failure(String callWithArguments, MemorySegment capture) {
        return failure(callWithArguments, errno(capture));
    }
}
