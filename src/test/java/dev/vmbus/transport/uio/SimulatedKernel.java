package dev.vmbus.transport.uio;

import dev.vmbus.transport.uio.admin.UioBinder;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.Guid;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The kernel's side of the driver attribute writes on a {@link KernelFixtures} tree, as drivers/base/bus.c and
 * drivers/hv/vmbus_drv.c do them: {@code new_id} adds a dynamic id ({@code -EEXIST} if present) and attaches every
 * unbound device of the class; {@code bind} matches and probes ({@code -EBUSY} on a bound device, {@code -ENODEV}
 * on no match), and {@code hv_uio_probe} refuses an unmonitored channel with {@code -ENOTSUPP} (524) when the
 * generation lacks 547fa4ffd799, leaving the device on no driver; {@code unbind} removes the driver (and the uio
 * node). A device's {@code driver_override} (hv_vmbus_get_id) restricts matching to the driver it names, which it
 * matches without an id; a newline clears it. A device the host offers ({@link #offer}) is probed by the first
 * driver in registration order that matches it and whose probe succeeds, as {@code bus_for_each_drv} tries them;
 * which one that is depends on the order the modules were loaded in ({@link #registeredLast}), nothing the binder
 * controls. Every write is logged ("instance/driver_override value" for the device attribute), and a write can be
 * made to fail once, to test the rollback at any step.
 *
 * <p>Test-only; used from the one thread that runs the binder.
 */
public final class SimulatedKernel implements UioBinder.SysfsWriter {
    private static final Map<String, Set<UUID>> STATIC_IDS = Map.of(
            "hv_utils", Set.of(DeviceClass.HEARTBEAT.classId(), DeviceClass.TIMESYNC.classId(),
                    DeviceClass.SHUTDOWN.classId(), DeviceClass.KVP.classId(), DeviceClass.VSS.classId()),
            "hv_storvsc", Set.of(DeviceClass.byName("storvsc").orElseThrow().classId()),
            "hv_netvsc", Set.of(DeviceClass.byName("netvsc").orElseThrow().classId()));

    private final KernelFixtures tree;
    private final Map<String, Set<UUID>> dynamicIds = new HashMap<>();
    /** Every write, as "driver/attribute value". */
    public final List<String> log = new ArrayList<>();
    private final Map<String, String> failures = new HashMap<>();
    /** The VMBus drivers in the order they registered, as {@code bus_for_each_drv} walks them. */
    private final List<String> registered = new ArrayList<>(KernelFixtures.DRIVERS);
    /**
     * Whether hv_uio_probe accepts unmonitored channels (547fa4ffd799): the generation's answer, or true for a
     * distribution kernel that carries it as a backport.
     */
    public boolean slowChannels;

    public SimulatedKernel(KernelFixtures tree) {
        this.tree = tree;
        this.slowChannels = tree.generation.slowChannels;
    }

    /** The next write of {@code value} to {@code driver/attribute} fails with {@code message}, changing nothing. */
    public void failNext(String driver, String attribute, String value, String message) {
        failures.put(driver + "/" + attribute + " " + value, message);
    }

    @Override
    public void write(Path attribute, String value) throws IOException {
        String driver = attribute.getParent().getFileName().toString();
        String op = attribute.getFileName().toString();
        if (!Files.exists(attribute)) {
            throw new java.nio.file.NoSuchFileException(attribute.toString());
        }
        String entry = driver + "/" + op + " " + value;
        log.add(entry);
        String failure = failures.remove(entry);
        if (failure != null) {
            throw new IOException(failure);
        }
        Files.writeString(attribute, value); // what the last write was, for tests that read it back
        switch (op) {
            case "new_id" -> newId(driver, Guid.parse(value.strip()));
            case "remove_id" -> {
                if (!dynamicIds.getOrDefault(driver, Set.of()).remove(Guid.parse(value.strip()))) {
                    throw new IOException("No such device");
                }
            }
            case "bind" -> bind(driver, value);
            case "unbind" -> unbind(driver, value);
            case "driver_override" -> {
                // driver_set_override: a trailing newline is dropped, and nothing left clears it
                String name = value.endsWith("\n") ? value.substring(0, value.length() - 1) : value;
                Files.writeString(attribute, (name.isEmpty() ? "(null)" : name) + "\n");
            }
            default -> throw new IOException("Permission denied");
        }
    }

    private void newId(String driver, UUID classId) throws IOException {
        if (!dynamicIds.computeIfAbsent(driver, k -> new HashSet<>()).add(classId)) {
            throw new IOException("File exists");
        }
        for (KernelFixtures.Dev d : tree.devices()) {
            if (d.classId().equals(classId) && tree.driverOf(d.instance()) == null && matches(driver, d)) {
                try {
                    probe(driver, d);
                } catch (IOException e) {
                    // driver_attach ignores a failed probe: the device stays unbound
                }
            }
        }
    }

    private void bind(String driver, String instance) throws IOException {
        KernelFixtures.Dev d = tree.byInstance(instance);
        if (d == null) {
            throw new IOException("No such device");
        }
        if (tree.driverOf(instance) != null) {
            throw new IOException("Device or resource busy");
        }
        if (!matches(driver, d)) {
            throw new IOException("No such device");
        }
        probe(driver, d);
    }

    /**
     * hv_vmbus_get_id: an override names the only driver that matches, and matches it without an id; else the
     * driver's dynamic ids ({@code new_id}), then its static ones.
     */
    private boolean matches(String driver, KernelFixtures.Dev d) throws IOException {
        String override = tree.overrideOf(d.instance());
        if (override != null) {
            return override.equals(driver);
        }
        return STATIC_IDS.getOrDefault(driver, Set.of()).contains(d.classId())
                || dynamicIds.getOrDefault(driver, Set.of()).contains(d.classId())
                || (driver.equals("hv_utils") && d.className().equals("fcopy") && tree.generation.kernelFcopy());
    }

    /**
     * {@code driver} registered again after every other driver (its module unloaded and loaded again, say, or
     * loaded after {@code uio_hv_generic}): {@link #offer} tries it last.
     */
    public void registeredLast(String driver) {
        registered.remove(driver);
        registered.add(driver);
    }

    /**
     * The host offers a device of {@code className}'s class ({@code vmbus_device_register}): a hot-added one, or one
     * rescinded ({@link KernelFixtures#rescind}) and offered again, with no override. {@code device_attach} gives
     * it to the first registered driver that matches and probes it; returns that driver, or null when none did.
     */
    public String offer(String className, String instance, int relid) throws IOException {
        KernelFixtures.Dev d = tree.offered(className, instance, relid);
        for (String driver : registered) {
            if (Files.isDirectory(tree.sys().resolve("bus/vmbus/drivers").resolve(driver)) && matches(driver, d)) {
                try {
                    probe(driver, d);
                    return driver;
                } catch (IOException e) {
                    // a failed probe: the core tries the next driver
                }
            }
        }
        return null;
    }

    private void probe(String driver, KernelFixtures.Dev d) throws IOException {
        if (driver.equals(VmbusDevices.UIO_DRIVER)) {
            if (!d.monitored() && !slowChannels) {
                // hv_uio_probe: "vmbus channel requires hypercall", -ENOTSUPP; the device keeps no driver
                throw new IOException("Unknown error 524");
            }
            tree.probedByUio(d.instance(), ringSize(tree.generation, d));
        }
        tree.setDriver(d.instance(), driver);
    }

    /**
     * The size of each ring (TX, RX) {@code hv_uio_probe} allocates for {@code d}: before e566ed5b6417 (6.10)
     * {@code HV_RING_SIZE} (512) pages for every device; since, {@code VMBUS_RING_SIZE(pref_ring_size)}: the header
     * page plus the payload, page-aligned, the payload 16 KiB for fcopy ({@code 0x4000}) and {@code SZ_2M} for every
     * other class (no {@code pref_ring_size}). A uio heartbeat's map 0 is so about 4 MiB (kernel review F14).
     */
    public static long ringSize(KernelFixtures.Generation g, KernelFixtures.Dev d) {
        if (!g.slowChannels) {
            return 512L * g.pageSize;
        }
        long payload = d.className().equals("fcopy") ? 0x4000 : 2L << 20;
        return (g.pageSize + payload + g.pageSize - 1) / g.pageSize * g.pageSize;
    }

    private void unbind(String driver, String instance) throws IOException {
        if (tree.byInstance(instance) == null || !driver.equals(tree.driverOf(instance))) {
            throw new IOException("No such device");
        }
        if (driver.equals(VmbusDevices.UIO_DRIVER)) {
            tree.removedByUio(instance);
        }
        tree.setDriver(instance, null);
    }
}
