package dev.vmbus.device.fcopy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.UUID;

/**
 * The data of one copy, kept in a hidden temporary file next to its target (same file system, so the final
 * rename is atomic) and renamed into place only on COMPLETE: until then the target is untouched, and a
 * cancelled, failed or abandoned copy is removed without trace. Blocking.
 */
record PartialFile(Path target, Path temp, FileChannel channel) {
    /** Prefix of temporary names; nothing else in an allowed root should use it. */
    static final String TEMP_PREFIX = ".vmbus-fcopy-";

    /** How the temporary file's channel is opened (a test may put a full device behind it). */
    interface Opener {
        FileChannel open(Path temp) throws IOException;
    }

    static final Opener CREATE_NEW = temp -> FileChannel.open(temp, Set.of(StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));

    static PartialFile create(Path target, Opener opener) throws IOException {
        Path temp = target.resolveSibling(TEMP_PREFIX + UUID.randomUUID() + ".part");
        return new PartialFile(target, temp, opener.open(temp));
    }

    /** Writes all of {@code data} at {@code offset}. */
    void write(long offset, ByteBuffer data) throws IOException {
        long at = offset;
        while (data.hasRemaining()) {
            at += channel.write(data, at);
        }
    }

    /**
     * Forces the data to disk and renames it into place.
     *
     * @throws FileAlreadyExistsException if the target appeared meanwhile and overwriting was not asked for
     */
    void commit(boolean overwrite) throws IOException {
        channel.force(true);
        channel.close();
        if (!overwrite && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(target.toString());
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename " + temp + " to " + target + " atomically", e);
        }
    }

    /** Closes and deletes the temporary file; never throws (called on every failure path). */
    void discard() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // deleting is what matters
        }
        try {
            Files.deleteIfExists(temp);
        } catch (IOException ignored) {
            // nothing more can be done; the name's prefix marks it as ours
        }
    }
}
