package dev.vmbus.transport.shm;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A file the host shares mapped into this process: a channel's ring file, one of its buffers, guest memory. Mapping never writes to the file: a ring that is live
 * in another process keeps its indices and data.
 */
record MappedRingFile(Path path, Arena arena, MemorySegment segment) implements AutoCloseable {

    /**
     * The host's side: the file at {@code path} with exactly {@code size} bytes. An existing file of that size
     * is mapped as it is; one of another size is replaced by a new sparse (all-zero) file.
     */
    static MappedRingFile create(Path path, long size) throws IOException {
        if (Files.exists(path) && Files.size(path) != size) {
            Files.delete(path);
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            if (ch.size() < size) {
                ch.truncate(size); // no-op for a shorter file; grow below
                ch.write(java.nio.ByteBuffer.wrap(new byte[1]), size - 1);
            }
            return map(path, ch, size);
        }
    }

    /** The guest's side: an existing file that must be exactly {@code size} bytes. */
    static MappedRingFile open(Path path, long size) throws IOException {
        return open(path, size, "ring file", " (2 x ringSize)");
    }

    /**
     * The guest's side of any file the host shares (a ring, a buffer, guest memory): it must be exactly
     * {@code size} bytes; {@code what} and {@code why} word the error.
     */
    static MappedRingFile open(Path path, long size, String what, String why) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (ch.size() != size) {
                throw new IOException(what + " " + path + " has " + ch.size() + " bytes, the host says "
                        + size + why);
            }
            return map(path, ch, size);
        }
    }

    /**
     * Maps an existing file of exactly {@code size} bytes for as long as anything references the segment (the
     * garbage collector unmaps it): for guest memory, whose pages devices hold with no owner to say when the last
     * use ended.
     */
    static MemorySegment mapUntilUnreachable(Path path, long size, String what) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (ch.size() != size) {
                throw new IOException(what + " " + path + " has " + ch.size() + " bytes, the host says " + size);
            }
            return ch.map(FileChannel.MapMode.READ_WRITE, 0, size, Arena.ofAuto());
        }
    }

    private static MappedRingFile map(Path path, FileChannel ch, long size) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            return new MappedRingFile(path, arena, ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Unmaps. Only the owner of the channel may call this, once nothing reads the rings any more. */
    @Override
    public void close() {
        arena.close();
    }
}
