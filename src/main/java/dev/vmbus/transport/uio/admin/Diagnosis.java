package dev.vmbus.transport.uio.admin;

import dev.vmbus.channel.Guid;
import dev.vmbus.transport.uio.KernelFeatures;
import dev.vmbus.transport.uio.admin.UioBinder;
import dev.vmbus.transport.uio.VmbusDevice;
import dev.vmbus.transport.uio.VmbusDevices;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What this agent can serve on this machine: the kernel's features, whether {@code uio_hv_generic} is loaded, every
 * VMBus device judged by {@link ServePolicy}, and each enabled device handler's class. {@code vmbus doctor} prints
 * it; {@code vmbus run --transport uio} refuses to start on {@link #refusals()}, so both say the same thing.
 * Built once on the calling thread (blocking file I/O, before Vert.x starts); immutable.
 */
public record Diagnosis(KernelFeatures kernel, Path sysfsRoot, boolean uioLoaded, List<DeviceReport> devices,
                 List<ClassReport> classes, List<String> problems, java.util.Set<java.util.UUID> enabledClassIds) {

    /** One device, its verdict and the commands that give it to this agent. */
    public record DeviceReport(VmbusDevice device, ServePolicy.Verdict verdict, List<String> commands) {
    }

    public enum Status { SERVED, BINDABLE, CANNOT_SERVE, ABSENT }

    /** An enabled handler's class as the machine offers it. */
    public record ClassReport(String name, Status status, String text) {
    }

    /**
     * Judges the machine for the agent whose enabled device classes are {@code enabledClasses} (name to class
     * GUIDs, in the order to report them: {@code DeviceRegistry.enabledClasses()}).
     */
    public static Diagnosis of(SystemView view, Map<String, List<java.util.UUID>> enabledClasses) throws IOException {
        KernelFeatures kernel = view.kernel();
        Path sysfs = view.sysfsRoot();
        boolean loaded = VmbusDevices.uioDriverLoaded(sysfs);
        VmbusDevices.Scan scan = VmbusDevices.scan(sysfs);
        List<DeviceReport> devices = new ArrayList<>();
        // the integration services first, in the well-known order, then the rest: how an operator reads them
        List<VmbusDevice> sorted = new ArrayList<>(scan.devices());
        sorted.sort(java.util.Comparator.comparingInt(Diagnosis::rank));
        for (VmbusDevice d : sorted) {
            ServePolicy.Verdict v = ServePolicy.judge(d, kernel);
            devices.add(new DeviceReport(d, v, v.servable() && !d.onUio() ? commands(sysfs, d, loaded) : List.of()));
        }
        List<ClassReport> classes = new ArrayList<>();
        java.util.Set<java.util.UUID> enabled = new java.util.HashSet<>();
        for (Map.Entry<String, List<java.util.UUID>> e : enabledClasses.entrySet()) {
            String name = e.getKey();
            List<java.util.UUID> ids = e.getValue();
            enabled.addAll(ids);
            List<DeviceReport> mine = devices.stream().filter(r -> ids.contains(r.device().classId())).toList();
            if (mine.isEmpty()) {
                classes.add(new ClassReport(name, Status.ABSENT, "no device offered (is the service enabled in the"
                        + " VM's settings?); the agent serves it when the host offers one"));
            } else if (mine.stream().anyMatch(r -> !r.verdict().kernelReasons().isEmpty())) {
                DeviceReport bad = mine.stream().filter(r -> !r.verdict().kernelReasons().isEmpty()).findFirst().get();
                classes.add(new ClassReport(name, Status.CANNOT_SERVE, "cannot be served on this kernel: "
                        + bad.verdict().kernelReasons().getFirst().text()));
            } else if (mine.stream().allMatch(r -> r.device().onUio())) {
                classes.add(new ClassReport(name, Status.SERVED, "bound to " + VmbusDevices.UIO_DRIVER
                        + ": 'vmbus run --transport uio' serves it"));
            } else {
                classes.add(new ClassReport(name, Status.BINDABLE, "NOT on " + VmbusDevices.UIO_DRIVER
                        + ", so nothing serves it (bindings are lost at every reboot; the vmbus unit binds the enabled"
                        + " classes as it starts, or: vmbus bind " + name
                        + (mine.stream().anyMatch(r -> r.verdict().forceable()) ? " --force, which the unit then"
                        + " repeats at boot; without it the unit refuses: " + mine.stream().filter(r -> r.verdict()
                        .forceable()).findFirst().get().verdict().summary() : "") + ")"));
            }
        }
        return new Diagnosis(kernel, sysfs, loaded, devices, classes, scan.problems(), java.util.Set.copyOf(enabled));
    }

    private static int rank(VmbusDevice d) {
        int i = dev.vmbus.channel.DeviceClass.WELL_KNOWN.stream().map(dev.vmbus.channel.DeviceClass::classId).toList()
                .indexOf(d.classId());
        return i < 0 ? Integer.MAX_VALUE : i;
    }

    /** The exact commands that give a servable device to this agent. */
    private static List<String> commands(Path sysfs, VmbusDevice d, boolean loaded) {
        List<String> out = new ArrayList<>();
        if (!loaded) {
            out.add("modprobe uio_hv_generic");
        }
        out.add("vmbus bind " + d.className() + "    # or, by hand:");
        Path uio = sysfs.resolve("bus/vmbus/drivers").resolve(VmbusDevices.UIO_DRIVER);
        String instance = d.dir().getFileName().toString();
        out.add(new UioBinder.Step(uio.resolve("new_id"), Guid.format(d.classId())).command());
        d.driver().ifPresent(drv -> out.add(new UioBinder.Step(sysfs.resolve("bus/vmbus/drivers").resolve(drv)
                .resolve("unbind"), instance).command()));
        out.add(new UioBinder.Step(uio.resolve("bind"), instance).command()
                + (d.driver().isEmpty() ? "    # only if new_id did not bind it already (it probes unbound devices)" : ""));
        return out;
    }

    /**
     * Why {@code vmbus run --transport uio} must not start here; empty when it may. A device on uio whose class no
     * enabled handler serves (a DPDK NIC, say) is never opened by the agent, so it never blocks start-up (review F9).
     */
    public List<String> refusals() {
        List<String> out = new ArrayList<>();
        for (DeviceReport r : devices) {
            if (r.device().onUio() && !r.verdict().kernelReasons().isEmpty()
                    && enabledClassIds.contains(r.device().classId())) {
                out.add(r.device().className() + " " + r.device().instanceId() + " is bound to " + VmbusDevices.UIO_DRIVER
                        + " but cannot be served safely: " + r.verdict().kernelReasons().getFirst().text());
            }
        }
        for (ClassReport c : classes) {
            if (c.status() == Status.CANNOT_SERVE) {
                out.add(c.name() + " (enabled in the configuration) " + c.text());
            }
        }
        return out;
    }

    /** Whether every enabled class can be served by this agent on this kernel. */
    public boolean ok() {
        return classes.stream().noneMatch(c -> c.status() == Status.CANNOT_SERVE) && refusals().isEmpty();
    }
}
