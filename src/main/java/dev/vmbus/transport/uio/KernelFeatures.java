package dev.vmbus.transport.uio;

import dev.vmbus.os.PageSize;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 *                         at {@code maps/mapN/addr & (PAGE_SIZE-1)} inside the mapping
 *                         ({@code maps/mapN/offset} is {@code mem->offs}, always 0 for this driver).
 * @param rescindSafe      fb1adbd7e50f (mainline 6.11; stable 6.10.10, 6.6.51, 6.1.110, 5.15.167, 5.10.226, 5.4.284,
 *                         4.19.322, the point releases of the 2024-09-10 review cycle): before it {@code
 *                         hv_uio_rescind} reads {@code channel->primary_channel->device_obj}, NULL for a primary
 *                         channel, so once a device has been opened a rescind (the service switched off in the VM's
 *                         settings) oopses the guest. Without it no device may be served.
 * @param confidential     why this is a confidential VM (SEV-SNP or TDX, with or without a paravisor), or null: the
 *                         kernel decrypts the ring and monitor pages for the host, but every released
 *                         {@code uio_hv_generic} maps them to userspace with encrypted page-table entries, so no
 *                         device may be served (review F5; {@link ConfidentialVm} says from which source)
 * @param confidentialUnread when {@code confidential} is null: why the kernel log, the one source that shows an Azure
 *                         CVM with a paravisor, could not tell (so "not a confidential VM" is not known), else null
 * @param basis            how these were learnt (e.g. "from kernel release 6.6.0", "from transport.kernel"), for
 *                         messages that say why the agent decided what it did
 */
public record KernelFeatures(String release, int pageSize, boolean slowChannels, boolean allChannelEvents,
                             boolean alignedMaps, boolean rescindSafe, String confidential, String confidentialUnread,
                             String basis) {

    public KernelFeatures {
        if (release == null || basis == null) {
            throw new IllegalArgumentException("release and basis are required");
        }
        if (pageSize < 4096 || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("pageSize must be a power of two >= 4096, got " + pageSize);
        }
    }

    /** Every source was read, or none is known not to have been ({@code confidentialUnread} null). */
    public KernelFeatures(String release, int pageSize, boolean slowChannels, boolean allChannelEvents,
                          boolean alignedMaps, boolean rescindSafe, String confidential, String basis) {
        this(release, pageSize, slowChannels, allChannelEvents, alignedMaps, rescindSafe, confidential, null, basis);
    }

    /** Whether a channel with this monitor state can be probed and interrupted by this kernel. */
    public boolean canServe(UioChannel channel) {
        return channel.monitored() || slowChannels;
    }

    /*
     * The mainline release of each commit, read from the kernel's own history: 547fa4ffd799 was pushed to
     * char-misc-next on 2024-04-12 with ec314f61e4fc (fcopy driver removed) and merged for v6.10; d062463edf17
     * was pushed to char-misc-next on 2025-04-17, after v6.15-rc1, and merged for v6.16 (6.17.7 has it, the
     * Debian bug 1120602 thread says); 09eea7ad0b8e came in with hyperv-next-signed-20250602 on 2025-06-03, in
     * the v6.16 merge window. Stable series got some of them later (d062463 as a backport to 6.12.y and 6.1.y from
     * Nov 2025, the 6.12 review posted 2025-11-21, a reworked one for 6.6 and older; 09eea7ad0b8e for 6.15.y, 6.12.y
     * and 6.6.y in June 2025); a backport is invisible in the version number, hence transport.kernel.
     */
    /** 547fa4ffd799, "uio_hv_generic: Enable interrupt for low speed VMBus devices". */
    public static final int[] SLOW_CHANNELS_SINCE = {6, 10};
    /** d062463edf17, "uio_hv_generic: Set event for all channels on the device". */
    public static final int[] ALL_CHANNEL_EVENTS_SINCE = {6, 16};
    /** 09eea7ad0b8e, "Drivers: hv: Allocate interrupt and monitor pages aligned to system page boundary". */
    public static final int[] ALIGNED_MAPS_SINCE = {6, 16};
    /** fb1adbd7e50f, the hv_uio_rescind NULL dereference of a primary channel: mainline 6.11. */
    public static final int[] RESCIND_SAFE_SINCE = {6, 11};
    /**
     * The first point release of each stable series that carries fb1adbd7e50f (with "unregister on rescind"): the
     * releases of the stable review cycle of 2024-09-10. A distribution release such as {@code 5.15.0-1089-azure}
     * or Debian's {@code 6.1.0-28-amd64} hides its point release, so it is not known to carry it.
     */
    public static final java.util.Map<String, Integer> RESCIND_SAFE_STABLE = java.util.Map.of("6.10", 10, "6.6", 51,
            "6.1", 110, "5.15", 167, "5.10", 226, "5.4", 284, "4.19", 322);
    /** The releases that carry fb1adbd7e50f, for messages. */
    public static final String RESCIND_SAFE_RELEASES = "Linux 6.11; stable 6.10.10, 6.6.51, 6.1.110, 5.15.167,"
            + " 5.10.226, 5.4.284, 4.19.322";

    /**
     * Why a guest with any device on {@code uio_hv_generic} cannot hibernate (kernel review F7): {@code vmbus_pm}'s
     * {@code freeze_noirq} and {@code poweroff_noirq} are {@code vmbus_suspend}, which returns {@code -EOPNOTSUPP}
     * for a bound driver without {@code .suspend}, and {@code uio_hv_generic} has none (probe and remove only) in
     * every version; {@code hv_utils} has one. A device on no driver does not stand in the way.
     */
    public static final String NO_HIBERNATION = dev.vmbus.config.TransportType.UIO.hibernationImpossible();

    private static final Pattern VERSION = Pattern.compile("^(\\d+)\\.(\\d+)");
    private static final Pattern SUBLEVEL = Pattern.compile("^\\d+\\.\\d+\\.(\\d+)");
    /** {@code AT_PAGESZ} in the ELF auxiliary vector. */
    private static final long AT_PAGESZ = 6;

    /**
     * Features an operator states for a distribution kernel whose backports the release number cannot show
     * ({@code transport.kernel}); every null field is detected.
     */
    public record Overrides(String release, Integer pageSize, Boolean slowChannels, Boolean allChannelEvents,
                            Boolean alignedMaps, Boolean rescindSafe) {
        public static final Overrides NONE = new Overrides(null, null, null, null, null, null);

        boolean any() {
            return release != null || pageSize != null || slowChannels != null || allChannelEvents != null
                    || alignedMaps != null || rescindSafe != null;
        }
    }

    /** What a mainline or stable kernel of {@code release} does, by the releases above; not a confidential VM. */
    public static KernelFeatures fromRelease(String release, int pageSize, String basis) {
        int[] v = version(release);
        return new KernelFeatures(release, pageSize, atLeast(v, SLOW_CHANNELS_SINCE),
                atLeast(v, ALL_CHANNEL_EVENTS_SINCE), atLeast(v, ALIGNED_MAPS_SINCE), rescindSafeByRelease(release),
                null, basis);
    }

    /** Whether {@code release} carries fb1adbd7e50f by its number: 6.11+, or a stable point release that has it. */
    static boolean rescindSafeByRelease(String release) {
        int[] v = version(release);
        if (atLeast(v, RESCIND_SAFE_SINCE)) {
            return true;
        }
        Integer since = RESCIND_SAFE_STABLE.get(v[0] + "." + v[1]);
        Matcher m = SUBLEVEL.matcher(release);
        return since != null && m.find() && Long.parseLong(m.group(1)) >= since;
    }

    /** A copy that is (or is not) a confidential VM, for the given reason, every source read. */
    public KernelFeatures withConfidential(String reason) {
        return new KernelFeatures(release, pageSize, slowChannels, allChannelEvents, alignedMaps, rescindSafe, reason,
                null, basis);
    }

    /**
     * Reads the running kernel: its release from {@code <procRoot>/sys/kernel/osrelease}, its page size from
     * {@code AT_PAGESZ} in {@code <procRoot>/self/auxv} (this process's own, which the kernel fills in), then
     * applies {@code overrides}. Blocking file I/O: call it from a worker or before Vert.x starts.
     */
    public static KernelFeatures detect(Path procRoot, Overrides overrides) throws IOException {
        return detect(procRoot, null, null, overrides);
    }

    /**
     * As {@link #detect(Path, Overrides)}, and whether this is a confidential VM, asked of
     * {@link ConfidentialVm#detect} with these roots ({@code /sys}, {@code /dev}; null ones tell nothing).
     */
    public static KernelFeatures detect(Path procRoot, Path sysfsRoot, Path devRoot, Overrides overrides)
            throws IOException {
        List<String> basis = new ArrayList<>();
        String release = overrides.release();
        if (release == null) {
            Path file = procRoot.resolve("sys/kernel/osrelease");
            release = SysfsAttributes.text(file);
            basis.add("release " + release + " from " + file);
        } else {
            basis.add("release " + release + " from transport.kernel.release");
        }
        if (!VERSION.matcher(release).find()) {
            throw new IOException("kernel release '" + release + "' does not start with MAJOR.MINOR; set"
                    + " transport.kernel.release (and the feature flags) in the configuration");
        }
        int pageSize;
        Path auxv = procRoot.resolve("self/auxv");
        if (overrides.pageSize() != null) {
            pageSize = overrides.pageSize();
            Integer fromAuxv = auxvPageSize(auxv);
            if (fromAuxv != null && fromAuxv != pageSize) {
                // The ring header is one kernel page (hv_ringbuffer_init); map offsets and size checks use the real
                // one. A different override writes data inside the header page (review F13).
                throw new IOException("transport.kernel.pageSize " + pageSize + " disagrees with AT_PAGESZ "
                        + fromAuxv + " in " + auxv + ": the page size is the running kernel's, never a backport"
                        + " question; remove transport.kernel.pageSize");
            }
            basis.add("page size " + pageSize + " from transport.kernel.pageSize");
        } else {
            Integer fromAuxv = auxvPageSize(auxv);
            pageSize = fromAuxv != null ? fromAuxv : PageSize.system();
            basis.add("page size " + pageSize + (fromAuxv != null ? " from " + auxv : " from sysconf"));
        }
        if (pageSize < 4096 || Integer.bitCount(pageSize) != 1) {
            throw new IOException("page size " + pageSize + " is not a power of two >= 4096");
        }
        KernelFeatures byRelease = fromRelease(release, pageSize, "");
        boolean slow = pick(overrides.slowChannels(), byRelease.slowChannels(), "slowChannels", basis);
        boolean all = pick(overrides.allChannelEvents(), byRelease.allChannelEvents(), "allChannelEvents", basis);
        boolean aligned = pick(overrides.alignedMaps(), byRelease.alignedMaps(), "alignedMaps", basis);
        boolean rescind = pick(overrides.rescindSafe(), byRelease.rescindSafe(), "rescindSafe", basis);
        if (overrides.slowChannels() == null && overrides.allChannelEvents() == null
                && overrides.alignedMaps() == null && overrides.rescindSafe() == null) {
            basis.add("features by mainline release (a distribution backport needs transport.kernel)");
        }
        ConfidentialVm cvm = ConfidentialVm.detect(procRoot, sysfsRoot, devRoot);
        if (cvm.reason() != null) {
            basis.add("a confidential VM: " + cvm.reason());
        } else if (cvm.unread() != null) {
            basis.add("whether this is a confidential VM is not known: " + cvm.unread());
        }
        return new KernelFeatures(release, pageSize, slow, all, aligned, rescind, cvm.reason(), cvm.unread(),
                String.join("; ", basis));
    }

    private static boolean pick(Boolean override, boolean detected, String key, List<String> basis) {
        if (override == null) {
            return detected;
        }
        basis.add(key + "=" + override + " from transport.kernel");
        return override;
    }

    /** {@code AT_PAGESZ} from a 64-bit little-endian auxiliary vector, or null when the file is absent or holds none. */
    static Integer auxvPageSize(Path auxv) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(auxv);
        } catch (NoSuchFileException e) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        while (b.remaining() >= 16) {
            long type = b.getLong();
            long value = b.getLong();
            if (type == 0) {
                break;
            }
            if (type == AT_PAGESZ) {
                if (value < 4096 || value > (1 << 24) || Long.bitCount(value) != 1) {
                    throw new IOException(auxv + " holds AT_PAGESZ " + value + ", not a power of two >= 4096");
                }
                return (int) value;
            }
        }
        return null;
    }

    /** MAJOR.MINOR of a release such as {@code 6.6.87.2-microsoft-standard-WSL2} or {@code 5.15.0-1089-azure}. */
    public static int[] version(String release) {
        Matcher m = VERSION.matcher(release);
        if (!m.find()) {
            throw new IllegalArgumentException("kernel release '" + release + "' does not start with MAJOR.MINOR");
        }
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
    }

    private static boolean atLeast(int[] v, int[] since) {
        return v[0] > since[0] || (v[0] == since[0] && v[1] >= since[1]);
    }

    /** "Linux 6.10" for messages. */
    public static String linux(int[] since) {
        return "Linux " + since[0] + "." + since[1];
    }
}
