package dev.vmbus.device.kvp;

import dev.vmbus.ic.kvp.KvpPoolFormat;
import dev.vmbus.ic.kvp.KvpRecord;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * One {@code .kvp_pool_N} file, read and written the way {@code hv_kvp_daemon} expects (spec ic-protocols.md
 * section 4), but crash-safe. Blocking: call from a worker thread.
 *
 * <p>Locking: the daemon takes a POSIX record write lock ({@code fcntl(F_SETLKW, F_WRLCK)}, start 0, length 0)
 * on the pool file for reads and rewrites alike. {@link FileChannel#lock()} is exactly that on Linux (a
 * {@code Long.MAX_VALUE} length becomes {@code l_len = 0}). Because POSIX drops every lock a process holds on a
 * file when any descriptor of it closes, the locked channel is the only one this class opens on the pool.
 *
 * <p>Crash safety: a change is written to {@code .kvp_pool_N.tmp}, forced to disk, and renamed over the pool,
 * so a crash at any instant leaves either the old or the new complete file. A writer that waited for the lock
 * may wake holding a file that has just been replaced; it notices (the path names another file now) and locks
 * the new one, so writers never overwrite each other.
 */
public final class KvpPoolFile {
    private static final FileAttribute<?> FILE_MODE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--"));
    private static final FileAttribute<?> DIR_MODE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x"));

    private final Path path;
    private final Path temp;

    public KvpPoolFile(Path directory, int pool) {
        this.path = directory.resolve(KvpPoolFormat.fileName(pool));
        this.temp = directory.resolve(KvpPoolFormat.fileName(pool) + ".tmp");
    }

    public Path path() {
        return path;
    }

    /** The records as they are on disk now (re-read under the lock every time, to see other writers). */
    public List<KvpRecord> read() throws IOException {
        return locked(KvpPoolFile::readAll);
    }

    /**
     * Applies {@code change} to the current records under the lock and, if it returns a different list, replaces
     * the file atomically.
     *
     * @param change gets a mutable copy of the records; returns the new list
     * @return the records now on disk
     */
    public List<KvpRecord> modify(UnaryOperator<List<KvpRecord>> change) throws IOException {
        return locked(channel -> {
            List<KvpRecord> before = readAll(channel);
            List<KvpRecord> after = change.apply(new ArrayList<>(before));
            if (!after.equals(before)) {
                replace(after);
            }
            return after;
        });
    }

    private interface LockedAction<T> {
        T run(FileChannel channel) throws IOException;
    }

    private <T> T locked(LockedAction<T> action) throws IOException {
        Files.createDirectories(path.getParent(), DIR_MODE);
        while (true) {
            Object before = fileKey();
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE)) {
                Object opened = fileKey();
                if (before != null && !Objects.equals(before, opened)) {
                    continue; // replaced between the two looks: we may hold either file, so start over
                }
                channel.lock(); // F_SETLKW, F_WRLCK, whole file; released when the channel closes
                if (!Objects.equals(opened, fileKey())) {
                    continue; // another writer renamed a new pool over the file we waited on
                }
                return action.run(channel);
            }
        }
    }

    private Object fileKey() throws IOException {
        try {
            return Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static List<KvpRecord> readAll(FileChannel channel) throws IOException {
        long size = channel.size();
        if (size > Integer.MAX_VALUE - 8) {
            throw new IOException("pool file of " + size + " bytes is too large");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) size);
        while (buf.hasRemaining() && channel.read(buf, buf.position()) >= 0) {
            // positional reads until the whole file is in
        }
        return KvpPoolFormat.parse(buf.array(), buf.position());
    }

    private void replace(List<KvpRecord> records) throws IOException {
        Files.deleteIfExists(temp); // a leftover of a crash; recreated below with the daemon's mode
        try (FileChannel out = FileChannel.open(temp, java.util.Set.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE), FILE_MODE)) {
            ByteBuffer data = ByteBuffer.wrap(KvpPoolFormat.serialize(records));
            while (data.hasRemaining()) {
                out.write(data);
            }
            out.force(true); // the data must be on disk before the rename makes it the pool
        }
        try {
            Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot replace " + path + " atomically", e);
        }
        try (FileChannel dir = FileChannel.open(path.getParent(), StandardOpenOption.READ)) {
            dir.force(true); // make the rename itself durable
        } catch (IOException ignored) {
            // some file systems refuse to sync a directory; the rename is still atomic
        }
    }
}
