package dev.vmbus.cli;

import dev.vmbus.bus.DeviceRegistry;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.config.TransportType;
import dev.vmbus.device.netvsc.NetvscSettings;
import dev.vmbus.transport.uio.VmbusDevices;
import dev.vmbus.transport.uio.admin.ForcedBinds;
import dev.vmbus.transport.uio.admin.SystemView;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The drop-in that lets the vmbus unit reach {@code /dev/net/tun}: the packaged unit denies the node
 * ({@code DevicePolicy=closed}), because only the synthetic NIC's {@code tap} backend needs it and a TAP is a way
 * to put frames into, and take them out of, the guest's own network stack. {@code vmbus bind netvsc} (the
 * operator's decision to serve the NIC) writes {@code /etc/systemd/system/vmbus.service.d/netvsc.conf};
 * {@code vmbus unbind netvsc} and the package's purge remove it. {@link #need} says when the agent a configuration
 * makes needs it: the boot's {@code bind --enabled} warns when it is missing then, and {@code bind --unit-drop-in}
 * (the package's postinst, on an upgrade from a version whose unit still allowed the node) writes it then.
 * Blocking file I/O, one caller at a time.
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

    /** Whether the unit needs the drop-in, and why (a sentence for the operator). */
    record Need(boolean needed, String why) {
    }

    /**
     * Whether the agent {@code system}'s configuration makes serves the synthetic NIC with the tap backend: netvsc
     * enabled with {@code backend: tap}, and, on uio, its device on uio_hv_generic now or its {@code bind netvsc
     * --force} recorded (so the boot's {@code bind --enabled} binds it again). The event-bus backend opens no TAP.
     */
    static Need need(SystemView system, DeviceRegistry registry) throws IOException {
        Object settings = registry.settings(DeviceClass.NETVSC.name()).orElse(null);
        if (!(settings instanceof NetvscSettings nic)) {
            return new Need(false, "netvsc is not enabled in the configuration");
        }
        if (nic.backend() != NetvscSettings.Backend.TAP) {
            return new Need(false, "netvsc's " + nic.backend().key() + " backend opens no /dev/net/tun");
        }
        TransportType transport = system.config().transport().type();
        if (transport != TransportType.UIO) {
            return new Need(true, "netvsc is enabled with the tap backend on the " + transport.configName()
                    + " transport");
        }
        List<UUID> ids = registry.handler(DeviceClass.NETVSC.name()).orElseThrow().classIds();
        if (VmbusDevices.scan(system.sysfsRoot()).devices().stream()
                .anyMatch(d -> ids.contains(d.classId()) && d.onUio())) {
            return new Need(true, "netvsc is enabled with the tap backend and its device is on "
                    + VmbusDevices.UIO_DRIVER);
        }
        ForcedBinds forced = new ForcedBinds(Path.of(system.config().transport().stateDir()), step -> { });
        for (UUID id : ids) {
            if (forced.recorded(id).isPresent()) {
                return new Need(true, "netvsc is enabled with the tap backend and " + forced.file(id)
                        + " records 'vmbus bind netvsc --force', so the boot binds it again");
            }
        }
        return new Need(false, "netvsc is enabled with the tap backend, but its device is not on "
                + VmbusDevices.UIO_DRIVER + " and no 'vmbus bind netvsc --force' is recorded; 'vmbus bind netvsc'"
                + " writes the drop-in when it binds it");
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
