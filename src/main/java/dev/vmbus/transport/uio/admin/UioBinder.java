package dev.vmbus.transport.uio.admin;

import dev.vmbus.os.Posix;
import dev.vmbus.transport.uio.KernelFeatures;
import dev.vmbus.transport.uio.UioHolders;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.Guid;
import dev.vmbus.transport.uio.VmbusDevice;
import dev.vmbus.transport.uio.VmbusDevices;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Moves the devices of one class between their kernel driver and {@code uio_hv_generic} (spec section 5.1), by
 * writing the driver attributes under {@code <sysfsRoot>/bus/vmbus/drivers}, so that no failure strands a device:
 * <ol>
 *   <li>preflight, before any write ({@link BindPreflight}): every device of the class is judged by
 *       {@link ServePolicy} on this kernel. A device the kernel cannot serve (an unmonitored channel without
 *       547fa4ffd799, subchannels without d062463edf17) refuses the whole bind, naming why; a class that is not an
 *       integration service is refused unless forced, naming the risk; the buffers the kernel will allocate are
 *       named, and refused above {@code transport.maxBufferPercent} unless forced;</li>
 *   <li>the class GUID into {@code uio_hv_generic/new_id} (undone by {@code remove_id}, unless it was there);</li>
 *   <li>for each device still owned by another driver: its instance into {@code <driver>/unbind} (undone by
 *       {@code <driver>/bind}), then into {@code uio_hv_generic/bind} (undone by {@code uio_hv_generic/unbind}), then
 *       a check that the kernel really bound it (the probe can refuse, leaving the device on no driver);</li>
 *   <li>on any failure every completed step is undone in reverse order ({@link Rollback}), and each device is
 *       checked to be back on the driver it had; one that is not is named with the command that puts it back.</li>
 * </ol>
 * {@link #unbind} puts each device back on the driver {@link #bind} found it on (recorded under {@code recordDir}:
 * fcopy, which hv_utils serves only before 6.10, may have been on hv_utils, on no driver, or on uio already), and
 * undoes its steps the same way when one fails, so a device is never left on no driver by a failure.
 * A device already on {@code uio_hv_generic} is left alone, so a second run changes nothing. A dry run prints the
 * steps as shell commands and writes nothing. Every step is reported through the step consumer as it is done.
 * Given a {@link DeviceSelection} ({@code --device}), both move only the chosen devices and leave every other device
 * of the class on its driver, unjudged and untouched. When every chosen device has a {@link DriverOverride}
 * attribute, each is bound through it: {@code uio_hv_generic} into its {@code driver_override}, its instance into
 * its driver's {@code unbind}, then into {@code uio_hv_generic/bind}, and no {@code new_id} at all, so every other
 * device of the class, present, hot-added or re-offered by the host, can only match its kernel driver; a rollback
 * puts back each device's previous override with its driver. On a kernel without the attribute {@code new_id} still
 * names the class (uio has no other way to match a device), and since its {@code driver_attach} would take every
 * device of the class on no driver, such a bind of some devices is refused while another device of the class is on
 * no driver. An unbind clears the override of each device it held ({@code echo > driver_override}) before binding it
 * back, and writes {@code remove_id} only when a device it hands back was held by {@code new_id} and no device of
 * the class stays on uio.
 *
 * <p>Used from one thread at a time (a CLI command); blocking file I/O.
 */
public final class UioBinder {

    /** How driver attributes are written: files on a real guest; a simulated kernel in tests. */
    @FunctionalInterface
    public interface SysfsWriter {
        void write(Path attribute, String value) throws IOException;
    }

    /**
     * One write of the whole value without a newline, as {@code echo -n} does (spec 5.1): sysfs takes each write as
     * one command, and {@code bind}/{@code unbind} compare the device name exactly.
     */
    public static final SysfsWriter FILES = (attribute, value) -> Files.write(attribute,
            value.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);

    /** The binder refused before writing anything; the message names every reason. */
    public static final class Refused extends IllegalStateException {
        public Refused(String message) {
            super(message);
        }
    }

    /** One attribute write. */
    public record Step(Path attribute, String value) {
        /** As an operator would type it. */
        public String command() {
            if (value.equals(DriverOverride.CLEAR)) {
                return "echo > " + attribute;
            }
            return (attribute.getFileName().toString().endsWith("_id") ? "echo " : "echo -n ") + value + " > "
                    + attribute;
        }
    }

    private final Path sysfsRoot;
    private final Path procRoot;
    private final Path devRoot;
    private final KernelFeatures kernel;
    private final SysfsWriter writer;
    private final Consumer<String> steps;
    /** The driver each device had before {@link #bind}, for {@link #unbind}. */
    private final BoundDrivers records;
    private final BindPreflight preflight;
    /** What each {@code --force} accepted, for the boot's re-bind. */
    private final ForcedBinds forced;

    /**
     * @param procRoot where every process's {@code fd/} and {@code maps} are read, to find who holds a device
     *                 before it leaves {@code uio_hv_generic} ({@code /proc})
     * @param devRoot  where the {@code uioN} nodes are ({@code /dev})
     */
    public UioBinder(Path sysfsRoot, Path procRoot, Path devRoot, KernelFeatures kernel, SysfsWriter writer,
                     Consumer<String> steps) {
        this(sysfsRoot, procRoot, devRoot, kernel, writer, steps,
                dev.vmbus.config.VmbusConfig.Transport.DEFAULT_MAX_BUFFER_PERCENT);
    }

    /**
     * @param maxBufferPercent a bind is refused without {@code --force} when the receive and send buffers of every
     *                         bound device would take more than this share of {@code MemTotal}
     */
    public UioBinder(Path sysfsRoot, Path procRoot, Path devRoot, KernelFeatures kernel, SysfsWriter writer,
                     Consumer<String> steps, double maxBufferPercent) {
        this(sysfsRoot, procRoot, devRoot, kernel, writer, steps, maxBufferPercent, null);
    }

    /**
     * @param recordDir where {@link #bind} records the driver each device had ({@code <transport.runDir>/bound}, one
     *                  file per instance), so that {@link #unbind} puts it back there (review F10); null: no records
     */
    public UioBinder(Path sysfsRoot, Path procRoot, Path devRoot, KernelFeatures kernel, SysfsWriter writer,
                     Consumer<String> steps, double maxBufferPercent, Path recordDir) {
        this(sysfsRoot, procRoot, devRoot, kernel, writer, steps, maxBufferPercent, recordDir, null);
    }

    /**
     * @param stateDir where a bind with {@code --force} records what it accepted ({@code <transport.stateDir>},
     *                 {@link ForcedBinds}), for the boot's {@code bind --enabled}; null: no records
     */
    public UioBinder(Path sysfsRoot, Path procRoot, Path devRoot, KernelFeatures kernel, SysfsWriter writer,
                     Consumer<String> steps, double maxBufferPercent, Path recordDir, Path stateDir) {
        this.records = new BoundDrivers(recordDir, steps);
        this.forced = new ForcedBinds(stateDir, steps);
        this.sysfsRoot = sysfsRoot;
        this.procRoot = procRoot;
        this.devRoot = devRoot;
        this.kernel = kernel;
        this.writer = writer;
        this.steps = steps;
        this.preflight = new BindPreflight(sysfsRoot, procRoot, kernel, maxBufferPercent, steps);
    }

    /**
     * Who holds a device on {@code uio_hv_generic} (its {@code /dev/uioN} open or mapped, a ring mapped); empty when
     * it is on no uio node.
     */
    public UioHolders.Scan holders(VmbusDevice d) throws IOException {
        if (d.uio().isEmpty()) {
            return new UioHolders.Scan(List.of(), 0);
        }
        return UioHolders.scan(procRoot, devRoot, d.uio().get(), d.dir().getFileName().toString());
    }

    /**
     * Why {@code d} must not leave {@code uio_hv_generic} now, or null: unbinding it while a process holds it frees
     * the ring while the channel stays open at the host (kernel review F1).
     */
    private String heldReason(VmbusDevice d) throws IOException {
        UioHolders.Scan scan = holders(d);
        if (scan.held()) {
            return d.instanceId() + " (" + d.className() + ", " + d.uio().orElseThrow() + ") is in use: "
                    + scan.describe();
        }
        if (scan.unreadable() > 0) {
            return d.instanceId() + " (" + d.className() + ", " + d.uio().orElseThrow() + "): " + scan.unreadable()
                    + " process(es) under " + procRoot + " could not be read, so whether one holds it is unknown"
                    + " (run as root)";
        }
        return null;
    }

    /** What unbinding a device that a process holds does, for refusals. */
    public static final String HELD_RISK = "the kernel would free the ring while the channel stays open at the host"
            + " (hv_uio_remove never closes it, and uio skips the driver's release once the device is unregistered):"
            + " the host keeps writing into freed guest memory and the device cannot be bound again until reboot."
            + " Stop the process first (systemctl stop vmbus); removing the uio_hv_generic module is just as"
            + " dangerous";

    /** Whether this process runs as root (real sysfs driver attributes are writable by root only). */
    public static boolean runningAsRoot() {
        return Posix.geteuid() == 0;
    }

    /** A class short name ({@code heartbeat}) or GUID (braces and any case accepted). */
    public static UUID classId(String nameOrGuid) {
        Optional<DeviceClass> known = DeviceClass.byName(nameOrGuid.strip());
        if (known.isPresent()) {
            return known.get().classId();
        }
        try {
            return Guid.parse(nameOrGuid);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + nameOrGuid + "' is neither a device class name ("
                    + String.join(", ", DeviceClass.WELL_KNOWN.stream().map(DeviceClass::name).toList())
                    + ") nor a class GUID");
        }
    }

    /**
     * The kernel driver that serves a class when uio does not: {@code hv_utils} for the util devices,
     * {@code hv_netvsc} and {@code hv_storvsc} for the NIC and SCSI; empty for fcopy, whose kernel driver was
     * removed (ec314f61e4fc, Linux 6.10) and which only uio serves.
     */
    public static Optional<String> kernelDriver(UUID classId) {
        return Optional.ofNullable(KERNEL_DRIVERS.get(classId));
    }

    private static final Map<UUID, String> KERNEL_DRIVERS = Map.of(
            DeviceClass.HEARTBEAT.classId(), "hv_utils",
            DeviceClass.TIMESYNC.classId(), "hv_utils",
            DeviceClass.SHUTDOWN.classId(), "hv_utils",
            DeviceClass.KVP.classId(), "hv_utils",
            DeviceClass.VSS.classId(), "hv_utils",
            DeviceClass.NETVSC.classId(), "hv_netvsc",
            DeviceClass.STORVSC.classId(), "hv_storvsc");

    /**
     * The writes a bind of {@code classId} would make now, after the preflight; throws {@link Refused} naming
     * every reason when the preflight refuses.
     */
    public List<Step> planBind(UUID classId, boolean force) throws IOException {
        return plan(classId, Consent.of(force), DeviceSelection.ALL).steps();
    }

    private record Plan(List<Step> steps, BindPreflight.Overrides overrides) {
    }

    /**
     * Whether a bind of {@code devices} goes through each device's {@link DriverOverride} rather than the class's
     * {@code new_id}: only for devices {@code --device} chose, and only when every one has the attribute.
     */
    private static boolean throughOverride(List<VmbusDevice> devices, DeviceSelection only) {
        return only.chosen() && !devices.isEmpty() && devices.stream().allMatch(DriverOverride::present);
    }

    private Plan plan(UUID classId, Consent consent, DeviceSelection only) throws IOException {
        List<VmbusDevice> devices = chosen(classId, only);
        boolean override = throughOverride(devices, only);
        List<String> unbound = override ? List.of() : devicesOf(classId).stream()
                .filter(d -> !only.includes(d) && d.driver().isEmpty())
                .map(d -> d.instanceId() + " (on no driver)").toList();
        if (!unbound.isEmpty()) {
            throw new Refused("refusing to bind only " + only.describe() + " of " + DeviceClass.nameOf(classId)
                    + "; nothing was changed: writing the class to " + VmbusDevices.UIO_DRIVER + "/new_id would give it "
                    + String.join(", ", unbound) + " as well (its driver_attach takes every device of the class that"
                    + " no driver owns); bind " + (unbound.size() == 1 ? "that device" : "those devices") + " to "
                    + kernelDriver(classId).orElse("a driver") + " first, or name " + (unbound.size() == 1 ? "it" : "them")
                    + " with --device too");
        }
        BindPreflight.Overrides overrides = preflight.check(classId, devices, consent);
        Path uio = driverDir(VmbusDevices.UIO_DRIVER);
        if (!Files.isDirectory(uio)) {
            throw new IOException(uio + " does not exist: load the driver first (modprobe uio_hv_generic)");
        }
        List<Step> plan = new ArrayList<>();
        if (!override) {
            plan.add(new Step(uio.resolve("new_id"), Guid.format(classId)));
        }
        for (VmbusDevice d : devices) {
            if (d.onUio()) {
                continue;
            }
            String instance = d.dir().getFileName().toString();
            if (override) {
                plan.add(new Step(DriverOverride.of(d.dir()), VmbusDevices.UIO_DRIVER));
            }
            d.driver().ifPresent(drv -> plan.add(new Step(driverDir(drv).resolve("unbind"), instance)));
            plan.add(new Step(uio.resolve("bind"), instance));
        }
        return new Plan(plan, overrides);
    }

    /** The sysfs tree this binder writes under. */
    public Path sysfsRoot() {
        return sysfsRoot;
    }

    /** The records of what each {@code --force} accepted. */
    public ForcedBinds forced() {
        return forced;
    }

    /**
     * Gives every device of {@code classId} to {@code uio_hv_generic}; returns how many devices it moved (0 in a
     * dry run, or when all are there already). On failure every device is back on its driver and the exception
     * says what failed and what was undone.
     */
    public int bind(UUID classId, boolean force, boolean dryRun) throws IOException {
        return bind(classId, Consent.of(force), DeviceSelection.ALL, dryRun);
    }

    /**
     * As {@link #bind(UUID, boolean, boolean)}, overriding what {@code consent} accepts, moving only the devices
     * {@code only} chose. A bind with {@code --force} ({@link Consent#all}) that overrode something, or one with
     * {@code --device}, records it ({@link ForcedBinds}), so that the boot's {@code bind --enabled} replays exactly
     * that.
     */
    public int bind(UUID classId, Consent consent, DeviceSelection only, boolean dryRun) throws IOException {
        Plan planned = plan(classId, consent, only);
        List<Step> plan = planned.steps();
        List<VmbusDevice> devices = chosen(classId, only);
        List<VmbusDevice> others = devicesOf(classId).stream().filter(d -> !only.includes(d)).toList();
        if (dryRun) {
            plan.forEach(s -> steps.accept(s.command()));
            devices.stream().filter(VmbusDevice::onUio)
                    .forEach(d -> steps.accept("# " + d.instanceId() + " is already bound to " + VmbusDevices.UIO_DRIVER));
            others.forEach(d -> steps.accept("# " + leftAlone(d)));
            return 0;
        }
        others.forEach(d -> steps.accept(leftAlone(d)));
        Rollback undo = new Rollback(sysfsRoot, devices, this::write, this::heldReason, steps);
        Path uio = driverDir(VmbusDevices.UIO_DRIVER);
        boolean override = throughOverride(devices, only);
        int moved = 0;
        try {
            if (override) {
                steps.accept("each chosen device is bound through its " + DriverOverride.ATTRIBUTE + ", not "
                        + uio.resolve("new_id") + ": this bind gives " + VmbusDevices.UIO_DRIVER + " no id that another "
                        + DeviceClass.nameOf(classId) + " device, present or offered later, could match");
            } else {
                try {
                    write(new Step(uio.resolve("new_id"), Guid.format(classId)));
                    undo.push(new Step(uio.resolve("remove_id"), Guid.format(classId)));
                } catch (IOException e) {
                    if (!String.valueOf(e.getMessage()).contains("File exists")) {
                        throw e;
                    }
                    steps.accept(uio.resolve("new_id") + " already lists " + classId);
                }
            }
            for (VmbusDevice d : devices) {
                String instance = d.dir().getFileName().toString();
                Optional<String> now = VmbusDevices.currentDriver(d.dir());
                if (now.filter(VmbusDevices.UIO_DRIVER::equals).isPresent()) {
                    steps.accept(instance + " is " + (d.onUio() ? "already" : "now (new_id probed it)")
                            + " bound to " + VmbusDevices.UIO_DRIVER);
                    if (!d.onUio()) {
                        undo.push(new Step(uio.resolve("unbind"), instance));
                        d.driver().ifPresent(drv -> undo.push(new Step(driverDir(drv).resolve("bind"), instance)));
                        moved++;
                    }
                    continue;
                }
                if (override) {
                    Path attribute = DriverOverride.of(d.dir());
                    Optional<String> before = DriverOverride.read(d.dir());
                    undo.overrideWas(instance, before);
                    write(new Step(attribute, VmbusDevices.UIO_DRIVER));
                    undo.push(new Step(attribute, DriverOverride.restore(before)));
                }
                if (now.isPresent()) {
                    write(new Step(driverDir(now.get()).resolve("unbind"), instance));
                    Step back = new Step(driverDir(now.get()).resolve("bind"), instance);
                    if (override) {
                        undo.pushBeneath(back); // the override goes back first: while it names uio, no other driver matches
                    } else {
                        undo.push(back);
                    }
                }
                write(new Step(uio.resolve("bind"), instance));
                undo.push(new Step(uio.resolve("unbind"), instance));
                Optional<String> after = VmbusDevices.currentDriver(d.dir());
                if (after.filter(VmbusDevices.UIO_DRIVER::equals).isEmpty()) {
                    throw new IOException("the kernel did not bind " + instance + " to " + VmbusDevices.UIO_DRIVER + " (it is on "
                            + after.orElse("no driver") + "; see dmesg)");
                }
                moved++;
            }
        } catch (IOException e) {
            throw undo.failed("binding " + DeviceClass.nameOf(classId), e);
        }
        records.remember(devices, undo.original());
        if (!consent.recorded() && (consent.all() || only.chosen())) {
            forced.remember(new ForcedBinds.Decision(classId, planned.overrides().reasons(),
                    planned.overrides().bufferPercent(), kernel.release(), null, only.devices()));
        }
        return moved;
    }

    /** What a bind or unbind with {@code --device} says of a device of the class it leaves alone. */
    private String leftAlone(VmbusDevice d) {
        return NetInterfaces.describe(sysfsRoot, procRoot, d) + " stays on " + d.driver().orElse("no driver")
                + " (not chosen by --device)";
    }

    /**
     * Hands every device of {@code classId} back: to {@code driver} when given, else to the driver {@code bind} found it
     * on (its record under {@code recordDir}: no driver, a kernel driver, or {@code uio_hv_generic} itself, where it
     * then stays), else to the class's usual kernel driver. Returns how many devices it moved off uio.
     */
    public int unbind(UUID classId, Optional<String> driver, boolean dryRun) throws IOException {
        return unbind(classId, driver, DeviceSelection.ALL, dryRun);
    }

    /**
     * As {@link #unbind(UUID, Optional, boolean)}, handing back only the devices {@code only} chose: the class's
     * other devices stay where they are, and its {@code new_id} stays while one of them is on uio. Those devices
     * leave the class's {@link ForcedBinds} record (an unbind of the whole class removes it).
     */
    public int unbind(UUID classId, Optional<String> driver, DeviceSelection only, boolean dryRun) throws IOException {
        List<VmbusDevice> devices = chosen(classId, only);
        List<VmbusDevice> others = devicesOf(classId).stream().filter(d -> !only.includes(d)).toList();
        Path uio = driverDir(VmbusDevices.UIO_DRIVER);
        List<String> held = new ArrayList<>();
        for (VmbusDevice d : devices) {
            String why = d.onUio() ? heldReason(d) : null;
            if (why != null && (!dryRun || holders(d).held())) {
                held.add(why);
            }
        }
        if (!held.isEmpty()) {
            throw new Refused("refusing to unbind " + DeviceClass.nameOf(classId) + " from " + VmbusDevices.UIO_DRIVER
                    + "; nothing was changed:\n  " + String.join("\n  ", held) + "\n" + HELD_RISK);
        }
        List<Step> plan = new ArrayList<>();
        Map<String, Optional<String>> targets = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>();
        boolean heldByNewId = false; // a device leaving uio that its override did not hold: new_id did
        for (VmbusDevice d : devices) {
            String instance = d.dir().getFileName().toString();
            Optional<String> recorded = driver.isPresent() ? Optional.empty() : records.recorded(instance);
            Optional<String> to = driver.isPresent() ? driver
                    : recorded.isPresent() ? recorded.filter(r -> !r.equals(BoundDrivers.NO_DRIVER)) : kernelDriver(classId);
            if (!d.onUio()) {
                steps.accept(instance + " is not bound to " + VmbusDevices.UIO_DRIVER);
                if (d.driver().isPresent() || to.isEmpty() || to.get().equals(VmbusDevices.UIO_DRIVER)) {
                    continue;
                }
            } else if (to.filter(VmbusDevices.UIO_DRIVER::equals).isPresent()) {
                steps.accept(driver.isPresent() ? instance + " stays on " + VmbusDevices.UIO_DRIVER + " (--driver " + VmbusDevices.UIO_DRIVER + ")"
                        : instance + " was on " + VmbusDevices.UIO_DRIVER + " before 'vmbus bind' (" + records.file(instance)
                        + "), so it stays there (--driver NAME moves it anyway)");
                continue;
            } else {
                plan.add(new Step(uio.resolve("unbind"), instance));
                if (DriverOverride.holdsOnUio(d)) {
                    plan.add(new Step(DriverOverride.of(d.dir()), DriverOverride.CLEAR));
                } else {
                    heldByNewId = true;
                }
            }
            targets.put(instance, to);
            if (to.isEmpty()) {
                notes.add(recorded.isPresent()
                        ? instance + " was on no driver before 'vmbus bind' and is again" + fcopyNote(classId)
                        : "no kernel driver serves " + DeviceClass.nameOf(classId) + "; " + instance
                        + " stays on no driver (give --driver NAME to choose one)" + fcopyNote(classId));
            }
        }
        boolean removeId = Files.exists(uio.resolve("remove_id")) && others.stream().noneMatch(VmbusDevice::onUio);
        if (removeId && heldByNewId) {
            plan.add(new Step(uio.resolve("remove_id"), Guid.format(classId)));
        }
        targets.forEach((instance, to) -> to.ifPresent(t -> plan.add(new Step(driverDir(t).resolve("bind"), instance))));
        if (dryRun) {
            plan.forEach(s -> steps.accept(s.command()));
            others.forEach(d -> steps.accept("# " + leftAlone(d)));
            return 0;
        }
        others.forEach(d -> steps.accept(leftAlone(d)));
        for (Optional<String> to : new java.util.HashSet<>(targets.values())) {
            Path bind = to.map(t -> driverDir(t).resolve("bind")).orElse(null);
            if (bind != null && !Files.exists(bind)) {
                throw new IOException(bind + " does not exist: is the " + to.get() + " module loaded?");
            }
        }
        Rollback undo = new Rollback(sysfsRoot, devices, this::write, this::heldReason, steps);
        int moved = 0;
        try {
            for (Step s : plan) {
                String op = s.attribute().getFileName().toString();
                try {
                    write(s);
                } catch (IOException e) {
                    if (op.equals("remove_id")) {
                        steps.accept(s.attribute() + " did not list " + classId + " (" + e.getMessage() + ")");
                        continue;
                    }
                    throw e;
                }
                Path dir = s.attribute().getParent();
                switch (op) {
                    case "unbind" -> {
                        undo.push(new Step(dir.resolve("bind"), s.value()));
                        moved++;
                    }
                    case "remove_id" -> undo.push(new Step(dir.resolve("new_id"), s.value()));
                    case DriverOverride.ATTRIBUTE -> undo.push(new Step(s.attribute(), VmbusDevices.UIO_DRIVER));
                    case "bind" -> undo.push(new Step(dir.resolve("unbind"), s.value()));
                    default -> { }
                }
            }
        } catch (IOException e) {
            throw undo.failed("unbinding " + DeviceClass.nameOf(classId), e);
        }
        for (String instance : targets.keySet()) {
            records.forget(instance);
        }
        if (only.chosen()) {
            Map<String, String> stillBound = new LinkedHashMap<>();
            others.stream().filter(VmbusDevice::onUio)
                    .forEach(d -> stillBound.put(d.dir().getFileName().toString(), ""));
            forced.forget(classId, only.devices().keySet(), new DeviceSelection(stillBound));
        } else {
            forced.forget(classId);
        }
        notes.forEach(steps);
        return moved;
    }

    /** What fcopy's kernel history means for a device left on no driver. */
    private static String fcopyNote(UUID classId) {
        return classId.equals(DeviceClass.FCOPY.classId()) ? " (hv_utils has no fcopy driver since Linux 6.10, and"
                + " hv_fcopy_uio_daemon serves fcopy only while it is on " + VmbusDevices.UIO_DRIVER + ")" : "";
    }

    /** The devices whose {@code class_id} is {@code classId}. */
    List<VmbusDevice> devicesOf(UUID classId) throws IOException {
        VmbusDevices.Scan scan = VmbusDevices.scan(sysfsRoot);
        List<VmbusDevice> out = scan.devices().stream().filter(d -> d.classId().equals(classId)).toList();
        if (out.isEmpty()) {
            throw new IOException("no device of class " + DeviceClass.nameOf(classId) + " (" + classId + ") in "
                    + sysfsRoot.resolve("bus/vmbus/devices")
                    + " (is the integration service enabled in the VM's settings?)"
                    + (scan.problems().isEmpty() ? "" : "; unreadable: " + scan.problems()));
        }
        return out;
    }

    /** The devices of {@code classId} that {@code only} chose (every one for {@link DeviceSelection#ALL}). */
    private List<VmbusDevice> chosen(UUID classId, DeviceSelection only) throws IOException {
        return devicesOf(classId).stream().filter(only::includes).toList();
    }

    private Path driverDir(String driver) {
        return sysfsRoot.resolve("bus/vmbus/drivers").resolve(driver);
    }

    private void write(Step step) throws IOException {
        try {
            writer.write(step.attribute(), step.value());
        } catch (NoSuchFileException e) {
            throw new IOException(step.attribute() + " does not exist");
        } catch (IOException e) {
            throw new IOException("writing '" + step.value() + "' to " + step.attribute() + " failed: "
                    + e.getMessage(), e);
        }
        steps.accept("wrote " + step.value() + " to " + step.attribute());
    }
}
