package dev.vmbus.cli;

import dev.vmbus.bus.DeviceRegistry;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.config.TransportType;
import dev.vmbus.transport.uio.VmbusDevices;
import dev.vmbus.transport.uio.admin.Consent;
import dev.vmbus.transport.uio.admin.DeviceSelection;
import dev.vmbus.transport.uio.admin.Diagnosis;
import dev.vmbus.transport.uio.admin.ForcedBinds;
import dev.vmbus.transport.uio.admin.SystemView;
import dev.vmbus.transport.uio.admin.UioBinder;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * {@code vmbus bind --enabled [--stop-daemons]}, what the unit runs before the agent at every start: every class
 * enabled in the configuration that is offered and not yet on {@code uio_hv_generic} is bound, as an operator's
 * {@code --force} or {@code --device} recorded it, each class on its own (a refused or failed one is named and the
 * others go on); then the kernel daemons of the classes now on uio are stopped and their devices awaited.
 */
final class BootBind {
    private final boolean dryRun;
    private final boolean stopDaemons;
    private final BindCommand.Runner runner;
    private final java.time.Duration releaseWait;
    /** Where the unit's NIC drop-in goes ({@link NicDropIn}); null for nowhere. */
    private final Path dropIns;

    BootBind(boolean dryRun, boolean stopDaemons, BindCommand.Runner runner, java.time.Duration releaseWait,
             Path dropIns) {
        this.dryRun = dryRun;
        this.stopDaemons = stopDaemons;
        this.runner = runner;
        this.releaseWait = releaseWait;
        this.dropIns = dropIns;
    }

    /** Binds every enabled class that is offered, then (with {@code --stop-daemons}) stops their kernel daemons. */
    int run(SystemView system, UioBinder binder, PrintWriter out) throws IOException {
        DeviceRegistry registry = DeviceRegistry.load(DeviceRegistry.sections(system.config()), TransportType.UIO);
        int failed = 0;
        // the largest buffer share an operator's --force accepted, whatever order the classes are bound in
        double ceiling = binder.forced().bufferCeiling();
        List<dev.vmbus.transport.uio.VmbusDevice> offered = VmbusDevices.scan(system.sysfsRoot()).devices();
        for (Diagnosis.ClassReport c : Diagnosis.of(system, registry.enabledClasses()).classes()) {
            String name = c.name();
            java.util.List<UUID> ids = registry.handler(name).orElseThrow().classIds();
            DeviceSelection chosen = DeviceSelection.ALL;
            for (UUID id : ids) {
                java.util.Optional<ForcedBinds.Decision> record = binder.forced().recorded(id);
                if (record.isPresent() && record.get().selection().chosen()) {
                    chosen = record.get().selection();
                    java.util.List<String> gone = chosen.gone(offered);
                    if (!gone.isEmpty()) {
                        out.println("WARNING: " + name + ": chosen with 'vmbus bind " + name + " --device' but not"
                                + " offered now, so not bound: " + String.join(", ", gone) + " ("
                                + binder.forced().file(id) + "; 'vmbus unbind " + name + " --device X' forgets"
                                + " it)");
                    }
                }
            }
            String only = chosen.chosen() ? " (only " + chosen.describe() + ", as 'vmbus bind " + name
                    + " --device' chose; the class's other devices stay on their driver)" : "";
            switch (c.status()) {
                case SERVED -> out.println(name + ": on " + VmbusDevices.UIO_DRIVER + " already" + only);
                case ABSENT -> out.println(name + ": no " + (chosen.chosen() ? "chosen " : "") + "device offered;"
                        + " nothing to bind");
                case CANNOT_SERVE -> out.println(name + ": NOT bound, " + c.text());
                case BINDABLE -> {
                    try {
                        int moved = 0;
                        java.util.List<String> replayed = new java.util.ArrayList<>();
                        for (UUID id : ids) {
                            Consent consent = binder.forced().consent(id, ceiling);
                            java.util.Optional<ForcedBinds.Decision> record = binder.forced().recorded(id);
                            if (consent.source() != null && record.isPresent()) {
                                replayed.add(consent.source());
                            }
                            moved += binder.bind(id, consent, record.map(ForcedBinds.Decision::selection)
                                    .orElse(DeviceSelection.ALL), dryRun);
                        }
                        out.println(name + ": " + moved + " device(s) moved to " + VmbusDevices.UIO_DRIVER
                                + (replayed.isEmpty() ? "" : ", as " + String.join(", ", replayed) + " accepted")
                                + only);
                    } catch (IOException | RuntimeException e) {
                        failed++;
                        // loud: the journal has it, and the agent and doctor warn while the class is not bound
                        out.println("WARNING: " + name + ": NOT bound (every device is back on its driver), so the"
                                + " agent does not serve it; the other classes are served: " + e.getMessage());
                    }
                }
            }
            if (name.equals(DeviceClass.NETVSC.name())
                    && (c.status() == Diagnosis.Status.SERVED || c.status() == Diagnosis.Status.BINDABLE)
                    && NicDropIn.missing(dropIns) && NicDropIn.need(system, registry).needed()) {
                out.println("WARNING: netvsc: " + dropIns.resolve(NicDropIn.FILE) + " is missing, so the unit denies"
                        + " /dev/net/tun and the NIC's tap backend cannot open it: 'vmbus bind netvsc' writes it");
            }
        }
        if (stopDaemons) {
            // Read again: what is on uio now, not what was planned.
            for (Diagnosis.ClassReport c : Diagnosis.of(system, registry.enabledClasses()).classes()) {
                List<String> units = BindCommand.KERNEL_DAEMONS.get(c.name());
                if (units == null || c.status() != Diagnosis.Status.SERVED) {
                    continue;
                }
                List<String> command = new java.util.ArrayList<>(List.of("systemctl", "stop", "--no-block"));
                command.addAll(units);
                if (dryRun) {
                    out.println(String.join(" ", command));
                    continue;
                }
                int code = runner.run(command);
                out.println(c.name() + ": on " + VmbusDevices.UIO_DRIVER + ", so its kernel daemons are stopped ("
                        + String.join(" ", command) + (code == 0 ? "" : ": exit status " + code) + ")");
                if (!awaitRelease(system, binder, registry.handler(c.name()).orElseThrow().classIds(), c.name(),
                        out)) {
                    failed++;
                }
            }
        }
        return failed == 0 ? 0 : 1;
    }

    /**
     * Waits, up to {@link #releaseWait}, until no other process holds a device of the class on uio. The stop is
     * queued ({@code --no-block}: this runs inside the unit's start), so a daemon that had the node open, as
     * hv_fcopy_uio_daemon has fcopy's where something bound it at boot, may still hold it when the agent starts
     * next, and the agent refuses a ring with a second owner (kernel review F8). False, said loudly, when one
     * still holds it then: the agent will not serve that device.
     */
    private boolean awaitRelease(SystemView system, UioBinder binder, List<UUID> classIds, String name,
                                 PrintWriter out) throws IOException {
        long start = System.nanoTime();
        long polls = Math.max(1, releaseWait.toMillis() / 50);
        for (long i = 0; ; i++) {
            StringBuilder held = new StringBuilder();
            for (dev.vmbus.transport.uio.VmbusDevice d : VmbusDevices.scan(system.sysfsRoot()).devices()) {
                if (!classIds.contains(d.classId()) || d.uio().isEmpty()) {
                    continue;
                }
                dev.vmbus.transport.uio.UioHolders.Scan scan = binder.holders(d);
                if (scan.held()) {
                    held.append(held.isEmpty() ? "" : "; ").append(d.uio().get()).append(": ")
                            .append(scan.describe());
                }
            }
            if (held.isEmpty()) {
                if (i > 0) {
                    out.println(name + ": its devices are free after " + (System.nanoTime() - start) / 1_000_000
                            + " ms");
                }
                return true;
            }
            if (i >= polls) {
                out.println("WARNING: " + name + ": still held " + releaseWait.toSeconds() + " s after its daemons"
                        + " were told to stop, so the agent will refuse it (two owners of one ring lose or"
                        + " duplicate packets) until the holder lets go and the agent restarts: " + held);
                return false;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for " + name + "'s devices to be let go", e);
            }
        }
    }
}
