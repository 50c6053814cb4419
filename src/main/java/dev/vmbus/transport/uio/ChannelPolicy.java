package dev.vmbus.transport.uio;

/**
 * Which channels this transport serves on a given kernel, and why not the others. The one place that turns
 * {@link KernelFeatures} into a refusal; scans and opens both ask it, so an operator sees the same reason for
 * a channel that is never offered and one whose open fails.
 *
 * <p>Stateless.
 */
final class ChannelPolicy {
    private ChannelPolicy() {
    }

    /** Why {@code channel} of {@code uio} must not be served on {@code kernel}, or null when it can be. */
    static String refusal(KernelFeatures kernel, UioChannel channel, String uio) {
        String what = (channel.subchannel() == 0 ? "channel " : "subchannel ") + channel.relid() + " of " + uio;
        if (!kernel.canServe(channel)) {
            return what + " is not monitor-allocated and this kernel's uio_hv_generic (" + kernel.release() + ", "
                    + kernel.basis() + ") lacks 547fa4ffd799 (Linux 6.10): write(1) never signals the host for it";
        }
        if (channel.subchannel() != 0 && !kernel.allChannelEvents()) {
            // Before d062463edf17, hv_uio_channel_cb dereferences the subchannel's NULL device_obj when the host
            // interrupts it (an oops in interrupt context), and write(1) unmasks and signals the primary only.
            // Serving it masked by polling is not safe either: the host also interrupts a masked channel when
            // the guest's pending_send_sz is crossed, and an unmonitored subchannel cannot be kicked at all.
            return what + " is not served: this kernel's uio_hv_generic (" + kernel.release() + ", "
                    + kernel.basis() + ") lacks d062463edf17, so unmasking a subchannel lets the host interrupt it"
                    + " into a NULL dereference in hv_uio_channel_cb, and a write(1) kick reaches the primary only";
        }
        return null;
    }
}
