package dev.vmbus.transport.uio.admin;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.transport.uio.KernelFeatures;
import dev.vmbus.transport.uio.SysfsAttributes;
import dev.vmbus.transport.uio.VmbusDevice;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * What binding a device to {@code uio_hv_generic} costs the guest in kernel memory besides its rings: the receive
 * and send buffers {@code hv_uio_probe} vmallocs and GPADLs with the host (uio maps 3 and 4), by kernel generation
 * (spec netvsc-and-buffers.md section 2.2):
 * <ul>
 *   <li>before 4.16: none;</li>
 *   <li>4.16 (e7d214642a19) to 6.13: for <b>every</b> bound device, 15 + 15 MiB until 108ddb8fa1fc, then 31 + 16
 *       MiB. The release of 108ddb8fa1fc is not verified, so the estimate takes the larger, 47 MiB;</li>
 *   <li>6.14 and later ("uio_hv_generic: Add a check for HV_NIC for send, receive buffers setup"): the synthetic NIC
 *       only.</li>
 * </ul>
 * A device already on {@code uio_hv_generic} is measured from its {@code maps/map3/size} and {@code map4/size}
 * instead. Stateless; blocking file I/O.
 */
public final class BufferCost {
    /** {@code RECV_BUFFER_SIZE} + {@code SEND_BUFFER_SIZE} of uio_hv_generic 0.02.1. */
    public static final long PER_DEVICE = (31L << 20) + (16L << 20);
    private static final UUID NIC = DeviceClass.NETVSC.classId();

    private BufferCost() {
    }

    /**
     * What one device costs: measured on a bound device, else what its probe would allocate on this kernel;
     * {@code probeRefuses} when that probe refuses the device before it allocates anything (then 0 bytes).
     */
    public record Cost(long bytes, boolean measured, boolean probeRefuses) {
        public String text() {
            return mib(bytes) + (measured ? " (maps 3 and 4, measured)" : " (by kernel release)");
        }
    }

    /** The buffers {@code hv_uio_probe} of {@code kernel} allocates for a device of {@code classId}. */
    public static long byRelease(KernelFeatures kernel, UUID classId) {
        int[] v = KernelFeatures.version(kernel.release());
        boolean since416 = v[0] > 4 || (v[0] == 4 && v[1] >= 16);
        boolean nicOnly = v[0] > 6 || (v[0] == 6 && v[1] >= 14);
        if (!since416) {
            return 0;
        }
        return nicOnly && !classId.equals(NIC) ? 0 : PER_DEVICE;
    }

    /** Maps 3 and 4 of a bound device, as sysfs says; empty when the device is on no uio node. */
    public static OptionalLong measured(Path sysfsRoot, VmbusDevice d) throws IOException {
        if (d.uio().isEmpty()) {
            return OptionalLong.empty();
        }
        long sum = 0;
        for (int map : new int[] {3, 4}) {
            Path size = sysfsRoot.resolve("class/uio").resolve(d.uio().get()).resolve("maps/map" + map + "/size");
            if (Files.exists(size)) {
                sum += SysfsAttributes.hexSize(size);
            }
        }
        return OptionalLong.of(sum);
    }

    /**
     * What {@code d} costs. A device not on uio whose primary channel is unmonitored, on a kernel without
     * 547fa4ffd799, costs nothing: {@code hv_uio_probe} refuses it with -ENOTSUPP before it allocates the rings or
     * the buffers (the {@code monitor_allocated} check is the probe's first statement until 6.10).
     */
    public static Cost of(Path sysfsRoot, KernelFeatures kernel, VmbusDevice d) throws IOException {
        OptionalLong m = d.onUio() ? measured(sysfsRoot, d) : OptionalLong.empty();
        if (m.isPresent()) {
            return new Cost(m.getAsLong(), true, false);
        }
        boolean refused = !kernel.canServe(d.primary());
        return new Cost(refused ? 0 : byRelease(kernel, d.classId()), false, refused);
    }

    /** What every device now on uio_hv_generic costs, measured. */
    public static long bound(Path sysfsRoot, List<VmbusDevice> devices) throws IOException {
        long sum = 0;
        for (VmbusDevice d : devices) {
            if (d.onUio()) {
                sum += measured(sysfsRoot, d).orElse(0);
            }
        }
        return sum;
    }

    /** {@code MemTotal} of {@code <procRoot>/meminfo} in bytes; empty when it cannot be read. */
    public static OptionalLong memTotal(Path procRoot) {
        try {
            for (String line : Files.readAllLines(procRoot.resolve("meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    String[] f = line.substring("MemTotal:".length()).trim().split("\\s+");
                    return OptionalLong.of(Long.parseLong(f[0]) * 1024);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.empty();
    }

    /** "47 MiB" (one decimal below 10 MiB). */
    public static String mib(long bytes) {
        double m = bytes / (double) (1 << 20);
        return (m >= 10 || m == Math.rint(m) ? Long.toString(Math.round(m)) : String.format("%.1f", m)) + " MiB";
    }
}
