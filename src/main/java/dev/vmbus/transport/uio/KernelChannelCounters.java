package dev.vmbus.transport.uio;

import dev.vmbus.transport.KernelCounters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The kernel's own per-channel attributes ({@code <sysfsRoot>/bus/vmbus/devices/<instance>/channels/<relid>/}),
 * as drivers/hv/vmbus_drv.c exposes them in {@code vmbus_chan_attrs}: the counters the kernel keeps
 * ({@code interrupts}: channel callbacks it ran; {@code events}: {@code vmbus_setevent} signals it sent, which on a
 * uio device are the unmonitored {@code write(1)} kicks; {@code intr_in_full}, {@code intr_out_empty},
 * {@code out_full_first}, {@code out_full_total}: its own ring-write counters, which stop moving once userspace
 * owns the ring), the live ring state it reads from the shared headers ({@code in_mask}, {@code out_mask},
 * {@code read_avail}, {@code write_avail}), the target {@code cpu}, and for monitored channels {@code pending} and
 * {@code latency}. These are the kernel's view, shown beside the agent's own counters, never in their place.
 *
 * <p>A channel whose ring is not open makes the ring attributes fail with EINVAL; such a value is left out, not an
 * error. Blocking file I/O: call from a worker, never an event loop. Stateless.
 */
public final class KernelChannelCounters {
    /** Every numeric attribute read, in the kernel's order. */
    public static final List<String> ATTRIBUTES = KernelCounters.ATTRIBUTES;

    private KernelChannelCounters() {
    }

    /** {@link #read}, typed. */
    public static Map<Integer, KernelCounters> readValues(Path sysfsRoot) {
        Map<Integer, KernelCounters> out = new TreeMap<>();
        read(sysfsRoot).forEach((relid, byAttribute) -> out.put(relid, KernelCounters.of(byAttribute)));
        return out;
    }

    /** By relid: each attribute that could be read. Empty when there is no VMBus under this root. */
    public static Map<Integer, Map<String, Long>> read(Path sysfsRoot) {
        Map<Integer, Map<String, Long>> out = new TreeMap<>();
        Path devices = sysfsRoot.resolve("bus/vmbus/devices");
        for (Path device : list(devices)) {
            for (Path channel : list(device.resolve("channels"))) {
                String name = channel.getFileName().toString();
                if (!name.matches("\\d{1,9}")) {
                    continue;
                }
                Map<String, Long> values = new LinkedHashMap<>();
                for (String attribute : ATTRIBUTES) {
                    Path file = channel.resolve(attribute);
                    try {
                        values.put(attribute, Long.parseUnsignedLong(SysfsAttributes.text(file)));
                    } catch (IOException | NumberFormatException e) {
                        // hidden (monitor attributes of an unmonitored channel) or unreadable (ring not open)
                    }
                }
                if (!values.isEmpty()) {
                    out.put(Integer.parseInt(name), values);
                }
            }
        }
        return out;
    }

    private static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
