package dev.vmbus.transport.uio;

import dev.vmbus.os.Posix;
import io.vertx.core.Promise;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Unmapping a ring while another thread is in the middle of reading it, as the interrupt thread does on a
 * rescind while a channel's event loop drains: the close always succeeds, and the reader ends with
 * IllegalStateException rather than a fault on the unmapped pages (which would kill the JVM).
 */
class SharedMemoryTest {
    @TempDir
    Path tmp;
    static volatile long sink;

    @Test
    void closingUnderAConcurrentReaderUnmapsAndTheReaderFailsCleanly() throws Exception {
        Path file = tmp.resolve("ring");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        for (int round = 0; round < 50; round++) {
            Arena arena = Arena.ofShared();
            MemorySegment ring = Posix.map(file, 0, 1 << 20, arena);
            AtomicBoolean reading = new AtomicBoolean();
            Promise<Throwable> reader = Promise.promise();
            Thread.ofPlatform().start(() -> {
                long sum = 0;
                try {
                    while (true) {
                        for (long i = 0; i < ring.byteSize(); i += 4096) {
                            sum += ring.get(ValueLayout.JAVA_INT, i);
                        }
                        reading.set(true);
                    }
                } catch (Throwable e) {
                    sink = sum; // keeps the reads
                    reader.complete(e);
                }
            });
            await("the reader's first pass").atMost(10, TimeUnit.SECONDS).until(reading::get);
            assertTrue(SharedMemory.close(arena, ring), "this call unmapped it");
            Throwable ended = reader.future().await(10, TimeUnit.SECONDS);
            assertTrue(ended instanceof IllegalStateException, "the reader ended with " + ended);
            assertFalse(ring.scope().isAlive());
            assertFalse(SharedMemory.close(arena, ring), "a second close is a no-op");
        }
    }
}
