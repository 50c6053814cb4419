package dev.vmbus.cli;

import dev.vmbus.config.VmbusConfig;
import dev.vmbus.transport.uio.admin.SystemView;
import picocli.CommandLine.Option;

/** The {@code --sysfs-root} and {@code --proc-root} overrides that bind, unbind and doctor share (a picocli mixin). */
final class SystemRoots {
    @Option(names = "--sysfs-root", paramLabel = "DIR", description = "Overrides transport.sysfsRoot (where bus/vmbus is).")
    String sysfsRoot;

    @Option(names = "--proc-root", paramLabel = "DIR", description = "Overrides transport.procRoot (where sys/kernel/osrelease is).")
    String procRoot;

    /** The system {@code config} names, with these overrides taking precedence. */
    SystemView view(VmbusConfig config) {
        return SystemView.of(config, sysfsRoot, procRoot);
    }
}
