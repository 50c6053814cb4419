package dev.vmbus.cli;

import dev.vmbus.transport.uio.admin.SystemView;

import dev.vmbus.bus.DeviceRegistry;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.transport.uio.admin.Consent;
import dev.vmbus.transport.uio.admin.DeviceSelection;
import dev.vmbus.transport.uio.admin.ForcedBinds;
import dev.vmbus.transport.uio.KernelFeatures;
import dev.vmbus.transport.uio.VmbusDevices;
import dev.vmbus.transport.uio.admin.UioBinder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;

/**
 * {@code vmbus bind <class>} and {@code vmbus unbind <class>}: move the devices of a class from their kernel
 * driver to {@code uio_hv_generic} (for this project to serve) and back. Root only on a real system, except
 * {@code --dry-run}, which writes nothing. Every step is checked first and undone on failure (see {@link UioBinder}).
 * {@code --device} moves only the devices named ({@link DeviceSelection}): one synthetic NIC of several, the one the
 * operator reaches the machine by staying on {@code hv_netvsc}.
 */
final class BindCommand {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(BindCommand.class.getName());

    private BindCommand() {
    }

    /**
     * The device classes this project serves, by name, for completion and the help text: the integration services and
     * the synthetic NIC (a class GUID, or another class's name, is accepted too).
     */
    static final class Classes extends java.util.ArrayList<String> {
        Classes() {
            super(java.util.stream.Stream.concat(DeviceClass.INTEGRATION_SERVICES.stream(),
                    java.util.stream.Stream.of(DeviceClass.NETVSC)).map(DeviceClass::name).toList());
        }
    }

    /** What bind and unbind share: the class, where the system is, dry run, where to print, how to tell root. */
    abstract static class Base implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", arity = "0..1", paramLabel = "CLASS", completionCandidates = Classes.class,
                description = "${COMPLETION-CANDIDATES}, or a class GUID.")
        String deviceClass;

        @Mixin
        ConfOption conf;

        @Mixin
        SystemRoots roots;

        @Option(names = "--dry-run", description = "Print the writes as shell commands, in order, and write nothing (no root needed).")
        boolean dryRun;

        @Option(names = "--device", paramLabel = "X", description = "Move only this device of CLASS (repeatable): its"
                + " instance GUID, as under /sys/bus/vmbus/devices, or a network interface whose"
                + " /sys/class/net/X/device is a VMBus device of CLASS (eth1). Every other device of the class stays on"
                + " its driver, untouched. Where the device has /sys/bus/vmbus/devices/<instance>/driver_override,"
                + " uio_hv_generic is written there and not to new_id, so no other device of the class, present or"
                + " offered later, can go to uio; 'unbind' clears it. Refused, before any write, for a name that is no"
                + " device, a device of another class, or with --enabled.")
        List<String> devices = new java.util.ArrayList<>();

        BooleanSupplier root = UioBinder::runningAsRoot;
        UioBinder.SysfsWriter writer = UioBinder.FILES;
        /** Where the unit's NIC drop-in goes ({@link NicDropIn}); null for nowhere (tests on fixture trees). */
        Path dropIns = NicDropIn.DIR;

        @Override
        public Integer call() throws IOException {
            String command = spec.name();
            if (deviceClass == null && !everyEnabledClass()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "Missing required parameter: 'CLASS'");
            }
            if (deviceClass != null && everyEnabledClass()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "give a CLASS or --enabled, not both");
            }
            if (!devices.isEmpty() && everyEnabledClass()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--device goes with a CLASS, not with"
                        + " --enabled (which binds the devices each class's record chose)");
            }
            UUID classId = deviceClass == null ? null : UioBinder.classId(deviceClass);
            ConfigFile file = conf.file();
            file.note().ifPresent(LOG::info);
            SystemView system = roots.view(file.load());
            if (!root.getAsBoolean() && !dryRun) {
                throw new IllegalStateException("'vmbus " + command + "' must run as root: it writes driver attributes"
                        + " under " + system.sysfsRoot().resolve("bus/vmbus/drivers") + " (try: sudo vmbus " + command
                        + " " + deviceClass + ", or --dry-run to see the writes)");
            }
            PrintWriter out = spec.commandLine().getOut();
            KernelFeatures kernel = system.kernel();
            // a dry run of one class prints its plan once it is whole: a refusal comes alone, under no heading
            List<String> planned = dryRun && classId != null ? new java.util.ArrayList<>() : null;
            UioBinder binder = new UioBinder(system.sysfsRoot(), system.procRoot(),
                    Path.of(system.config().transport().devRoot()), kernel, writer, step -> {
                        if (planned != null) {
                            planned.add(step);
                        } else {
                            out.println("  " + step);
                        }
                    },
                    system.config().transport().maxBufferPercent(),
                    Path.of(system.config().transport().runDir()).resolve("bound"),
                    Path.of(system.config().transport().stateDir()));
            if (classId == null) {
                int code = bindEnabled(system, binder, out);
                out.flush();
                return code;
            }
            String name = DeviceClass.nameOf(classId);
            DeviceSelection only = DeviceSelection.resolve(system.sysfsRoot(), system.procRoot(), classId, devices,
                    binder.forced().recorded(classId).map(ForcedBinds.Decision::selected).orElse(Map.of()));
            String line = move(binder, classId, name, only);
            if (planned != null) {
                out.println("# kernel " + kernel.release() + " (" + kernel.basis() + ")");
                out.println("# vmbus " + command + " " + name + (only.chosen() ? " --device " + only.describe() : "")
                        + " would write, in this order:");
                planned.forEach(step -> out.println("  " + step));
            } else {
                out.println(line);
            }
            out.flush();
            return 0;
        }

        abstract String move(UioBinder binder, UUID classId, String name, DeviceSelection only) throws IOException;

        /** Whether this is {@code bind --enabled}. */
        boolean everyEnabledClass() {
            return false;
        }

        int bindEnabled(SystemView system, UioBinder binder, PrintWriter out) throws IOException {
            throw new IllegalStateException("only bind has --enabled");
        }
    }

    /**
     * The units of the kernel's own daemons per class, Debian/Ubuntu's and RHEL/Fedora's names: they serve a device
     * only while it is on hv_utils (fcopy: on uio_hv_generic, through hv_fcopy_uio_daemon, which would then be a
     * second opener of the agent's ring).
     */
    static final Map<String, List<String>> KERNEL_DAEMONS = Map.of(
            DeviceClass.KVP.name(), List.of("hv-kvp-daemon.service", "hypervkvpd.service"),
            DeviceClass.VSS.name(), List.of("hv-vss-daemon.service", "hypervvssd.service"),
            DeviceClass.FCOPY.name(), List.of("hv-fcopy-daemon.service", "hypervfcopyd.service"));

    /** The synthetic NIC's class, whose binding brings the unit's {@link NicDropIn}. */
    static final UUID NETVSC = DeviceClass.NETVSC.classId();

    /** How long bind waits for the stopped daemons of a class to let go of its devices. */
    static final java.time.Duration RELEASE_WAIT = java.time.Duration.ofSeconds(10);

    /** Runs a command to completion and returns its exit status; replaced in tests. */
    interface Runner {
        int run(List<String> command) throws IOException;
    }

    static final Runner PROCESSES = command -> {
        Process p = new ProcessBuilder(command).inheritIO().start();
        try {
            if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within 30 s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + String.join(" ", command), e);
        }
        return p.exitValue();
    };

    @Command(name = "bind", mixinStandardHelpOptions = true,
            header = "Give the devices of a class to uio_hv_generic (root).",
            description = "Give the devices of a class to uio_hv_generic, for 'vmbus run' with transport uio (root "
                    + "only): writes the class to uio_hv_generic/new_id, then each device to its driver's unbind and to "
                    + "uio_hv_generic/bind, printing each write. Refuses what this kernel cannot serve, and storage, "
                    + "network and unknown classes unless --force; any failure puts every device back on its driver. "
                    + "Binding netvsc also writes the unit's drop-in /etc/systemd/system/vmbus.service.d/netvsc.conf, "
                    + "which lets the agent open /dev/net/tun (the NIC's tap backend); 'unbind netvsc' removes it. "
                    + "On a VM with several NICs, 'vmbus bind netvsc --device eth1 --force' moves that one only and "
                    + "keeps the one you reach the machine by (eth0) on hv_netvsc, through eth1's own driver_override "
                    + "where the kernel has it (no new_id, so a NIC hot-added or offered again goes to hv_netvsc); the "
                    + "choice is recorded, so the unit's 'bind --enabled' binds eth1's NIC again at boot and leaves "
                    + "eth0 alone.")
    static final class Bind extends Base {
        @Option(names = "--enabled", description = "Instead of one CLASS: every class enabled in the configuration whose"
                + " devices are offered and not yet on uio_hv_generic. Bindings live in kernel memory and are gone after"
                + " a reboot or a reload of the module, so the vmbus unit runs this before the agent at every start;"
                + " idempotent. A class that only --force could bind is bound again as that --force accepted it"
                + " (recorded under transport.stateDir; a new device or a larger buffer share is refused); a class"
                + " bound with --device, only the devices it chose, the others left on their driver. A class"
                + " this kernel cannot serve, or that is not offered, is named and left alone; a refused or failed"
                + " class does not stop the others; exit status 1 when one was refused or failed (that class is back"
                + " on its driver).")
        boolean enabled;

        @Option(names = "--stop-daemons", description = "With --enabled: then stop the kernel's own daemons (hv-kvp-daemon"
                + " or hypervkvpd, hv-vss-daemon or hypervvssd, hv-fcopy-daemon or hypervfcopyd) of each class that is"
                + " on uio_hv_generic, and only of those: a class left on hv_utils keeps its daemon. Then waits up to"
                + " 10 s for any other process to let go of those classes' devices (hv_fcopy_uio_daemon holds fcopy's"
                + " where something bound it at boot): the agent refuses a device another process holds.")
        boolean stopDaemons;

        @Option(names = "--unit-drop-in", description = "Instead of binding: write the unit's drop-in"
                + " /etc/systemd/system/vmbus.service.d/netvsc.conf (DeviceAllow=/dev/net/tun rw) if the configuration"
                + " serves the NIC with the tap backend (netvsc enabled with backend tap, and on uio its device on"
                + " uio_hv_generic or its 'bind netvsc --force' recorded), and say why or why not. Writes nothing"
                + " under sysfs. The package runs it on an upgrade: the unit of older versions allowed the node itself.")
        boolean unitDropIn;

        @Option(names = "--drop-in-dir", paramLabel = "DIR", hidden = true, description = "With --unit-drop-in: the"
                + " unit's drop-in directory (the package's postinst, installing into another root: dpkg --root).")
        Path dropInDir;

        Runner runner = PROCESSES;

        @Override
        public Integer call() throws IOException {
            if (stopDaemons && !enabled) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--stop-daemons goes with --enabled");
            }
            if (dropInDir != null && !unitDropIn) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--drop-in-dir goes with --unit-drop-in");
            }
            if (unitDropIn) {
                if (deviceClass != null || enabled || force || dryRun || !devices.isEmpty()) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "--unit-drop-in takes no CLASS, --enabled, --force, --device or --dry-run");
                }
                return unitDropIn();
            }
            return super.call();
        }

        /** {@code --unit-drop-in}: the drop-in the configuration needs ({@link NicDropIn#need}), written if missing. */
        private int unitDropIn() throws IOException {
            ConfigFile file = conf.file();
            SystemView system = roots.view(file.load());
            DeviceRegistry registry = DeviceRegistry.load(DeviceRegistry.sections(system.config()),
                    system.config().transport().type());
            Path dir = dropInDir != null ? dropInDir : dropIns;
            PrintWriter out = spec.commandLine().getOut();
            NicDropIn.Need need = NicDropIn.need(system, registry);
            if (!need.needed()) {
                out.println("netvsc: no drop-in needed: " + need.why());
            } else {
                out.println("netvsc: the unit needs " + (dir == null ? "its drop-in" : dir.resolve(NicDropIn.FILE))
                        + ": " + need.why());
                Optional<String> wrote = NicDropIn.write(dir);
                out.println("  " + wrote.orElse("no " + (dir == null ? "drop-in directory" : dir.getParent())
                        + " here (no systemd), so nothing was written"));
            }
            out.flush();
            return 0;
        }

        @Override
        boolean everyEnabledClass() {
            return enabled;
        }

        /** How long {@link BootBind} waits for a stopped daemon to let go of its device; shorter in tests. */
        java.time.Duration releaseWait = RELEASE_WAIT;

        @Override
        int bindEnabled(SystemView system, UioBinder binder, PrintWriter out) throws IOException {
            return new BootBind(dryRun, stopDaemons, runner, releaseWait, dropIns).run(system, binder, out);
        }

        @Option(names = "--force", description = "Also move storage, network and unknown classes (the boot disk or the"
                + " NIC you reach the machine by may go with them), and above transport.maxBufferPercent. Never"
                + " overrides what the kernel cannot do. What it accepted is recorded under transport.stateDir, so"
                + " that 'bind --enabled' binds the class again at boot; 'vmbus unbind' removes the record.")
        boolean force;

        @Override
        String move(UioBinder binder, UUID classId, String name, DeviceSelection only) throws IOException {
            int moved = binder.bind(classId, Consent.of(force), only, dryRun);
            if (classId.equals(NETVSC)) {
                if (dryRun) {
                    spec.commandLine().getOut().println("# and the unit's drop-in " + (dropIns == null ? "(none here)"
                            : dropIns.resolve(NicDropIn.FILE)) + ": DeviceAllow=/dev/net/tun rw");
                } else {
                    NicDropIn.write(dropIns).ifPresent(l -> spec.commandLine().getOut().println("  " + l));
                }
            }
            return name + ": " + moved + " device(s) moved to " + VmbusDevices.UIO_DRIVER + (only.chosen() ? " (only "
                    + only.describe() + "; the class's other devices stay on their driver)" : "")
                    + "; 'systemctl enable --now vmbus' (or 'vmbus run --conf /etc/vmbus/vmbus.json') serves them";
        }
    }

    @Command(name = "unbind", mixinStandardHelpOptions = true,
            header = "Hand the devices of a class back to the kernel (root).",
            description = "Hand the devices of a class back (root only): each to the driver 'vmbus bind' found it on"
                    + " (recorded under transport.runDir), else to the class's kernel driver (hv_utils for the util"
                    + " devices; fcopy has none since Linux 6.10 and goes back to no driver), or to --driver. A failed"
                    + " step leaves the device on uio_hv_generic, not on no driver. With --device, only those devices"
                    + " (an interface name chosen with 'bind --device' is known after its interface is gone), and the"
                    + " boot no longer binds them.")
    static final class Unbind extends Base {
        @Option(names = "--driver", paramLabel = "NAME", description = "The kernel driver to bind them to, whatever"
                + " driver they had before 'vmbus bind'.")
        String driver;

        /** Whether the vmbus service is running; replaced in tests. */
        BooleanSupplier serviceActive = Unbind::vmbusActive;

        /**
         * Whether {@code systemctl is-active vmbus.service} prints a state in which the service may hold devices;
         * false where there is no systemctl.
         */
        static boolean vmbusActive() {
            try {
                Process p = new ProcessBuilder("systemctl", "is-active", "vmbus.service")
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) { // one word: the pipe never fills
                    p.destroyForcibly();
                    return true; // cannot tell: as if it ran
                }
                return holdsDevices(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                return false; // no systemd here: nothing runs the service
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
        }

        /**
         * Whether a unit in {@code state} (as {@code systemctl is-active} prints it) may hold its devices: active,
         * reloading or refreshing (where {@code is-active} exits 0), and also activating (a Type=notify agent opens
         * its channels before READY=1, and between restarts it is about to) and deactivating (after SIGTERM it
         * closes them, up to TimeoutStopSec). {@code is-active --quiet} alone let unbind through in those two.
         */
        static boolean holdsDevices(String state) {
            return switch (state.strip()) {
                case "active", "reloading", "refreshing", "activating", "deactivating" -> true;
                default -> false;
            };
        }

        @Override
        String move(UioBinder binder, UUID classId, String name, DeviceSelection only) throws IOException {
            if (!dryRun && serviceActive.getAsBoolean()) {
                throw new UioBinder.Refused("refusing to unbind " + name + ": the vmbus service is active (or starting"
                        + " or stopping) and holds its devices; " + UioBinder.HELD_RISK + "\nnothing was changed");
            }
            int moved = binder.unbind(classId, Optional.ofNullable(driver), only, dryRun);
            long stillBound = VmbusDevices.scan(binder.sysfsRoot()).devices().stream()
                    .filter(d -> d.classId().equals(classId) && d.onUio()).count();
            if (classId.equals(NETVSC) && !dryRun) {
                if (!only.chosen() || stillBound == 0) {
                    NicDropIn.remove(dropIns).ifPresent(l -> spec.commandLine().getOut().println("  " + l));
                } else if (dropIns != null) {
                    spec.commandLine().getOut().println("  keeps " + dropIns.resolve(NicDropIn.FILE) + ": " + stillBound
                            + " other device(s) of " + name + " stay on " + VmbusDevices.UIO_DRIVER);
                }
            }
            return name + ": " + moved + " device(s) released by " + VmbusDevices.UIO_DRIVER + (only.chosen()
                    ? " (only " + only.describe() + "; the class's other devices stay where they are)" : "");
        }
    }

    /**
     * For tests: parses {@code argv} ({@code bind ...} or {@code unbind ...}) and runs it with the given root answer
     * and sysfs writer, letting every exception through (a usage error is a {@link CommandLine.ParameterException}).
     */
    static int run(String[] argv, PrintStream out, boolean root, UioBinder.SysfsWriter writer) throws IOException {
        return run(argv, out, root, writer, PROCESSES);
    }

    /** For tests: as above, with the runner that stops the kernel daemons. */
    static int run(String[] argv, PrintStream out, boolean root, UioBinder.SysfsWriter writer, Runner runner)
            throws IOException {
        return run(argv, out, root, writer, runner, false);
    }

    /** For tests: as above, with whether the vmbus service is active. */
    static int run(String[] argv, PrintStream out, boolean root, UioBinder.SysfsWriter writer, Runner runner,
                   boolean serviceActive) throws IOException {
        return run(argv, out, root, writer, runner, serviceActive, RELEASE_WAIT);
    }

    /** For tests: as above, with how long bind waits for a stopped daemon to let go of its devices. */
    static int run(String[] argv, PrintStream out, boolean root, UioBinder.SysfsWriter writer, Runner runner,
                   boolean serviceActive, java.time.Duration releaseWait) throws IOException {
        return run(argv, out, root, writer, runner, serviceActive, releaseWait, null);
    }

    /** For tests: as above, with where the unit's NIC drop-in goes (null: nowhere, as in every other helper). */
    static int run(String[] argv, PrintStream out, boolean root, UioBinder.SysfsWriter writer, Runner runner,
                   boolean serviceActive, java.time.Duration releaseWait, Path dropIns) throws IOException {
        Base command = argv.length > 0 && argv[0].equals("unbind") ? new Unbind() : new Bind();
        command.dropIns = dropIns;
        if (command instanceof Bind b) {
            b.runner = runner;
            b.releaseWait = releaseWait;
        }
        if (command instanceof Unbind u) {
            u.serviceActive = () -> serviceActive;
        }
        command.root = () -> root;
        command.writer = writer;
        CommandLine line = new CommandLine(command);
        line.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        line.parseArgs(java.util.Arrays.copyOfRange(argv, 1, argv.length));
        return command.call();
    }

    /** For tests: as {@link #run(String[], PrintStream, boolean, UioBinder.SysfsWriter)} with real file writes. */
    static int run(String[] argv, PrintStream out, boolean root) throws IOException {
        return run(argv, out, root, UioBinder.FILES);
    }
}
