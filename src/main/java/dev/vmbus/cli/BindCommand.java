package dev.vmbus.cli;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.transport.uio.UioBinder;
import dev.vmbus.transport.uio.UioOptions;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * {@code vmbus bind <class>} and {@code vmbus unbind <class>}: move the devices of a class from their kernel
 * driver to {@code uio_hv_generic} (for this project to serve) and back. Root only on a real system.
 */
final class BindCommand {
    static final String USAGE = """
              bind   <class> [--sysfs-root DIR]
                    give the devices of a class (heartbeat, timesync, shutdown, kvp, vss, fcopy or a class
                    GUID) to uio_hv_generic, for 'vmbus run' with transport uio (root only)
              unbind <class> [--sysfs-root DIR] [--driver NAME]
                    hand them back to the kernel (hv_utils for the util devices, or NAME)
            """;

    private BindCommand() {
    }

    /** {@code argv[0]} is {@code bind} or {@code unbind}. */
    static int run(String[] argv) throws IOException {
        return run(argv, System.out, UioBinder.runningAsRoot());
    }

    static int run(String[] argv, PrintStream out, boolean root) throws IOException {
        String command = argv[0];
        boolean bind = command.equals("bind");
        Args args = new Args(command, argv, 1, bind ? Set.of("sysfs-root") : Set.of("sysfs-root", "driver"), Set.of());
        if (args.positional().size() != 1) {
            throw new Args.UsageException("'vmbus " + command + "' needs exactly one device class (a name such as"
                    + " heartbeat, or a class GUID)");
        }
        UUID classId = UioBinder.classId(args.positional().getFirst());
        Path sysfsRoot = Path.of(args.has("sysfs-root") ? args.get("sysfs-root") : UioOptions.DEFAULT_SYSFS_ROOT);
        if (!root) {
            throw new IllegalStateException("'vmbus " + command + "' must run as root: it writes driver attributes"
                    + " under " + sysfsRoot.resolve("bus/vmbus/drivers") + " (try: sudo vmbus " + command + " "
                    + args.positional().getFirst() + ")");
        }
        UioBinder binder = new UioBinder(sysfsRoot, step -> out.println("  " + step));
        String name = DeviceClass.nameOf(classId);
        if (bind) {
            int moved = binder.bind(classId);
            out.println(name + ": " + moved + " device(s) moved to " + UioBinder.UIO_DRIVER
                    + "; 'systemctl enable --now vmbus' (or 'vmbus run --conf /etc/vmbus/vmbus.json') serves them");
        } else {
            int moved = binder.unbind(classId, Optional.ofNullable(args.get("driver")));
            out.println(name + ": " + moved + " device(s) released by " + UioBinder.UIO_DRIVER);
        }
        return 0;
    }
}
