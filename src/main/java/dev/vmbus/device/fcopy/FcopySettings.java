package dev.vmbus.device.fcopy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code devices.fcopy} section.
 *
 * @param allowedRoots the only directories (and their subdirectories) files may be copied into; a relative
 *                     destination from the host is taken relative to the first
 * @param maxFileBytes the largest file accepted, and the write limit when the host announces no size
 */
public record FcopySettings(List<Path> allowedRoots, long maxFileBytes) {
    public static final List<String> DEFAULT_ALLOWED_ROOTS = List.of("data/fcopy");
    public static final long DEFAULT_MAX_FILE_BYTES = 1L << 30;

    /** {@code data/fcopy} under the working directory, at most 1 GiB. */
    public static final FcopySettings DEFAULTS = new FcopySettings(
            DEFAULT_ALLOWED_ROOTS.stream().map(Path::of).toList(), DEFAULT_MAX_FILE_BYTES);

    /** Checks the values and makes each root absolute and normal. */
    public FcopySettings {
        if (allowedRoots == null || allowedRoots.isEmpty()) {
            throw new IllegalArgumentException("'allowedRoots' must be a non-empty array of directory paths, got "
                    + allowedRoots);
        }
        List<Path> roots = new ArrayList<>();
        for (Path root : allowedRoots) {
            if (root == null) {
                throw new IllegalArgumentException("'allowedRoots' entries must be non-empty path strings, got null");
            }
            Path p = root.toAbsolutePath().normalize();
            if (p.getParent() == null) {
                throw new IllegalArgumentException("'allowedRoots' must not contain the file system root '/'");
            }
            roots.add(p);
        }
        allowedRoots = List.copyOf(roots);
        if (maxFileBytes <= 0) {
            throw new IllegalArgumentException("'maxFileBytes' must be a positive whole number of bytes, got "
                    + maxFileBytes);
        }
    }
}
