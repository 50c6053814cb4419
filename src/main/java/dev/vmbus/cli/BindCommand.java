package dev.vmbus.cli;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.transport.uio.UioBinder;
import dev.vmbus.transport.uio.UioOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;

/**
 * {@code vmbus bind <class>} and {@code vmbus unbind <class>}: move the devices of a class from their kernel
 * driver to {@code uio_hv_generic} (for this project to serve) and back. Root only on a real system.
 */
final class BindCommand {
    private BindCommand() {
    }

    /** The device classes by name, for completion (a class GUID is accepted too). */
    static final class Classes extends java.util.ArrayList<String> {
        Classes() {
            super(List.of("heartbeat", "timesync", "shutdown", "kvp", "vss", "fcopy"));
        }
    }

    /** What bind and unbind share: the class, the sysfs root, where to print, how to tell root. */
    abstract static class Base implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "CLASS", completionCandidates = Classes.class,
                description = "heartbeat, timesync, shutdown, kvp, vss, fcopy, or a class GUID.")
        String deviceClass;

        @Option(names = "--sysfs-root", paramLabel = "DIR", description = "Where bus/vmbus is (default: ${DEFAULT-VALUE}).")
        Path sysfsRoot = Path.of(UioOptions.DEFAULT_SYSFS_ROOT);

        BooleanSupplier root = UioBinder::runningAsRoot;

        @Override
        public Integer call() throws IOException {
            String command = spec.name();
            UUID classId = UioBinder.classId(deviceClass);
            if (!root.getAsBoolean()) {
                throw new IllegalStateException("'vmbus " + command + "' must run as root: it writes driver attributes"
                        + " under " + sysfsRoot.resolve("bus/vmbus/drivers") + " (try: sudo vmbus " + command + " "
                        + deviceClass + ")");
            }
            PrintWriter out = spec.commandLine().getOut();
            UioBinder binder = new UioBinder(sysfsRoot, step -> out.println("  " + step));
            String line = move(binder, classId, DeviceClass.nameOf(classId));
            out.println(line);
            out.flush();
            return 0;
        }

        abstract String move(UioBinder binder, UUID classId, String name) throws IOException;
    }

    @Command(name = "bind", mixinStandardHelpOptions = true,
            header = "Give the devices of a class to uio_hv_generic (root).",
            description = "Give the devices of a class to uio_hv_generic, for 'vmbus run' with transport uio (root "
                    + "only): writes the class to uio_hv_generic/new_id, then each device to its driver's unbind and to "
                    + "uio_hv_generic/bind, printing each write.")
    static final class Bind extends Base {
        @Override
        String move(UioBinder binder, UUID classId, String name) throws IOException {
            int moved = binder.bind(classId);
            return name + ": " + moved + " device(s) moved to " + UioBinder.UIO_DRIVER
                    + "; 'systemctl enable --now vmbus' (or 'vmbus run --conf /etc/vmbus/vmbus.json') serves them";
        }
    }

    @Command(name = "unbind", mixinStandardHelpOptions = true,
            header = "Hand the devices of a class back to the kernel (root).",
            description = "Hand the devices of a class back to the kernel (root only): hv_utils for the util "
                    + "devices, or --driver. fcopy has no kernel driver since Linux 6.10 and stays unbound.")
    static final class Unbind extends Base {
        @Option(names = "--driver", paramLabel = "NAME", description = "The kernel driver to bind them to.")
        String driver;

        @Override
        String move(UioBinder binder, UUID classId, String name) throws IOException {
            int moved = binder.unbind(classId, Optional.ofNullable(driver));
            return name + ": " + moved + " device(s) released by " + UioBinder.UIO_DRIVER;
        }
    }

    /**
     * For tests: parses {@code argv} ({@code bind ...} or {@code unbind ...}) and runs it with the given root
     * answer, letting every exception through (a usage error is a {@link CommandLine.ParameterException}).
     */
    static int run(String[] argv, PrintStream out, boolean root) throws IOException {
        Base command = argv.length > 0 && argv[0].equals("unbind") ? new Unbind() : new Bind();
        command.root = () -> root;
        CommandLine line = new CommandLine(command);
        line.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        line.parseArgs(java.util.Arrays.copyOfRange(argv, 1, argv.length));
        return command.call();
    }
}
