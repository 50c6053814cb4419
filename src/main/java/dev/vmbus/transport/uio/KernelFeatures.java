package dev.vmbus.transport.uio;

/**
 * What the running kernel's {@code uio_hv_generic} does, in the terms the agent must decide on. Kernel generations
 * differ (see docs/OPERATIONS.md, "Which kernel provides what"); every decision in the uio transport, the binder
 * and {@code vmbus doctor} is taken from one of these flags, never from a version number compared in place.
 *
 * <p>Immutable; made for concurrent use.
 *
 * @param release          {@code uname -r} of the kernel these features describe (for messages)
 * @param pageSize         the kernel's page size in bytes (4096, or 65536 on some arm64 kernels)
 * @param slowChannels     547fa4ffd799 ("Enable interrupt for low speed VMBus devices", 6.10): {@code hv_uio_probe}
 *                         accepts a channel that is not monitor-allocated, and {@code irqcontrol} signals the host
 *                         for it. Without it the probe fails with {@code -ENOTSUPP} ("vmbus channel requires
 *                         hypercall") and no integration service can be served.
 * @param allChannelEvents d062463edf17 ("Set event for all channels on the device"): {@code hv_uio_channel_cb}
 *                         no longer dereferences a subchannel's NULL {@code device_obj} (a subchannel may be
 *                         unmasked), and {@code write(1)} unmasks and signals the primary and every unmonitored
 *                         subchannel. Without it a subchannel must stay masked and a kick reaches the primary only.
 * @param alignedMaps      09eea7ad0b8e: the interrupt and monitor pages (maps 1 and 2) start on a system page
 *                         boundary. Without it, on kernels whose page is larger than 4 KiB, the Hyper-V page sits
 *                         at {@code maps/mapN/offset} inside the mapping.
 * @param basis            how these were learnt (e.g. "from kernel release 6.6.0", "from transport.kernel"), for
 *                         messages that say why the agent decided what it did
 */
public record KernelFeatures(String release, int pageSize, boolean slowChannels, boolean allChannelEvents,
                             boolean alignedMaps, String basis) {

    public KernelFeatures {
        if (release == null || basis == null) {
            throw new IllegalArgumentException("release and basis are required");
        }
        if (pageSize < 4096 || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("pageSize must be a power of two >= 4096, got " + pageSize);
        }
    }

    /** Whether a channel with this monitor state can be probed and interrupted by this kernel. */
    public boolean canServe(UioChannel channel) {
        return channel.monitored() || slowChannels;
    }
}
