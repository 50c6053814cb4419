package dev.vmbus.device.fcopy;

import dev.vmbus.ic.IcConstants;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Where a START may put a file: only inside an allowed root. The host names a directory and a file; Linux's
 * daemon would write anywhere the agent can. Here a {@code ..} segment is refused outright, an absolute
 * directory must lie under a root, a relative one is taken under the first root, and every existing directory
 * on the way is checked through its real path, so a symbolic link cannot lead outside the root. Missing
 * directories are created (mode 0755) only with CREATE_PATH. Blocking.
 */
final class TargetResolver {
    private final List<Path> roots;

    /** @param roots absolute, normalised */
    TargetResolver(List<Path> roots) {
        this.roots = List.copyOf(roots);
    }

    /**
     * The target file for {@code directory}/{@code name}, its directory existing (created if allowed).
     *
     * @throws CopyRefused with {@code HV_E_FAIL} for a name or directory outside the roots or missing
     */
    Path resolve(String directory, String name, boolean createPath) throws CopyRefused, IOException {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.contains("/")) {
            throw new CopyRefused(IcConstants.E_FAIL, "file name '" + name + "' is not a plain file name");
        }
        Path dir;
        try {
            for (String segment : directory.split("/")) {
                if (segment.equals("..")) {
                    throw new CopyRefused(IcConstants.E_FAIL, "destination '" + directory + "' contains '..'");
                }
            }
            Path given = Path.of(directory);
            dir = (given.isAbsolute() ? given : roots.getFirst().resolve(given)).normalize();
        } catch (InvalidPathException e) {
            throw new CopyRefused(IcConstants.E_FAIL, "destination '" + directory + "' is not a path: " + e.getMessage());
        }
        Path root = roots.stream().filter(dir::startsWith).findFirst().orElseThrow(() -> new CopyRefused(
                IcConstants.E_FAIL, "destination '" + directory + "' is outside the allowed roots " + roots));
        Path realRoot = root.toRealPath();
        Path current = root;
        for (Path segment : root.relativize(dir)) {
            if (segment.toString().isEmpty()) {
                continue; // dir == root
            }
            current = current.resolve(segment);
            if (Files.exists(current, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(current)) {
                inside(current, realRoot, directory);
                if (!Files.isDirectory(current)) {
                    throw new CopyRefused(IcConstants.E_FAIL, current + " is not a directory");
                }
            } else if (createPath) {
                Files.createDirectory(current,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            } else {
                throw new CopyRefused(IcConstants.E_FAIL, "directory " + current
                        + " does not exist and the host did not ask for CREATE_PATH");
            }
        }
        Path realDir = inside(dir, realRoot, directory);
        Path target = realDir.resolve(name);
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new CopyRefused(IcConstants.E_FAIL, target + " is a directory");
        }
        return target;
    }

    private static Path inside(Path p, Path realRoot, String asked) throws CopyRefused, IOException {
        Path real;
        try {
            real = p.toRealPath();
        } catch (IOException e) {
            throw new CopyRefused(IcConstants.E_FAIL, "cannot resolve " + p + ": " + e.getMessage());
        }
        if (!real.startsWith(realRoot)) {
            throw new CopyRefused(IcConstants.E_FAIL, "destination '" + asked + "' leads outside its root through "
                    + p + " -> " + real);
        }
        return real;
    }
}
