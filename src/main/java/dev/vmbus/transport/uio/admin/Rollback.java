package dev.vmbus.transport.uio.admin;

import dev.vmbus.transport.uio.VmbusDevice;
import dev.vmbus.transport.uio.VmbusDevices;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The undoing of one {@link UioBinder#bind} or {@link UioBinder#unbind}: each write that completed pushes the write
 * that reverses it, and when a later one fails they run in reverse order. A device a process holds on
 * {@code uio_hv_generic} is not unbound from under it (kernel review F1) and no other driver is asked to bind it (the
 * kernel would answer busy); a device {@code new_id} already put back is left alone. Afterwards each device is
 * checked against the driver it had, and one that is not back there is named with the command that puts it back; so
 * is a device whose {@link DriverOverride} the bind changed and that does not name what it named before.
 *
 * <p>Used from one thread (the binder's); blocking file I/O.
 */
final class Rollback {
    /** A write to a driver attribute, as the binder makes and reports it. */
    @FunctionalInterface
    interface Writes {
        void write(UioBinder.Step step) throws IOException;
    }

    /** Why a device must not leave {@code uio_hv_generic} now (a process holds it), or null. */
    @FunctionalInterface
    interface Holders {
        String heldReason(VmbusDevice d) throws IOException;
    }

    private final Path sysfsRoot;
    private final Writes writes;
    private final Holders holders;
    private final Consumer<String> steps;
    private final Map<String, Optional<String>> original = new LinkedHashMap<>();
    private final Deque<UioBinder.Step> undo = new ArrayDeque<>();
    /** The override each device had before the bind wrote its own, by instance: checked after a rollback. */
    private final Map<String, Optional<String>> overrides = new LinkedHashMap<>();

    /** Remembers the driver each of {@code devices} is on now (as scanned), which the rollback restores. */
    Rollback(Path sysfsRoot, List<VmbusDevice> devices, Writes writes, Holders holders, Consumer<String> steps) {
        this.sysfsRoot = sysfsRoot;
        this.writes = writes;
        this.holders = holders;
        this.steps = steps;
        for (VmbusDevice d : devices) {
            original.put(d.dir().getFileName().toString(), d.driver());
        }
    }

    /** The driver each device had before the first write, by instance. */
    Map<String, Optional<String>> original() {
        return original;
    }

    /** {@code step} reverses a write that completed; it runs if a later write fails. */
    void push(UioBinder.Step step) {
        undo.push(step);
    }

    /**
     * {@code step} reverses a write that completed, and runs right after the step pushed last: a driver's
     * {@code bind} runs only once the device's override, written before it, is put back.
     */
    void pushBeneath(UioBinder.Step step) {
        UioBinder.Step top = undo.pop();
        undo.push(step);
        undo.push(top);
    }

    /** The bind is about to write {@code instance}'s override, which named {@code before}. */
    void overrideWas(String instance, Optional<String> before) {
        overrides.put(instance, before);
    }

    /**
     * Rolls back after {@code cause}, and returns the exception that says what {@code doing} ("binding kvp") failed
     * on, and whether every device is back on the driver it had or which are not.
     */
    IOException failed(String doing, IOException cause) {
        List<String> left = run();
        return new IOException(doing + " failed: " + cause.getMessage()
                + "; rolled back " + (left.isEmpty() ? "and every device is on the driver it had"
                : "but some devices are NOT on the driver they had:\n  " + String.join("\n  ", left)), cause);
    }

    /** Undoes the completed steps in reverse order, then names each device not back on its original driver. */
    private List<String> run() {
        Set<String> kept = new HashSet<>(); // left on uio because a process holds them
        while (!undo.isEmpty()) {
            UioBinder.Step s = undo.pop();
            try {
                String driver = s.attribute().getParent().getFileName().toString();
                if (s.attribute().getFileName().toString().equals("bind") && kept.contains(s.value())) {
                    continue; // still on uio_hv_generic: no other driver can take it (the kernel says busy)
                }
                if (s.attribute().getFileName().toString().equals("bind") && VmbusDevices.currentDriver(
                        devices().resolve(s.value())).filter(driver::equals).isPresent()) {
                    steps.accept(s.value() + " is already back on " + driver + " (new_id probed it)");
                    continue;
                }
                if (s.attribute().getFileName().toString().equals("unbind") && driver.equals(VmbusDevices.UIO_DRIVER)) {
                    String held = holders.heldReason(VmbusDevices.read(sysfsRoot, devices().resolve(s.value())));
                    if (held != null) {
                        steps.accept("NOT unbinding " + s.value() + " from " + VmbusDevices.UIO_DRIVER + " in the rollback: "
                                + held + "; " + UioBinder.HELD_RISK);
                        kept.add(s.value());
                        continue;
                    }
                }
                writes.write(s);
            } catch (IOException e) {
                steps.accept("rollback step failed: " + e.getMessage());
            }
        }
        List<String> left = new ArrayList<>();
        original.forEach((instance, driver) -> {
            Optional<String> now;
            try {
                now = VmbusDevices.currentDriver(devices().resolve(instance));
            } catch (IOException e) {
                now = Optional.of("unknown (" + e.getMessage() + ")");
            }
            if (!now.equals(driver)) {
                left.add(instance + " is on " + now.orElse("no driver") + ", was on " + driver.orElse("no driver")
                        + driver.map(d -> "; put it back: echo -n " + instance + " > "
                        + sysfsRoot.resolve("bus/vmbus/drivers").resolve(d).resolve("bind")).orElse(""));
            }
        });
        overrides.forEach((instance, before) -> {
            Path dir = devices().resolve(instance);
            try {
                Optional<String> now = DriverOverride.read(dir);
                if (!now.equals(before)) {
                    left.add(instance + "'s " + DriverOverride.ATTRIBUTE + " names " + now.orElse("no driver")
                            + ", named " + before.orElse("none") + "; put it back: "
                            + new UioBinder.Step(DriverOverride.of(dir), DriverOverride.restore(before)).command());
                }
            } catch (IOException e) {
                left.add(instance + "'s " + DriverOverride.ATTRIBUTE + " could not be read: " + e.getMessage());
            }
        });
        return left;
    }

    private Path devices() {
        return sysfsRoot.resolve("bus/vmbus/devices");
    }
}
