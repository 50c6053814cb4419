package dev.vmbus.transport.uio;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Which processes hold a uio device: its {@code /dev/uioN} open ({@code /proc/<pid>/fd/*}) or mapped, or one of
 * its channels' {@code ring} files mapped ({@code /proc/<pid>/maps}). Two reasons to ask (kernel review F1, F8):
 * <ul>
 *   <li>unbinding {@code uio_hv_generic} while any process holds the device frees the ring but never closes the
 *       channel ({@code hv_uio_remove} calls no {@code vmbus_close}, and {@code uio_release} skips
 *       {@code hv_uio_release} once the device is unregistered): the host keeps writing into freed guest pages and
 *       the device cannot be bound again until reboot;</li>
 *   <li>{@code hv_uio_open} accepts any number of openers, and two consumers of one ring (hv_fcopy_uio_daemon,
 *       DPDK, a second agent) interleave its indices: packets lost or duplicated.</li>
 * </ul>
 * The calling process itself ({@code <procRoot>/self}) is never counted. Other users' processes are visible only to
 * root, and the descriptors of a process with more capabilities only to one with {@code CAP_SYS_PTRACE}; a process
 * not read in full is counted in {@link Scan#unreadable} (and still named when what could be read shows it holds the
 * device), so a caller can tell "nobody" from "could not look". Blocking file I/O; stateless.
 */
public final class UioHolders {
    private UioHolders() {
    }

    /** One process holding the device, and how. */
    public record Holder(long pid, String command, String how) {
        @Override
        public String toString() {
            return "pid " + pid + " (" + command + ") " + how;
        }
    }

    /** The holders found, and how many processes could not be read (not root). */
    public record Scan(List<Holder> holders, int unreadable) {
        public Scan {
            holders = List.copyOf(holders);
        }

        public boolean held() {
            return !holders.isEmpty();
        }

        /** "pid 812 (hv_fcopy_uio_d) has /dev/uio3 open (fd 4); ..." */
        public String describe() {
            return String.join("; ", holders.stream().map(Holder::toString).toList());
        }
    }

    /**
     * The processes under {@code procRoot} that hold {@code uio} ({@code uio3}) of the device whose sysfs directory
     * is named {@code instanceDir}: an open descriptor to {@code /dev/uio3} (or {@code <devRoot>/uio3}), or a
     * mapping of it or of {@code .../<instanceDir>/channels/<relid>/ring}.
     */
    public static Scan scan(Path procRoot, Path devRoot, String uio, String instanceDir) throws IOException {
        String self = self(procRoot);
        List<String> nodes = List.of("/dev/" + uio, devRoot.resolve(uio).toString());
        String ring = "/" + instanceDir + "/channels/";
        List<Holder> holders = new ArrayList<>();
        int unreadable = 0;
        List<Path> pids;
        try (Stream<Path> s = Files.list(procRoot)) {
            pids = s.filter(p -> p.getFileName().toString().matches("\\d+")).sorted().toList();
        }
        for (Path pid : pids) {
            String name = pid.getFileName().toString();
            if (name.equals(self)) {
                continue;
            }
            List<String> how = new ArrayList<>();
            boolean denied = false;
            try {
                for (Path fd : list(pid.resolve("fd"))) {
                    String target;
                    try {
                        target = Files.readSymbolicLink(fd).toString();
                    } catch (NoSuchFileException | java.nio.file.NotLinkException e) {
                        continue; // closed meanwhile
                    }
                    if (nodes.contains(target)) {
                        how.add("has " + target + " open (fd " + fd.getFileName() + ")");
                    }
                }
            } catch (AccessDeniedException e) {
                // Its descriptors need ptrace access: a root process with capabilities this one lacks (the agent
                // under vmbus.service has no CAP_SYS_PTRACE) is denied them, yet may still read its maps, where
                // hv_fcopy_uio_daemon and DPDK, which mmap the node, show. So the maps are read all the same.
                denied = true;
            } catch (NoSuchFileException e) {
                continue; // the process ended while we looked
            }
            try {
                for (String line : lines(pid.resolve("maps"))) {
                    String path = mappedPath(line);
                    if (path == null) {
                        continue;
                    }
                    if (nodes.contains(path) || (path.contains(ring) && path.endsWith("/ring"))) {
                        String what = "maps " + path;
                        if (!how.contains(what)) {
                            how.add(what);
                        }
                    }
                }
            } catch (AccessDeniedException e) {
                denied = true;
            } catch (NoSuchFileException e) {
                continue; // the process ended while we looked
            }
            if (denied) {
                unreadable++;
            }
            if (!how.isEmpty()) {
                holders.add(new Holder(Long.parseLong(name), command(pid), String.join(", ", how)));
            }
        }
        return new Scan(holders, unreadable);
    }

    /** The pid {@code <procRoot>/self} names (a symlink on a real /proc), or null when it is not a link. */
    private static String self(Path procRoot) {
        try {
            return Files.readSymbolicLink(procRoot.resolve("self")).getFileName().toString();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    /** The path of a {@code /proc/<pid>/maps} line (the sixth field on), or null for an anonymous mapping. */
    static String mappedPath(String line) {
        String[] f = line.strip().split("\\s+", 6);
        if (f.length < 6 || !f[5].startsWith("/")) {
            return null;
        }
        String path = f[5];
        return path.endsWith(" (deleted)") ? path.substring(0, path.length() - " (deleted)".length()) : path;
    }

    private static String command(Path pid) {
        try {
            List<String> l = Files.readAllLines(pid.resolve("comm"));
            return l.isEmpty() ? "?" : l.getFirst().strip();
        } catch (IOException e) {
            return "?";
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.readAllLines(file, java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
