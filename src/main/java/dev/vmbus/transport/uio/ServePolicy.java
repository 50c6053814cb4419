package dev.vmbus.transport.uio;

import dev.vmbus.channel.DeviceClass;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The one place that decides whether this agent may take a device on this kernel, and says why not: the one place
 * that turns {@link KernelFeatures} into a refusal. {@code vmbus doctor}, {@code vmbus bind}, {@code vmbus run
 * --transport uio} and the running transport (at each scan and each open, {@link #refusal}) all ask it, so they
 * refuse with the same words.
 *
 * <p>Two kinds of refusal:
 * <ul>
 *   <li>the kernel cannot serve the device through {@code uio_hv_generic} (nothing overrides this but stating the
 *       kernel's real features in {@code transport.kernel});</li>
 *   <li>the class is not an integration service: moving it takes a device the guest lives on away from its kernel
 *       driver. {@code vmbus bind --force} overrides this one, knowing the risk it names.</li>
 * </ul>
 * Stateless; made for concurrent use.
 */
public final class ServePolicy {
    /** The integration services: the classes this agent serves. */
    public static final Set<UUID> SUPPORTED = Set.of(DeviceClass.HEARTBEAT.classId(), DeviceClass.TIMESYNC.classId(),
            DeviceClass.SHUTDOWN.classId(), DeviceClass.KVP.classId(), DeviceClass.VSS.classId(),
            DeviceClass.FCOPY.classId());

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
        unmonitored(kernel, device.primary()).ifPresent(reasons::add);
        List<UioChannel> subs = device.subchannels();
        if (!subs.isEmpty()) {
            subchannels(kernel, "the device has " + subs.size() + " subchannel(s)").ifPresent(reasons::add);
        }
        if (!kernel.rescindSafe()) {
            reasons.add(new Reason("kernel-rescind", "kernel " + kernel.release() + " is not known to carry"
                    + " fb1adbd7e50f (" + KernelFeatures.RESCIND_SAFE_RELEASES + "; a distribution release that"
                    + " hides its point release counts as without it): once the agent has opened the device, the host"
                    + " rescinding it (the service switched off in the VM's settings) makes hv_uio_rescind dereference"
                    + " the primary channel's NULL primary_channel and oopses the guest. A kernel that carries the fix"
                    + " says so with transport.kernel.rescindSafe=true", false));
        }
        if (kernel.confidential() != null) {
            reasons.add(new Reason("kernel-confidential", "this is a confidential VM (" + kernel.confidential()
                    + "): the kernel decrypts the ring and monitor pages for the host (set_memory_decrypted), but"
                    + " every released uio_hv_generic maps them to userspace with encrypted page-table entries, so"
                    + " the agent and the host would see different bytes, or the first access faults and kills the"
                    + " agent or the VM", false));
        }
        return new Verdict(device, reasons);
    }

    /**
     * Why the running transport must not serve {@code channel} of uio node {@code uio} on {@code kernel}, or null when
     * it can: the kernel reasons of {@link #judge} that concern one channel, named by relid. Scans and opens both ask,
     * so an operator sees the same reason for a channel that is never offered and one whose open fails.
     */
    public static String refusal(KernelFeatures kernel, UioChannel channel, String uio) {
        String what = (channel.subchannel() == 0 ? "channel " : "subchannel ") + channel.relid() + " of " + uio;
        Optional<Reason> why = unmonitored(kernel, channel);
        if (why.isEmpty() && channel.subchannel() != 0) {
            why = subchannels(kernel, "it is a subchannel");
        }
        return why.map(r -> what + " is not served: " + r.text()).orElse(null);
    }

    /** A channel that is not monitor-allocated on a kernel whose uio_hv_generic cannot signal it. */
    private static Optional<Reason> unmonitored(KernelFeatures kernel, UioChannel channel) {
        if (kernel.canServe(channel)) {
            return Optional.empty();
        }
        return Optional.of(new Reason("kernel-unmonitored", "the channel is not monitor-allocated (sysfs shows no"
                + " monitor_id) and kernel " + kernel.release() + " (" + kernel.basis() + ") lacks 547fa4ffd799"
                + " (\"uio_hv_generic: Enable interrupt for low speed VMBus devices\", "
                + KernelFeatures.linux(KernelFeatures.SLOW_CHANNELS_SINCE) + "): hv_uio_probe refuses it with -ENOTSUPP"
                + " (\"vmbus channel requires hypercall\") and write(1) would never signal the host", false));
    }

    /**
     * Subchannels on a kernel without d062463edf17. Before it, {@code hv_uio_channel_cb} dereferences the
     * subchannel's NULL device_obj when the host interrupts it (an oops in interrupt context), and write(1) unmasks
     * and signals the primary only. Serving one masked by polling is not safe either: the host also interrupts a
     * masked channel when the guest's pending_send_sz is crossed, and an unmonitored subchannel cannot be kicked.
     */
    private static Optional<Reason> subchannels(KernelFeatures kernel, String which) {
        if (kernel.allChannelEvents()) {
            return Optional.empty();
        }
        return Optional.of(new Reason("kernel-subchannels", which + " and kernel " + kernel.release() + " ("
                + kernel.basis() + ") lacks d062463edf17 (\"uio_hv_generic: Set event for all channels on the device\", "
                + KernelFeatures.linux(KernelFeatures.ALL_CHANNEL_EVENTS_SINCE) + "): an unmasked subchannel interrupt"
                + " makes hv_uio_channel_cb dereference the subchannel's NULL device_obj and oopses the guest, and"
                + " a write(1) kick reaches the primary only, never a subchannel", false));
    }

    /** Why a class other than an integration service must not be moved casually; empty for the supported set. */
    public static Optional<Reason> classRisk(UUID classId) {
        if (SUPPORTED.contains(classId)) {
            return Optional.empty();
        }
        String name = DeviceClass.nameOf(classId);
        String text = switch (name) {
            case "storvsc", "ide", "fc" -> name + " is a storage controller, not an integration service: unbinding it"
                    + " from hv_storvsc takes its disks away, and on Azure the first one holds the root file system"
                    + " (the guest hangs or panics); this agent does not serve storage";
            case "netvsc" -> "netvsc is a network adapter, not an integration service: unbinding it from hv_netvsc"
                    + " takes the NIC down, on Azure the primary NIC and with it SSH; bind it only on purpose, to"
                    + " serve it with devices.netvsc (doctor lists what that needs)";
            default -> name + " is not an integration service this agent serves (supported: heartbeat, timesync,"
                    + " shutdown, kvp, vss, fcopy); taking it from its kernel driver removes whatever the guest"
                    + " uses it for";
        };
        return Optional.of(new Reason("class-" + (name.equals("netvsc") ? "network"
                : Set.of("storvsc", "ide", "fc").contains(name) ? "storage" : "unsupported"), text, true));
    }
}
