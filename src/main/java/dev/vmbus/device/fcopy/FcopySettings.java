package dev.vmbus.device.fcopy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

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

    private static final Set<String> KEYS = Set.of("allowedRoots", "maxFileBytes");

    /** Parses and checks the section; throws {@link IllegalArgumentException} naming the bad key. */
    public static FcopySettings from(JsonObject c) {
        for (String key : c.fieldNames()) {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown key '" + key + "' (fcopy has 'allowedRoots' and"
                        + " 'maxFileBytes' besides 'enabled')");
            }
        }
        List<Path> roots = new ArrayList<>();
        Object r = c.getValue("allowedRoots", new JsonArray(DEFAULT_ALLOWED_ROOTS));
        if (!(r instanceof JsonArray array) || array.isEmpty()) {
            throw new IllegalArgumentException("allowedRoots must be a non-empty array of directory paths, got " + r);
        }
        for (Object root : array) {
            if (!(root instanceof String s) || s.isBlank()) {
                throw new IllegalArgumentException("allowedRoots entries must be non-empty path strings, got " + root);
            }
            Path p = Path.of(s).toAbsolutePath().normalize();
            if (p.getParent() == null) {
                throw new IllegalArgumentException("allowedRoots must not contain the file system root '/'");
            }
            roots.add(p);
        }
        Object max = c.getValue("maxFileBytes", DEFAULT_MAX_FILE_BYTES);
        if (!(max instanceof Number n) || n.longValue() <= 0 || n.doubleValue() != n.longValue()) {
            throw new IllegalArgumentException("maxFileBytes must be a positive whole number of bytes, got " + max);
        }
        return new FcopySettings(List.copyOf(roots), n.longValue());
    }
}
