package dev.vmbus.transport.uio.admin;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.transport.uio.KernelFeatures;
import dev.vmbus.transport.uio.VmbusDevice;
import dev.vmbus.transport.uio.VmbusDevices;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * What {@link UioBinder#planBind} decides before any write: whether this kernel can serve every device of the class
 * on {@code uio_hv_generic} ({@link ServePolicy}; a class that is not an integration service only with
 * {@code --force}, the risk named), what the receive and send buffers the kernel allocates for them cost (refused
 * above {@code transport.maxBufferPercent} of {@code MemTotal} without {@code --force}), and the warnings an operator
 * reads before the first write: the PTP clock timesync takes with it (review F11), and hibernation (review F7).
 *
 * <p>Used from one thread (the binder's); blocking file I/O.
 */
final class BindPreflight {
    private final Path sysfsRoot;
    private final Path procRoot;
    private final KernelFeatures kernel;
    private final double maxBufferPercent;
    private final Consumer<String> steps;

    BindPreflight(Path sysfsRoot, Path procRoot, KernelFeatures kernel, double maxBufferPercent,
                  Consumer<String> steps) {
        this.sysfsRoot = sysfsRoot;
        this.procRoot = procRoot;
        this.kernel = kernel;
        this.maxBufferPercent = maxBufferPercent;
        this.steps = steps;
    }

    /** What a bind overrode: per moved instance the forceable reason codes; the buffer share (NaN: none). */
    record Overrides(Map<String, Set<String>> reasons, double bufferPercent) {
    }

    /**
     * Judges a bind of {@code devices} (every device of {@code classId}) and says its warnings; throws
     * {@link UioBinder.Refused} naming every reason when it must not happen under {@code consent}. Returns what the
     * consent overrode.
     */
    Overrides check(UUID classId, List<VmbusDevice> devices, Consent consent) throws IOException {
        Map<String, Set<String>> overridden = new LinkedHashMap<>();
        List<String> refusals = refusals(classId, devices.stream().filter(d -> !d.onUio()).toList(), consent, kernel,
                overridden);
        if (!refusals.isEmpty()) {
            throw new UioBinder.Refused("refusing to bind " + DeviceClass.nameOf(classId) + " on kernel " + kernel.release()
                    + " (" + kernel.basis() + "); nothing was changed:\n  " + String.join("\n  ", refusals));
        }
        for (VmbusDevice d : devices) {
            Set<String> codes = overridden.get(d.dir().getFileName().toString());
            if (codes == null) {
                continue;
            }
            String how = consent.all() ? "--force: moving " : "as " + consent.source() + " accepted: moving ";
            ServePolicy.judge(d, kernel).reasons().stream().filter(r -> codes.contains(r.code()))
                    .forEach(r -> steps.accept(how + d.instanceId() + " although " + r.text()));
        }
        double share = bufferCheck(classId, devices, consent);
        if (classId.equals(DeviceClass.TIMESYNC.classId())
                && devices.stream().anyMatch(d -> d.driver().filter("hv_utils"::equals).isPresent())) {
            // hv_timesync_init registers the hyperv PTP clock; util_remove unregisters it (review F11)
            steps.accept("WARNING: timesync leaves hv_utils, which unregisters the hyperv PTP clock (/dev/ptp_hyperv):"
                    + " a chrony 'refclock PHC /dev/ptp_hyperv' (stock Azure images) loses its reference clock; point"
                    + " chrony at the agent instead (devices.timesync.chronySocket, 'refclock SOCK <path>')");
        }
        if (devices.stream().anyMatch(d -> !d.onUio())) {
            steps.accept("WARNING: once " + DeviceClass.nameOf(classId) + " is on " + VmbusDevices.UIO_DRIVER + " this guest cannot"
                    + " hibernate until it is unbound (review F7): " + KernelFeatures.NO_HIBERNATION);
        }
        return new Overrides(overridden, share);
    }

    /**
     * Why moving {@code devices} under {@code consent} must not happen (the kernel cannot serve one, or a forceable
     * reason the consent does not accept), one line each; empty when it may. What the consent overrode goes into
     * {@code overridden}, per instance.
     */
    private static List<String> refusals(UUID classId, List<VmbusDevice> devices, Consent consent,
                                         KernelFeatures kernel, Map<String, Set<String>> overridden) {
        List<String> refusals = new ArrayList<>();
        for (VmbusDevice d : devices) {
            String instance = d.dir().getFileName().toString();
            String who = d.instanceId() + " (" + d.className() + ", on " + d.driver().orElse("no driver") + "): ";
            for (ServePolicy.Reason r : ServePolicy.judge(d, kernel).reasons()) {
                if (!r.forceable()) {
                    refusals.add(who + r.text());
                } else if (consent.accepts(instance, r.code())) {
                    overridden.computeIfAbsent(instance, k -> new TreeSet<>()).add(r.code());
                } else if (consent.recorded()) {
                    refusals.add(who + r.text() + " (" + consent.source() + " did not accept this for this device: "
                            + (consent.reasons().containsKey(instance) ? "a new reason" : "a device it did not move")
                            + "; 'vmbus bind " + DeviceClass.nameOf(classId) + " --force' accepts it)");
                } else {
                    refusals.add(who + r.text() + " (--force moves it anyway)");
                }
            }
        }
        return refusals;
    }

    /**
     * What the boot's {@code bind --enabled} would refuse of {@code classId}'s devices under {@code consent} (a
     * replayed record), judging every one of them as after a reboot, when none is on {@code uio_hv_generic} yet;
     * empty when it would move them all. The buffer share is judged by whoever knows every class's devices.
     */
    static List<String> refusalsAtBoot(UUID classId, List<VmbusDevice> devices, Consent consent, KernelFeatures kernel) {
        return refusals(classId, devices, consent, kernel, new LinkedHashMap<>());
    }

    /**
     * Names, before any write, the receive and send buffers the kernel will allocate for the devices this bind moves
     * (issue 19 item 3: 47 MiB a device on 4.16 to 6.13), and refuses without {@code force} when with those of the
     * devices already bound they would exceed {@code maxBufferPercent} of {@code MemTotal}. Returns the share the
     * consent let it pass above that, or NaN.
     */
    private double bufferCheck(UUID classId, List<VmbusDevice> devices, Consent consent) throws IOException {
        long adds = 0;
        int moving = 0;
        for (VmbusDevice d : devices) {
            if (!d.onUio()) {
                adds += BufferCost.byRelease(kernel, d.classId());
                moving++;
            }
        }
        if (adds == 0) {
            return Double.NaN;
        }
        long bound = BufferCost.bound(sysfsRoot, VmbusDevices.scan(sysfsRoot).devices());
        OptionalLong mem = BufferCost.memTotal(procRoot);
        String what = "binding " + DeviceClass.nameOf(classId) + " makes kernel " + kernel.release() + " allocate "
                + BufferCost.mib(adds) + " of receive and send buffers (uio maps 3 and 4: 31 + 16 MiB for each of "
                + moving + " device(s), as every kernel from 4.16 until 6.14's HV_NIC check does); with the "
                + BufferCost.mib(bound) + " of the devices already bound that is " + BufferCost.mib(bound + adds)
                + (mem.isPresent() ? String.format(Locale.ROOT, ", %.1f%% of MemTotal %s",
                100.0 * (bound + adds) / mem.getAsLong(), BufferCost.mib(mem.getAsLong()))
                : " (MemTotal unreadable in " + procRoot.resolve("meminfo") + ")");
        if (mem.isPresent() && (bound + adds) * 100.0 > maxBufferPercent * mem.getAsLong()) {
            double share = 100.0 * (bound + adds) / mem.getAsLong();
            String above = ", above transport.maxBufferPercent (" + maxBufferPercent + "%)";
            if (!consent.acceptsBuffers(share)) {
                throw new UioBinder.Refused("refusing to bind " + DeviceClass.nameOf(classId) + "; nothing was changed: " + what
                        + above + (consent.recorded() && !Double.isNaN(consent.bufferPercent())
                        ? String.format(Locale.ROOT, " and above the %.1f%% that %s accepted", consent.bufferPercent(),
                        consent.source()) : "") + ". --force binds it anyway;"
                        + " a kernel of 6.14 or later gives these buffers to the NIC only");
            }
            steps.accept((consent.all() ? "--force: " : "as " + consent.source() + " accepted: ") + what + above);
            return share;
        }
        steps.accept(what);
        return Double.NaN;
    }
}
