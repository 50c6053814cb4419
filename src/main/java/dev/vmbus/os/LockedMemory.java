package dev.vmbus.os;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Anonymous memory locked into RAM ({@code mmap} then {@code mlock}), for pages whose physical frame numbers are
 * handed to the host: a page that is swapped out would be a different frame when the host reads it. {@code mlock}
 * keeps pages resident, not in place (compaction may still migrate them), so a PFN is read after locking and
 * the pages are used only while a packet naming them is outstanding (spec netvsc-and-buffers.md section 4).
 *
 * <p>Stateless; safe from any thread. Blocking system calls (page faults for every page): call it from a worker
 * or at start-up, not per packet.
 */
public final class LockedMemory {
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_PRIVATE = 2;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MAP_POPULATE = 0x8000;

    private static final MethodHandle MMAP = Libc.errnoCall("mmap", FunctionDescriptor.of(ValueLayout.ADDRESS,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_LONG));
    private static final MethodHandle MLOCK = Libc.errnoCall("mlock", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle MUNMAP = Libc.call("munmap", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));

    private LockedMemory() {
    }

    /**
     * {@code bytes} (a whole number of system pages) of zeroed anonymous memory, populated and locked; unmapped
     * (which unlocks it) when {@code arena} closes.
     *
     * @throws IOException naming the call and the error, e.g. {@code mlock} over {@code RLIMIT_MEMLOCK}
     */
    public static MemorySegment allocate(long bytes, Arena arena) throws IOException {
        if (bytes <= 0 || bytes % PageSize.system() != 0) {
            throw new IllegalArgumentException("lock a positive whole number of " + PageSize.system()
                    + "-byte pages, not " + bytes + " bytes");
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment capture = Libc.errnoBuffer(call);
            MemorySegment addr = (MemorySegment) MMAP.invokeExact(capture, MemorySegment.NULL, bytes,
                    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0L);
            if (addr.address() == -1L) {
                throw new IOException("mmap of " + bytes + " anonymous bytes: " + Libc.describe(Libc.errno(capture)));
            }
            long base = addr.address();
            int locked = (int) MLOCK.invokeExact(capture, MemorySegment.ofAddress(base), bytes);
            if (locked != 0) {
                int errno = Libc.errno(capture);
                unmap(base, bytes);
                throw new IOException("mlock of " + bytes + " bytes: " + Libc.describe(errno)
                        + " (is RLIMIT_MEMLOCK, ulimit -l, large enough?)");
            }
            return MemorySegment.ofAddress(base).reinterpret(bytes, arena, s -> unmap(base, bytes));
        } catch (IOException | IllegalArgumentException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("mmap/mlock downcall failed", e);
        }
    }

    private static void unmap(long address, long size) {
        try {
            int ignored = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address), size);
        } catch (Throwable e) {
            throw new IllegalStateException("munmap downcall failed", e);
        }
    }
}
