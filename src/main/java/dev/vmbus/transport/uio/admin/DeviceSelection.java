package dev.vmbus.transport.uio.admin;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.Guid;
import dev.vmbus.transport.uio.VmbusDevice;
import dev.vmbus.transport.uio.VmbusDevices;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Which devices of a class a bind or unbind moves: every one ({@link #ALL}, {@code vmbus bind CLASS}), or only those
 * an operator named with {@code --device} ({@code vmbus bind netvsc --device eth1}), the others staying on their
 * driver untouched. A device is named by its instance GUID (its directory under {@code bus/vmbus/devices}) or by a
 * network interface whose {@code <sysfsRoot>/class/net/<if>/device} link ends in that directory, as DPDK's
 * {@code basename $(readlink /sys/class/net/eth1/device)} finds it. Immutable.
 *
 * @param devices the chosen instances (their directory names) with the interface each was named by or has, "" when
 *                none is known; empty for {@link #ALL}
 */
public record DeviceSelection(Map<String, String> devices) {
    /** Every device of the class. */
    public static final DeviceSelection ALL = new DeviceSelection(Map.of());

    public DeviceSelection {
        devices = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(devices));
    }

    /** Whether only some devices were chosen (not {@link #ALL}). */
    public boolean chosen() {
        return !devices.isEmpty();
    }

    /** Whether {@code d} is one this selection moves. */
    public boolean includes(VmbusDevice d) {
        return !chosen() || devices.containsKey(d.dir().getFileName().toString());
    }

    /** An instance as the operator knows it: {@code eth1 (000d3a6e-...)}, or the instance alone. */
    public String describe(String instance) {
        String name = devices.getOrDefault(instance, "");
        return name.isEmpty() ? instance : name + " (" + instance + ")";
    }

    /** Every chosen device as {@link #describe} names it, comma-separated. */
    public String describe() {
        return String.join(", ", devices.keySet().stream().map(this::describe).toList());
    }

    /** The chosen devices {@code offered} lacks, as {@link #describe(String)} names them; none for {@link #ALL}. */
    public List<String> gone(List<VmbusDevice> offered) {
        return devices.keySet().stream().filter(i -> offered.stream()
                .noneMatch(v -> v.dir().getFileName().toString().equals(i))).map(this::describe).toList();
    }

    /**
     * The devices {@code names} (instance GUIDs or interface names) choose among the offered devices of
     * {@code classId}; throws {@link UioBinder.Refused} naming every one that names no device, a device of another
     * class, or an interface that is not a VMBus device, before anything is written. An empty list is {@link #ALL}.
     * An interface that no longer exists because its NIC is on {@code uio_hv_generic} (hv_netvsc's netdev went with
     * it) is found by the name an earlier {@code --device} recorded for it ({@code known}, instance to name).
     */
    public static DeviceSelection resolve(Path sysfsRoot, Path procRoot, UUID classId, List<String> names,
                                          Map<String, String> known) throws IOException {
        if (names == null || names.isEmpty()) {
            return ALL;
        }
        List<VmbusDevice> offered = VmbusDevices.scan(sysfsRoot).devices();
        Map<String, String> chosen = new LinkedHashMap<>();
        List<String> refusals = new ArrayList<>();
        String cls = DeviceClass.nameOf(classId);
        for (String raw : names) {
            String name = raw.strip();
            Optional<VmbusDevice> found;
            String iface = "";
            UUID instance = instanceGuid(name);
            if (instance != null) {
                found = offered.stream().filter(d -> d.instanceId().equals(instance)).findFirst();
                if (found.isEmpty()) {
                    refusals.add(name + " names no device: no device under " + sysfsRoot.resolve("bus/vmbus/devices")
                            + " has that instance");
                    continue;
                }
            } else {
                Path link = sysfsRoot.resolve("class/net").resolve(name).resolve("device");
                Optional<String> recorded = known.entrySet().stream().filter(e -> e.getValue().equals(name))
                        .map(Map.Entry::getKey).findFirst();
                if (!name.isEmpty() && !Files.isDirectory(link.getParent()) && recorded.isPresent()) {
                    found = offered.stream().filter(d -> d.dir().getFileName().toString().equals(recorded.get()))
                            .findFirst();
                    if (found.isEmpty()) {
                        refusals.add(name + " was " + recorded.get() + " when it was chosen, and no such device is"
                                + " offered now");
                        continue;
                    }
                    VmbusDevice d = found.get();
                    chosen.put(d.dir().getFileName().toString(), name);
                    continue;
                }
                if (name.isEmpty() || name.contains("/") || !Files.isDirectory(link.getParent())) {
                    refusals.add("'" + name + "' names no device: it is neither a device instance GUID nor a network"
                            + " interface under " + sysfsRoot.resolve("class/net"));
                    continue;
                }
                if (!Files.isSymbolicLink(link)) {
                    refusals.add(name + " has no device (" + link + " is not a link): a virtual interface, not a"
                            + " VMBus device");
                    continue;
                }
                String target = Files.readSymbolicLink(link).getFileName().toString();
                found = offered.stream().filter(d -> d.dir().getFileName().toString().equals(target)).findFirst();
                if (found.isEmpty()) {
                    refusals.add(name + "'s device " + target + " is not a VMBus device (not under "
                            + sysfsRoot.resolve("bus/vmbus/devices") + "; an accelerated networking VF is a PCI"
                            + " device): only the synthetic NIC it pairs with can go to " + VmbusDevices.UIO_DRIVER);
                    continue;
                }
                iface = name;
            }
            VmbusDevice d = found.get();
            if (!d.classId().equals(classId)) {
                refusals.add(name + " is a " + d.className() + " device (" + d.instanceId() + "), not " + cls);
                continue;
            }
            if (iface.isEmpty()) {
                iface = NetInterfaces.of(sysfsRoot, procRoot, d).stream().map(NetInterfaces.Interface::name)
                        .findFirst().orElse("");
            }
            chosen.merge(d.dir().getFileName().toString(), iface, (a, b) -> a.isEmpty() ? b : a);
        }
        if (!refusals.isEmpty()) {
            throw new UioBinder.Refused("refusing --device for " + cls + "; nothing was changed:\n  "
                    + String.join("\n  ", refusals));
        }
        return new DeviceSelection(chosen);
    }

    /** {@code name} as an instance GUID (braces and any case), or null when it is not one. */
    private static UUID instanceGuid(String name) {
        try {
            return Guid.parse(name);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
