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
 * it; {@code vmbus run --transport uio} refuses to start on {@link #refusals()}, so both say the same thing. A class
 * whose {@link ForcedBinds} record names the devices {@code vmbus bind CLASS --device} chose is judged on those devices
 * only: the others stay on their driver by the operator's choice, and are neither "not bound" nor refused.
 * Built once on the calling thread (blocking file I/O, before Vert.x starts); immutable.
 */
public record Diagnosis(KernelFeatures kernel, Path sysfsRoot, boolean uioLoaded, List<DeviceReport> devices,
                 List<ClassReport> classes, List<String> problems, java.util.Set<java.util.UUID> enabledClassIds) {

    /**
     * One device, its verdict and the commands that give it to this agent.
     *
     * @param chosen how it stands to its class's {@code --device} choice; null when the class has none (the whole
     *               class is bound, or nothing was chosen)
     */
    public record DeviceReport(VmbusDevice device, ServePolicy.Verdict verdict, List<String> commands, Chosen chosen) {
        /**
         * Whether the operator left it on its driver ({@code --device} chose other devices of its class); one on
         * {@code uio_hv_generic} all the same (bound by hand) is not left: the agent serves it.
         */
        public boolean leftByChoice() {
            return chosen != null && !chosen.selected() && !device.onUio();
        }
    }

    /**
     * A device of a class {@code vmbus bind CLASS --device} chose devices of.
     *
     * @param selected whether it is one of the chosen
     * @param name     the interface it was chosen as (or had then), "" when none is known
     * @param others   the chosen devices of its class, as {@link DeviceSelection#describe()} names them
     * @param heldBy   for a chosen device on {@code uio_hv_generic}, what holds it there: {@link #BY_OVERRIDE} or
     *                 {@link #byNewId}; "" otherwise
     */
    public record Chosen(boolean selected, String name, String others, String heldBy) {
        /** Whether the class's {@code new_id} holds it, so that another device of the class may follow it. */
        public boolean heldByNewId() {
            return !heldBy.isEmpty() && !heldBy.equals(BY_OVERRIDE);
        }
    }

    /** A chosen device held on uio by its own {@code driver_override}: no other device can follow it there. */
    public static final String BY_OVERRIDE = DriverOverride.ATTRIBUTE;

    /** A chosen device held on uio by its class's {@code new_id}, and the risk that brings. */
    static String byNewId(VmbusDevice d) {
        return "new_id for the class: a " + (d.classId().equals(dev.vmbus.channel.DeviceClass.NETVSC.classId()) ? "NIC"
                : d.className() + " device") + " hot-added (or offered again) later may go to " + VmbusDevices.UIO_DRIVER;
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
        Map<java.util.UUID, DeviceSelection> choices = choices(view);
        for (VmbusDevice d : sorted) {
            ServePolicy.Verdict v = ServePolicy.judge(d, kernel);
            DeviceSelection choice = choices.getOrDefault(d.classId(), DeviceSelection.ALL);
            String heldBy = !choice.includes(d) || !d.onUio() ? ""
                    : DriverOverride.holdsOnUio(d) ? BY_OVERRIDE : byNewId(d);
            Chosen chosen = choice.chosen() ? new Chosen(choice.includes(d),
                    choice.devices().getOrDefault(d.dir().getFileName().toString(), ""), choice.describe(), heldBy)
                    : null;
            devices.add(new DeviceReport(d, v, v.servable() && !d.onUio() && (chosen == null || chosen.selected())
                    ? commands(sysfs, d, loaded) : List.of(), chosen));
        }
        List<ClassReport> classes = new ArrayList<>();
        java.util.Set<java.util.UUID> enabled = new java.util.HashSet<>();
        for (Map.Entry<String, List<java.util.UUID>> e : enabledClasses.entrySet()) {
            String name = e.getKey();
            List<java.util.UUID> ids = e.getValue();
            enabled.addAll(ids);
            List<DeviceReport> mine = devices.stream().filter(r -> ids.contains(r.device().classId()))
                    .filter(r -> !r.leftByChoice()).toList();
            DeviceSelection choice = ids.stream().map(choices::get).filter(java.util.Objects::nonNull).findFirst()
                    .orElse(DeviceSelection.ALL);
            List<String> left = devices.stream().filter(r -> ids.contains(r.device().classId()))
                    .filter(DeviceReport::leftByChoice).map(r -> NetInterfaces.describe(view.sysfsRoot(),
                            view.procRoot(), r.device()) + " on "
                            + r.device().driver().orElse("no driver")).toList();
            String others = left.isEmpty() ? "" : "; by the operator's choice the class's other device(s) stay on"
                    + " their driver: " + String.join(", ", left);
            if (mine.isEmpty() && choice.chosen()) {
                classes.add(new ClassReport(name, Status.ABSENT, "none of the devices 'vmbus bind " + name
                        + " --device' chose is offered (" + choice.describe() + "), so nothing serves it" + others));
            } else if (mine.isEmpty()) {
                classes.add(new ClassReport(name, Status.ABSENT, "no device offered (is the service enabled in the"
                        + " VM's settings?); the agent serves it when the host offers one"));
            } else if (mine.stream().anyMatch(r -> !r.verdict().kernelReasons().isEmpty())) {
                DeviceReport bad = mine.stream().filter(r -> !r.verdict().kernelReasons().isEmpty()).findFirst().get();
                classes.add(new ClassReport(name, Status.CANNOT_SERVE, "cannot be served on this kernel: "
                        + bad.verdict().kernelReasons().getFirst().text()));
            } else if (mine.stream().allMatch(r -> r.device().onUio()) && choice.chosen()) {
                classes.add(new ClassReport(name, Status.SERVED, "served for the device(s) 'vmbus bind " + name
                        + " --device' chose: " + chosen(mine) + " on " + VmbusDevices.UIO_DRIVER + ", which 'vmbus run"
                        + " --transport uio' serves" + others + gone(choice, mine) + heldBy(mine)));
            } else if (mine.stream().allMatch(r -> r.device().onUio())) {
                classes.add(new ClassReport(name, Status.SERVED, "bound to " + VmbusDevices.UIO_DRIVER
                        + ": 'vmbus run --transport uio' serves it"));
            } else if (choice.chosen()) {
                classes.add(new ClassReport(name, Status.BINDABLE, "NOT on " + VmbusDevices.UIO_DRIVER + " for the"
                        + " device(s) 'vmbus bind " + name + " --device' chose (" + chosen(mine) + "), so nothing serves"
                        + " it (bindings are lost at every reboot; the vmbus unit binds them again as it starts, or:"
                        + " vmbus bind --enabled)" + others + gone(choice, mine)));
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

    /** The {@code --device} choice of each class that has one, from its {@link ForcedBinds} record. */
    private static Map<java.util.UUID, DeviceSelection> choices(SystemView view) {
        String state = view.config().transport().stateDir();
        Map<java.util.UUID, DeviceSelection> out = new java.util.HashMap<>();
        if (state == null) {
            return out;
        }
        // an unreadable record accepts nothing and chooses nothing; doctor names it with the records
        try {
            for (ForcedBinds.Decision d : new ForcedBinds(Path.of(state), line -> { }).all()) {
                if (d.selection().chosen()) {
                    out.put(d.classId(), d.selection());
                }
            }
        } catch (IOException e) {
            return out; // a directory this user cannot list: judged as without a choice
        }
        return out;
    }

    /** The chosen devices of {@code mine}, each as its interface and instance. */
    private static String chosen(List<DeviceReport> mine) {
        return String.join(", ", mine.stream().filter(r -> r.chosen().selected())
                .map(r -> r.chosen().name().isEmpty() ? r.device().instanceId().toString()
                        : r.chosen().name() + " (" + r.device().instanceId() + ")").toList());
    }

    /**
     * What holds the chosen devices of {@code mine} on uio, for a class report: each its own override, or the class's
     * {@code new_id}, with the risk that brings named only then.
     */
    private static String heldBy(List<DeviceReport> mine) {
        List<DeviceReport> held = mine.stream().filter(r -> r.chosen().selected() && !r.chosen().heldBy().isEmpty())
                .toList();
        if (held.isEmpty()) {
            return "";
        }
        if (held.stream().noneMatch(r -> r.chosen().heldByNewId())) {
            return "; each held there by its own " + BY_OVERRIDE + ", so no other device of the class can follow it";
        }
        return "; WARNING: held there by " + held.stream().filter(r -> r.chosen().heldByNewId()).findFirst()
                .orElseThrow().chosen().heldBy();
    }

    /** The chosen devices no longer offered, for a class report; "" when every one is. */
    private static String gone(DeviceSelection choice, List<DeviceReport> mine) {
        List<String> gone = choice.gone(mine.stream().map(DeviceReport::device).toList());
        return gone.isEmpty() ? "" : "; WARNING: chosen but not offered now: " + String.join(", ", gone);
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
