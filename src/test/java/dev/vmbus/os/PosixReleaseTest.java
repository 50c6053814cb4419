package dev.vmbus.os;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The release of a mapping ({@link Posix#map}'s arena closing): the file's pages are replaced in place by private
 * zero pages at once, so an access a closing arena's handshake missed (JDK-8364167) reads zeros and writes nowhere
 * that matters, and the range is unmapped only after a grace period. Seen through an unrestricted alias of the
 * address, as such a missed access would see it (the grace here is a minute, so the alias stays valid).
 */
class PosixReleaseTest {
    private static final int SIZE = 64 * 1024;

    @TempDir
    Path tmp;

    @Test
    void releasedPagesReadZerosAndNoLaterWriteReachesTheFile() throws Exception {
        Path file = tmp.resolve("ring");
        byte[] content = new byte[SIZE];
        Arrays.fill(content, (byte) 0x5a);
        Files.write(file, content);
        // Arena.global(): never closed, so nothing but the call below releases the range
        MemorySegment ring = Posix.map(file, 0, SIZE, Arena.global());
        assertEquals(0x5a5a5a5a, ring.get(ValueLayout.JAVA_INT, 0));
        ring.set(ValueLayout.JAVA_INT_UNALIGNED, 8, 0x01020304);
        ByteBuffer.wrap(content).order(ByteOrder.nativeOrder()).putInt(8, 0x01020304);
        assertArrayEquals(content, Files.readAllBytes(file), "a write before the release reaches the file");

        MemorySegment alias = MemorySegment.ofAddress(ring.address()).reinterpret(SIZE);
        Posix.release(ring.address(), SIZE, 60_000);
        for (long at = 0; at < SIZE; at += 4096) {
            assertEquals(0, alias.get(ValueLayout.JAVA_INT, at), "offset " + at + " after the release");
        }
        alias.set(ValueLayout.JAVA_INT, 4096, 7);
        assertEquals(7, alias.get(ValueLayout.JAVA_INT, 4096), "a write after the release lands on a private page");
        assertArrayEquals(content, Files.readAllBytes(file), "nothing written after the release reaches the file");
    }
}
