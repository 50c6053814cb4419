package dev.vmbus.transport.uio;

import dev.vmbus.channel.Guid;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * The one reader of {@code <sysfsRoot>/bus/vmbus/devices} (spec vmbus-ring.md section 5.5): every device, bound or
 * not, with what decides whether this agent can serve it: class, driver, channels and whether each is
 * monitor-allocated. The running transport ({@link UioDiscovery}), {@code vmbus doctor} and the binder all read
 * devices here. The kernel shows {@code monitor_id} (on the device and on each {@code channels/<relid>/}) only for a
 * monitor-allocated channel ({@code vmbus_dev_attr_is_visible} and {@code vmbus_chan_attr_is_visible} in
 * drivers/hv/vmbus_drv.c), so its absence is how an unmonitored channel is recognised. Old kernels have no
 * {@code channels/} directory: the device's own {@code monitor_id} then describes the primary.
 *
 * <p>Blocking file I/O: call from a worker or before Vert.x starts. Stateless.
 */
public final class VmbusDevices {
    /** The kernel driver that hands a VMBus device to userspace. */
    public static final String UIO_DRIVER = "uio_hv_generic";

    private VmbusDevices() {
    }

    /** What one scan found; a device whose attributes cannot be read is a problem naming the file. */
    public record Scan(List<VmbusDevice> devices, List<String> problems) {
    }

    /** Every device directory; fails when there is no VMBus at all under this root. */
    public static Scan scan(Path sysfsRoot) throws IOException {
        Path dir = sysfsRoot.resolve("bus/vmbus/devices");
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + " does not exist: this is not a Hyper-V guest, or transport.sysfsRoot ("
                    + sysfsRoot + ") is wrong");
        }
        List<VmbusDevice> devices = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Path device : list(dir)) {
            try {
                devices.add(read(sysfsRoot, device));
            } catch (IOException e) {
                problems.add(e.getMessage());
            }
        }
        return new Scan(devices, problems);
    }

    /** One device directory; an attribute that is there but malformed fails naming the file. */
    public static VmbusDevice read(Path sysfsRoot, Path device) throws IOException {
        var classId = SysfsAttributes.guid(device.resolve("class_id"));
        var instanceId = Files.exists(device.resolve("device_id")) ? SysfsAttributes.guid(device.resolve("device_id"))
                : nameAsGuid(device);
        int primary = SysfsAttributes.decimal(device.resolve("id"));
        if (primary <= 0) {
            throw new IOException(device.resolve("id") + " holds relid " + primary + "; relids are positive");
        }
        List<UioChannel> channels = new ArrayList<>();
        Path channelsDir = device.resolve("channels");
        if (Files.isDirectory(channelsDir)) {
            for (Path ch : list(channelsDir)) {
                channels.add(channel(ch));
            }
        }
        if (channels.stream().noneMatch(c -> c.relid() == primary)) {
            // Old kernels have no channels/ directory: the primary is still there, described by the device.
            OptionalInt monitor = SysfsAttributes.optionalDecimal(device.resolve("monitor_id"));
            channels.add(new UioChannel(primary, 0, monitor.orElse(-1), channelsDir.resolve(Integer.toString(primary))));
        }
        channels.sort(Comparator.comparingInt(UioChannel::subchannel));
        Optional<String> driver = currentDriver(device);
        Optional<String> uio = Optional.empty();
        OptionalLong map0 = OptionalLong.empty();
        if (Files.isDirectory(device.resolve("uio"))) {
            List<String> nodes = list(device.resolve("uio")).stream().map(p -> p.getFileName().toString())
                    .filter(n -> n.matches("uio\\d+")).toList();
            if (nodes.size() == 1) {
                uio = Optional.of(nodes.getFirst());
                Path size = sysfsRoot.resolve("class/uio").resolve(nodes.getFirst()).resolve("maps/map0/size");
                if (Files.exists(size)) {
                    map0 = OptionalLong.of(SysfsAttributes.hexSize(size));
                }
            }
        }
        return new VmbusDevice(instanceId, classId, device, driver, primary, channels, uio, map0);
    }

    /** A device without {@code device_id}: the kernel names its directory by the instance GUID. */
    private static java.util.UUID nameAsGuid(Path device) throws IOException {
        try {
            return Guid.parse(device.getFileName().toString());
        } catch (IllegalArgumentException e) {
            throw new IOException(device.resolve("device_id") + " does not exist and the directory is not named by a GUID");
        }
    }

    /** One {@code channels/<relid>/} directory. */
    private static UioChannel channel(Path dir) throws IOException {
        String name = dir.getFileName().toString();
        if (!name.matches("\\d{1,9}")) {
            throw new IOException(dir + ": a channel directory must be named by its relid");
        }
        Path sub = dir.resolve("subchannel_id");
        int subchannel = Files.exists(sub) ? SysfsAttributes.decimal(sub) : 0;
        if (subchannel < 0 || subchannel > 0xFFFF) {
            throw new IOException(sub + " holds " + subchannel + ", outside 0..65535");
        }
        int monitor = SysfsAttributes.optionalDecimal(dir.resolve("monitor_id")).orElse(-1);
        if (monitor > MonitorKick.MAX_MONITOR_ID) {
            throw new IOException(dir.resolve("monitor_id") + " holds " + monitor + ", above "
                    + MonitorKick.MAX_MONITOR_ID + " (4 trigger groups of 32)");
        }
        return new UioChannel(Integer.parseInt(name), subchannel, monitor, dir);
    }

    /** The name of the driver a device is bound to: the target of its {@code driver} symlink. */
    public static Optional<String> currentDriver(Path device) throws IOException {
        Path link = device.resolve("driver");
        if (!Files.isSymbolicLink(link)) {
            return Optional.empty();
        }
        return Optional.of(Files.readSymbolicLink(link).getFileName().toString());
    }

    /** Whether {@code uio_hv_generic} is loaded: its driver directory, or its module directory. */
    public static boolean uioDriverLoaded(Path sysfsRoot) {
        return Files.isDirectory(sysfsRoot.resolve("bus/vmbus/drivers").resolve(UIO_DRIVER))
                || Files.isDirectory(sysfsRoot.resolve("module").resolve(UIO_DRIVER));
    }

    static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            throw new IOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }
}
