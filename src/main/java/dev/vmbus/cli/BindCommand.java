package dev.vmbus.cli;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.transport.uio.KernelFeatures;
import dev.vmbus.transport.uio.UioBinder;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * {@code vmbus bind <class>} and {@code vmbus unbind <class>}: move the devices of a class from their kernel
 * driver to {@code uio_hv_generic} (for this project to serve) and back. Root only on a real system, except
 * {@code --dry-run}, which writes nothing.
 */
final class BindCommand {
    /** Every option of both commands, in one place. */
    static final Set<String> VALUE_OPTIONS = Set.of("conf", "sysfs-root", "proc-root", "driver");
    static final Set<String> FLAGS = Set.of("dry-run", "force");

    static final String USAGE = """
              bind   <class> [--conf FILE] [--sysfs-root DIR] [--proc-root DIR] [--dry-run] [--force]
                    give the devices of a class (heartbeat, timesync, shutdown, kvp, vss, fcopy or a class
                    GUID) to uio_hv_generic, for 'vmbus run' with transport uio (root only); refuses what this
                    kernel cannot serve, and storage, network and unknown classes unless --force; rolls back on
                    any failure; --dry-run prints the writes as shell commands
              unbind <class> [--conf FILE] [--sysfs-root DIR] [--proc-root DIR] [--driver NAME] [--dry-run]
                    hand them back to the kernel (hv_utils for the util devices, or NAME)
            """;

    private BindCommand() {
    }

    /** {@code argv[0]} is {@code bind} or {@code unbind}. */
    static int run(String[] argv) throws IOException {
        return run(argv, System.out, UioBinder.runningAsRoot(), UioBinder.FILES);
    }

    static int run(String[] argv, PrintStream out, boolean root, UioBinder.SysfsWriter writer) throws IOException {
        String command = argv[0];
        boolean bind = command.equals("bind");
        Args args = new Args(command, argv, 1, VALUE_OPTIONS, FLAGS);
        if (args.positional().size() != 1) {
            throw new Args.UsageException("'vmbus " + command + "' needs exactly one device class (a name such as"
                    + " heartbeat, or a class GUID)");
        }
        if (!bind && args.has("force")) {
            throw new Args.UsageException("--force is for 'vmbus bind' only");
        }
        if (bind && args.has("driver")) {
            throw new Args.UsageException("--driver is for 'vmbus unbind' only");
        }
        UUID classId = UioBinder.classId(args.positional().getFirst());
        SystemView system = SystemView.of(args);
        boolean dryRun = args.has("dry-run");
        if (!root && !dryRun) {
            throw new IllegalStateException("'vmbus " + command + "' must run as root: it writes driver attributes"
                    + " under " + system.sysfsRoot().resolve("bus/vmbus/drivers") + " (try: sudo vmbus " + command
                    + " " + args.positional().getFirst() + ", or --dry-run to see the writes)");
        }
        KernelFeatures kernel = system.kernel();
        UioBinder binder = new UioBinder(system.sysfsRoot(), kernel, writer, step -> out.println("  " + step));
        String name = DeviceClass.nameOf(classId);
        if (dryRun) {
            out.println("# kernel " + kernel.release() + " (" + kernel.basis() + ")");
            out.println("# vmbus " + command + " " + name + " would write, in this order:");
        }
        if (bind) {
            int moved = binder.bind(classId, args.has("force"), dryRun);
            if (!dryRun) {
                out.println(name + ": " + moved + " device(s) moved to " + UioBinder.UIO_DRIVER
                        + "; run 'vmbus run --conf /etc/vmbus/vmbus-uio.json' to serve them");
            }
        } else {
            int moved = binder.unbind(classId, Optional.ofNullable(args.get("driver")), dryRun);
            if (!dryRun) {
                out.println(name + ": " + moved + " device(s) released by " + UioBinder.UIO_DRIVER);
            }
        }
        return 0;
    }
}
