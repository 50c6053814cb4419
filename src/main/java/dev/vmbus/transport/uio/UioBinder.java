package dev.vmbus.transport.uio;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.Guid;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Moves the devices of one class between their kernel driver and {@code uio_hv_generic} (spec section 5.1),
 * by writing the driver attributes under {@code <sysfsRoot>/bus/vmbus/drivers}:
 * <ul>
 *   <li>to uio: the class GUID into {@code uio_hv_generic/new_id} (which also binds unbound devices of the class at
 *       once), then for each device still owned by a kernel driver its instance GUID into
 *       {@code <driver>/unbind} and {@code uio_hv_generic/bind};</li>
 *   <li>back: each instance into {@code uio_hv_generic/unbind}, the class into {@code uio_hv_generic/remove_id}
 *       (so uio does not grab the device again), then each instance into {@code <kernel driver>/bind}.</li>
 * </ul>
 * Every step is reported through the step consumer as it is done, so an operator sees how far a failure got.
 */
public final class UioBinder {
    public static final String UIO_DRIVER = "uio_hv_generic";

    private final Path sysfsRoot;
    private final Consumer<String> steps;

    public UioBinder(Path sysfsRoot, Consumer<String> steps) {
        this.sysfsRoot = sysfsRoot;
        this.steps = steps;
    }

    /** Whether this process runs as root (real sysfs driver attributes are writable by root only). */
    public static boolean runningAsRoot() {
        return Posix.geteuid() == 0;
    }

    /** A class short name ({@code heartbeat}) or GUID (braces and any case accepted). */
    public static UUID classId(String nameOrGuid) {
        Optional<DeviceClass> known = DeviceClass.byName(nameOrGuid.strip());
        if (known.isPresent()) {
            return known.get().classId();
        }
        try {
            return Guid.parse(nameOrGuid);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + nameOrGuid + "' is neither a device class name ("
                    + String.join(", ", DeviceClass.WELL_KNOWN.stream().map(DeviceClass::name).toList())
                    + ") nor a class GUID");
        }
    }

    /**
     * The kernel driver that serves a class when uio does not: {@code hv_utils} for the util devices,
     * {@code hv_netvsc} and {@code hv_storvsc} for the NIC and SCSI; empty for fcopy, whose kernel driver was
     * removed (ec314f61e4fc, Linux 6.10) and which only uio serves.
     */
    public static Optional<String> kernelDriver(UUID classId) {
        String name = DeviceClass.nameOf(classId);
        return switch (name) {
            case "heartbeat", "timesync", "shutdown", "kvp", "vss" -> Optional.of("hv_utils");
            case "netvsc" -> Optional.of("hv_netvsc");
            case "storvsc" -> Optional.of("hv_storvsc");
            default -> Optional.empty();
        };
    }

    /** Gives every device of {@code classId} to {@code uio_hv_generic}; returns how many devices it moved. */
    public int bind(UUID classId) throws IOException {
        List<Path> devices = devicesOf(classId);
        Path uio = driverDir(UIO_DRIVER);
        if (!Files.isDirectory(uio)) {
            throw new IOException(uio + " does not exist: load the driver first (modprobe uio_hv_generic)");
        }
        try {
            write(uio.resolve("new_id"), Guid.format(classId));
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("File exists")) {
                throw e;
            }
            steps.accept(uio.resolve("new_id") + " already lists " + classId);
        }
        int moved = 0;
        for (Path device : devices) {
            String instance = device.getFileName().toString();
            Optional<String> current = currentDriver(device);
            if (current.isPresent() && current.get().equals(UIO_DRIVER)) {
                steps.accept(instance + " is already bound to " + UIO_DRIVER);
                continue;
            }
            if (current.isPresent()) {
                write(driverDir(current.get()).resolve("unbind"), instance);
            }
            write(uio.resolve("bind"), instance);
            moved++;
        }
        return moved;
    }

    /**
     * Hands every device of {@code classId} back to {@code driver} (or the class's usual kernel driver); returns
     * how many devices it moved.
     */
    public int unbind(UUID classId, Optional<String> driver) throws IOException {
        List<Path> devices = devicesOf(classId);
        Path uio = driverDir(UIO_DRIVER);
        Optional<String> target = driver.or(() -> kernelDriver(classId));
        int moved = 0;
        for (Path device : devices) {
            String instance = device.getFileName().toString();
            if (currentDriver(device).filter(UIO_DRIVER::equals).isPresent()) {
                write(uio.resolve("unbind"), instance);
                moved++;
            } else {
                steps.accept(instance + " is not bound to " + UIO_DRIVER);
            }
        }
        if (Files.exists(uio.resolve("remove_id"))) {
            try {
                write(uio.resolve("remove_id"), Guid.format(classId));
            } catch (IOException e) {
                steps.accept(uio.resolve("remove_id") + " did not list " + classId + " (" + e.getMessage() + ")");
            }
        }
        if (target.isEmpty()) {
            steps.accept("no kernel driver serves " + DeviceClass.nameOf(classId)
                    + "; the device stays unbound (give --driver NAME to choose one)");
            return moved;
        }
        Path bind = driverDir(target.get()).resolve("bind");
        if (!Files.exists(bind)) {
            throw new IOException(bind + " does not exist: is the " + target.get() + " module loaded?");
        }
        for (Path device : devices) {
            write(bind, device.getFileName().toString());
        }
        return moved;
    }

    /** The device directories whose {@code class_id} is {@code classId}. */
    List<Path> devicesOf(UUID classId) throws IOException {
        Path dir = sysfsRoot.resolve("bus/vmbus/devices");
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + " does not exist: this is not a Hyper-V guest");
        }
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path device : s.sorted().toList()) {
                if (classId.equals(SysfsAttributes.guid(device.resolve("class_id")))) {
                    out.add(device);
                }
            }
        }
        if (out.isEmpty()) {
            throw new IOException("no device of class " + DeviceClass.nameOf(classId) + " (" + classId + ") in "
                    + dir + " (is the integration service enabled in the VM's settings?)");
        }
        return out;
    }

    /** The name of the driver a device is bound to: the target of its {@code driver} symlink. */
    static Optional<String> currentDriver(Path device) throws IOException {
        Path link = device.resolve("driver");
        if (!Files.isSymbolicLink(link)) {
            return Optional.empty();
        }
        return Optional.of(Files.readSymbolicLink(link).getFileName().toString());
    }

    private Path driverDir(String driver) {
        return sysfsRoot.resolve("bus/vmbus/drivers").resolve(driver);
    }

    /**
     * One write of the whole value without a newline, as {@code echo -n} does (spec 5.1): sysfs takes each write
     * as one command, and {@code bind}/{@code unbind} compare the device name exactly.
     */
    private void write(Path attribute, String value) throws IOException {
        try {
            Files.write(attribute, value.getBytes(StandardCharsets.US_ASCII),
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (NoSuchFileException e) {
            throw new IOException(attribute + " does not exist");
        } catch (IOException e) {
            throw new IOException("writing '" + value + "' to " + attribute + " failed: " + e.getMessage(), e);
        }
        steps.accept("wrote " + value + " to " + attribute);
    }
}
