package dev.vmbus.transport.uio.admin;

import dev.vmbus.transport.uio.SysfsAttributes;
import dev.vmbus.transport.uio.UioChannel;

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
 * Reads every device under {@code <sysfsRoot>/bus/vmbus/devices}, bound or not, with what decides whether this
 * agent can serve it: class, driver, and whether each channel is monitor-allocated. The kernel shows
 * {@code monitor_id} (on the device and on each {@code channels/<relid>/}) only for a monitor-allocated channel
 * ({@code vmbus_dev_attr_is_visible} and {@code vmbus_chan_attr_is_visible} in drivers/hv/vmbus_drv.c), so its
 * absence is how an unmonitored channel is recognised. Old kernels have no {@code channels/} directory: the
 * device's own {@code monitor_id} then describes the primary.
 *
 * <p>Blocking file I/O: call from a worker or before Vert.x starts. Stateless.
 */
public final class VmbusDevices {
    private VmbusDevices() {
    }

    /** What one scan found; a device whose attributes cannot be read is a problem naming the file. */
    public record Scan(List<VmbusDevice> devices, List<String> problems) {
    }

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

    /** One device directory. */
    public static VmbusDevice read(Path sysfsRoot, Path device) throws IOException {
        var classId = SysfsAttributes.guid(device.resolve("class_id"));
        var instanceId = Files.exists(device.resolve("device_id")) ? SysfsAttributes.guid(device.resolve("device_id"))
                : dev.vmbus.channel.Guid.parse(device.getFileName().toString());
        int primary = SysfsAttributes.decimal(device.resolve("id"));
        List<UioChannel> channels = new ArrayList<>();
        Path channelsDir = device.resolve("channels");
        if (Files.isDirectory(channelsDir)) {
            for (Path ch : list(channelsDir)) {
                String name = ch.getFileName().toString();
                if (!name.matches("\\d+")) {
                    throw new IOException(ch + ": a channel directory must be named by its relid");
                }
                Path sub = ch.resolve("subchannel_id");
                int index = Files.exists(sub) ? SysfsAttributes.decimal(sub) : 0;
                int monitor = SysfsAttributes.optionalDecimal(ch.resolve("monitor_id")).orElse(-1);
                channels.add(new UioChannel(Integer.parseInt(name), index, monitor, ch));
            }
        }
        if (channels.stream().noneMatch(c -> c.relid() == primary)) {
            OptionalInt monitor = SysfsAttributes.optionalDecimal(device.resolve("monitor_id"));
            channels.add(new UioChannel(primary, 0, monitor.orElse(-1), channelsDir.resolve(Integer.toString(primary))));
        }
        channels.sort(Comparator.comparingInt(UioChannel::subchannel));
        Optional<String> driver = UioBinder.currentDriver(device);
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

    /** Whether {@code uio_hv_generic} is loaded: its driver directory, or its module directory. */
    public static boolean uioDriverLoaded(Path sysfsRoot) {
        return Files.isDirectory(sysfsRoot.resolve("bus/vmbus/drivers").resolve(UioBinder.UIO_DRIVER))
                || Files.isDirectory(sysfsRoot.resolve("module").resolve(UioBinder.UIO_DRIVER));
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            throw new IOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }
}
