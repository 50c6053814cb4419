package dev.vmbus.transport.shm;

import dev.vmbus.os.Posix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Who may play host or guest over {@code shm}: only this process's own user (or root). Whoever serves
 * {@code DIR/control.sock} can make a guest run KVP's SET_IP_INFO hook, write files through fcopy and power the
 * machine off, so a guest must never talk to a directory, socket or ring file that another local user could have
 * created or could replace. The host makes everything private ({@code 0700} directory, {@code 0600} files and
 * sockets); both ends refuse a path that is owned by someone else or writable by group or others, naming the path
 * and its mode. Symbolic links are not followed: a link is refused like a foreign file.
 *
 * <p>Stateless; blocking file-system calls (call from start-up or the control context, never a hot path).
 */
public final class ShmTrust {
    static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");

    private ShmTrust() {
    }

    /** Makes {@code path} private to its owner ({@code 0700} for a directory, {@code 0600} otherwise). */
    static void makePrivate(Path path) throws IOException {
        Files.setPosixFilePermissions(path, Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS) ? PRIVATE_DIR : PRIVATE_FILE);
    }

    /**
     * Fails unless {@code path} is owned by this user or root and neither group nor others may write it.
     *
     * @param what what the path is, for the message ("shm directory", "ring file", ...)
     */
    static void check(Path path, String what) throws IOException {
        if (Files.isSymbolicLink(path)) {
            throw new UntrustedPathException(what + " " + path + " is a symbolic link; refusing it (shm must be private to its owner)");
        }
        int uid = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        int self = Posix.geteuid();
        if (uid != self && uid != 0) {
            throw new UntrustedPathException(what + " " + path + " belongs to uid " + uid + ", not to this user (uid "
                    + self + ") or root; refusing it: another user could be playing host");
        }
        if ((mode & 0022) != 0) {
            throw new UntrustedPathException(what + " " + path + " has mode " + String.format("%04o", mode & 07777)
                    + ", which lets group or others write it; refusing it (make it 0700 for a directory, 0600 for a file)");
        }
    }

    /** A path the shm transport will not use, and why. */
    public static final class UntrustedPathException extends IOException {
        UntrustedPathException(String message) {
            super(message);
        }
    }
}
