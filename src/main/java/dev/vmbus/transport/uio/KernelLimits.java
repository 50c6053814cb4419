package dev.vmbus.transport.uio;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What this kernel's {@code uio_hv_generic} cannot serve, whatever the class: the one place that turns
 * {@link KernelFeatures} into reasons. The running transport asks {@link #refusal} at each scan and each open;
 * {@code admin.ServePolicy} adds the class's own risk and answers {@code vmbus doctor}, {@code bind} and
 * {@code run --transport uio}, so all of them refuse with the same words. Stateless; made for concurrent use.
 */
public final class KernelLimits {
    /** One reason the kernel cannot serve a device: a stable code (doctor's JSON) and the text an operator reads. */
    public record Limit(String code, String text) {
        @Override
        public String toString() {
            return text;
        }
    }

    private KernelLimits() {
    }

    /** Every reason {@code kernel} cannot serve {@code device}, in the order doctor lists them; empty when it can. */
    public static List<Limit> of(VmbusDevice device, KernelFeatures kernel) {
        List<Limit> limits = new ArrayList<>();
        unmonitored(kernel, device.primary()).ifPresent(limits::add);
        List<UioChannel> subs = device.subchannels();
        if (!subs.isEmpty()) {
            subchannels(kernel, "the device has " + subs.size() + " subchannel(s)").ifPresent(limits::add);
        }
        if (!kernel.rescindSafe()) {
            limits.add(new Limit("kernel-rescind", "kernel " + kernel.release() + " is not known to carry"
                    + " fb1adbd7e50f (" + KernelFeatures.RESCIND_SAFE_RELEASES + "; a distribution release that"
                    + " hides its point release counts as without it): once the agent has opened the device, the host"
                    + " rescinding it (the service switched off in the VM's settings) makes hv_uio_rescind dereference"
                    + " the primary channel's NULL primary_channel and oopses the guest. A kernel that carries the fix"
                    + " says so with transport.kernel.rescindSafe=true"));
        }
        confidential(kernel).ifPresent(limits::add);
        return limits;
    }

    /**
     * Why the running transport must not serve {@code channel} of uio node {@code uio} on {@code kernel}, or null when
     * it can: the reasons of {@link #of} that concern one channel (all but the rescind race), named by relid. Scans
     * and opens both ask, so an operator sees the same reason for a channel that is never offered and one whose open
     * fails.
     */
    public static String refusal(KernelFeatures kernel, UioChannel channel, String uio) {
        String what = (channel.subchannel() == 0 ? "channel " : "subchannel ") + channel.relid() + " of " + uio;
        Optional<Limit> why = unmonitored(kernel, channel);
        if (why.isEmpty() && channel.subchannel() != 0) {
            why = subchannels(kernel, "it is a subchannel");
        }
        if (why.isEmpty()) {
            why = confidential(kernel);
        }
        return why.map(r -> what + " is not served: " + r.text()).orElse(null);
    }

    /**
     * A confidential VM: no channel at all. {@code vmbus run} refuses to start on one with a device of an enabled
     * class offered; a device bound or offered after start-up is refused here, at the scan, before it is mapped.
     */
    private static Optional<Limit> confidential(KernelFeatures kernel) {
        if (kernel.confidential() == null) {
            return Optional.empty();
        }
        return Optional.of(new Limit("kernel-confidential", "this is a confidential VM (" + kernel.confidential()
                + "): the kernel decrypts the ring and monitor pages for the host (set_memory_decrypted), but"
                + " every released uio_hv_generic maps them to userspace with encrypted page-table entries, so"
                + " the agent and the host would see different bytes, or the first access faults and kills the"
                + " agent or the VM"));
    }

    /** A channel that is not monitor-allocated on a kernel whose uio_hv_generic cannot signal it. */
    private static Optional<Limit> unmonitored(KernelFeatures kernel, UioChannel channel) {
        if (kernel.canServe(channel)) {
            return Optional.empty();
        }
        return Optional.of(new Limit("kernel-unmonitored", "the channel is not monitor-allocated (sysfs shows no"
                + " monitor_id) and kernel " + kernel.release() + " (" + kernel.basis() + ") lacks 547fa4ffd799"
                + " (\"uio_hv_generic: Enable interrupt for low speed VMBus devices\", "
                + KernelFeatures.linux(KernelFeatures.SLOW_CHANNELS_SINCE) + "): hv_uio_probe refuses it with -ENOTSUPP"
                + " (\"vmbus channel requires hypercall\") and write(1) would never signal the host"));
    }

    /**
     * Subchannels on a kernel without d062463edf17. Before it, {@code hv_uio_channel_cb} dereferences the
     * subchannel's NULL device_obj when the host interrupts it (an oops in interrupt context), and write(1) unmasks
     * and signals the primary only. Serving one masked by polling is not safe either: the host also interrupts a
     * masked channel when the guest's pending_send_sz is crossed, and an unmonitored subchannel cannot be kicked.
     */
    private static Optional<Limit> subchannels(KernelFeatures kernel, String which) {
        if (kernel.allChannelEvents()) {
            return Optional.empty();
        }
        return Optional.of(new Limit("kernel-subchannels", which + " and kernel " + kernel.release() + " ("
                + kernel.basis() + ") lacks d062463edf17 (\"uio_hv_generic: Set event for all channels on the device\", "
                + KernelFeatures.linux(KernelFeatures.ALL_CHANNEL_EVENTS_SINCE) + "): an unmasked subchannel interrupt"
                + " makes hv_uio_channel_cb dereference the subchannel's NULL device_obj and oopses the guest, and"
                + " a write(1) kick reaches the primary only, never a subchannel"));
    }
}
