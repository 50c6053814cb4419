package dev.vmbus.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * The drop-in that lets the vmbus unit reach {@code /dev/net/tun}: the packaged unit denies the node
 * ({@code DevicePolicy=closed}), because only the synthetic NIC's {@code tap} backend needs it and a TAP is a way
 * to put frames into, and take them out of, the guest's own network stack. {@code vmbus bind netvsc} (the
 * operator's decision to serve the NIC) writes {@code /etc/systemd/system/vmbus.service.d/netvsc.conf};
 * {@code vmbus unbind netvsc} and the package's purge remove it. Blocking file I/O, one caller at a time.
 */
final class NicDropIn {
    /** Where systemd reads the unit's drop-ins; the file is written only where {@code /etc/systemd/system} exists. */
    static final Path DIR = Path.of("/etc/systemd/system/vmbus.service.d");
    static final String FILE = "netvsc.conf";
    static final String TEXT = """
            # Written by 'vmbus bind netvsc', removed by 'vmbus unbind netvsc' and by purging the package.
            # The synthetic NIC's tap backend (devices.netvsc.backend=tap) opens /dev/net/tun; the unit denies it
            # otherwise. Creating the TAP needs CAP_NET_ADMIN, which the unit keeps for hv_set_ifconfig.
            [Service]
            DeviceAllow=/dev/net/tun rw
            """;

    private NicDropIn() {
    }

    /** Writes the drop-in under {@code dir} (null: nowhere); returns what to tell the operator, if anything. */
    static Optional<String> write(Path dir) throws IOException {
        if (dir == null || !Files.isDirectory(dir.getParent())) {
            return Optional.empty();
        }
        Path file = dir.resolve(FILE);
        if (Files.isRegularFile(file) && Files.readString(file, StandardCharsets.UTF_8).equals(TEXT)) {
            return Optional.of(file + " already lets the vmbus unit open /dev/net/tun (the NIC's tap backend)");
        }
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + FILE + ".tmp");
        Files.writeString(tmp, TEXT, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return Optional.of("wrote " + file + ": the vmbus unit may now open /dev/net/tun (the NIC's tap backend);"
                + " 'systemctl daemon-reload' makes a loaded unit see it");
    }

    /** Removes the drop-in under {@code dir} (and the directory once empty); returns what to tell, if anything. */
    static Optional<String> remove(Path dir) throws IOException {
        if (dir == null || !Files.deleteIfExists(dir.resolve(FILE))) {
            return Optional.empty();
        }
        try (var left = Files.list(dir)) {
            if (left.findAny().isEmpty()) {
                Files.delete(dir);
            }
        }
        return Optional.of("removed " + dir.resolve(FILE) + ": the vmbus unit no longer opens /dev/net/tun"
                + " ('systemctl daemon-reload' makes a loaded unit see it)");
    }

    /** Whether the drop-in is missing where it belongs (under {@code dir}, on a machine with systemd's directory). */
    static boolean missing(Path dir) {
        return dir != null && Files.isDirectory(dir.getParent()) && !Files.isRegularFile(dir.resolve(FILE));
    }
}
