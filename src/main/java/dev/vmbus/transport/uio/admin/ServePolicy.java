package dev.vmbus.transport.uio.admin;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.transport.uio.KernelFeatures;
import dev.vmbus.transport.uio.KernelLimits;
import dev.vmbus.transport.uio.VmbusDevice;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The one place that decides whether this agent may take a device on this kernel, and says why not.
 * {@code vmbus doctor}, {@code vmbus bind} and {@code vmbus run --transport uio} all ask it, so they refuse with the
 * same words; the running transport asks only the kernel's part, {@link KernelLimits}, at each scan and each open,
 * and knows nothing of device classes.
 *
 * <p>Two kinds of refusal:
 * <ul>
 *   <li>the kernel cannot serve the device through {@code uio_hv_generic} ({@link KernelLimits}; nothing overrides
 *       this but stating the kernel's real features in {@code transport.kernel});</li>
 *   <li>the class is not an integration service: moving it takes a device the guest lives on away from its kernel
 *       driver. {@code vmbus bind --force} overrides this one, knowing the risk it names.</li>
 * </ul>
 * Stateless; made for concurrent use.
 */
public final class ServePolicy {
    /** The integration services: the classes this agent serves. */
    public static final Set<UUID> SUPPORTED = DeviceClass.INTEGRATION_SERVICES.stream().map(DeviceClass::classId)
            .collect(Collectors.toUnmodifiableSet());
    private static final Set<DeviceClass> STORAGE = Set.of(DeviceClass.STORVSC, DeviceClass.IDE, DeviceClass.FC);

    /** One reason not to take a device. */
    public record Reason(String code, String text, boolean forceable) {
        @Override
        public String toString() {
            return text;
        }
    }

    /** What the policy says of one device. */
    public record Verdict(VmbusDevice device, List<Reason> reasons) {
        public Verdict {
            reasons = List.copyOf(reasons);
        }

        public boolean servable() {
            return reasons.isEmpty();
        }

        /** Refused only for its class, which {@code --force} overrides. */
        public boolean forceable() {
            return !reasons.isEmpty() && reasons.stream().allMatch(Reason::forceable);
        }

        public List<Reason> kernelReasons() {
            return reasons.stream().filter(r -> !r.forceable()).toList();
        }

        public String summary() {
            return reasons.stream().map(Reason::text).collect(Collectors.joining("; "));
        }
    }

    private ServePolicy() {
    }

    public static Verdict judge(VmbusDevice device, KernelFeatures kernel) {
        List<Reason> reasons = new ArrayList<>();
        classRisk(device.classId()).ifPresent(reasons::add);
        KernelLimits.of(device, kernel).forEach(l -> reasons.add(new Reason(l.code(), l.text(), false)));
        return new Verdict(device, reasons);
    }

    /** Why a class other than an integration service must not be moved casually; empty for the supported set. */
    public static Optional<Reason> classRisk(UUID classId) {
        if (SUPPORTED.contains(classId)) {
            return Optional.empty();
        }
        String name = DeviceClass.nameOf(classId);
        DeviceClass known = DeviceClass.byId(classId).orElse(null);
        boolean network = DeviceClass.NETVSC.equals(known);
        boolean storage = STORAGE.contains(known);
        String text;
        if (storage) {
            text = name + " is a storage controller, not an integration service: unbinding it"
                    + " from hv_storvsc takes its disks away, and on Azure the first one holds the root file system"
                    + " (the guest hangs or panics); this agent does not serve storage";
        } else if (network) {
            text = name + " is a network adapter, not an integration service: unbinding it from hv_netvsc"
                    + " takes the NIC down, on Azure the primary NIC and with it SSH; bind it only on purpose, to"
                    + " serve it with devices." + name + " (doctor lists what that needs)";
        } else {
            text = name + " is not an integration service this agent serves (supported: "
                    + DeviceClass.INTEGRATION_SERVICES.stream().map(DeviceClass::name).collect(Collectors.joining(", "))
                    + "); taking it from its kernel driver removes whatever the guest uses it for";
        }
        return Optional.of(new Reason("class-" + (network ? "network" : storage ? "storage" : "unsupported"), text,
                true));
    }
}
