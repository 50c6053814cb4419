package dev.vmbus.transport.uio.admin;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.transport.uio.KernelFeatures;
import dev.vmbus.transport.uio.VmbusDevice;
import dev.vmbus.transport.uio.VmbusDevices;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The operator's {@code vmbus bind <class> --force} decisions, kept across reboots in
 * {@code <transport.stateDir>/forced/<class GUID>.json} (issue 19 item 2): bindings live in kernel memory and are gone
 * after a reboot, and the unit's {@code bind --enabled} must put a class back that only {@code --force} could bind
 * (netvsc; any class on 6.10 to 6.13 once the buffers pass {@code transport.maxBufferPercent}). A record names what
 * was accepted, not merely that force was used: for each device instance the forceable reason codes
 * ({@link dev.vmbus.transport.uio.ServePolicy.Reason#code}) it was moved despite, and the share of {@code MemTotal}
 * the buffers of every bound device reached. At boot {@link #consent} replays exactly that: a new device of the class,
 * a new reason, or a larger buffer share is refused with the reason, and what the kernel cannot do (a confidential
 * VM, a kernel without the rescind fix) is refused as always. A bind with {@code --device} ({@link DeviceSelection})
 * records that only those devices were chosen: at boot they are bound again and the class's other devices are left
 * on their driver, neither moved nor judged (the NIC an operator reaches the machine by is no "new device"); a chosen
 * device no longer offered is named. {@link UioBinder#unbind} removes the class's record (an unbind with
 * {@code --device}, those devices from it); the package's purge removes the directory. A record that cannot be
 * read is named and accepts nothing.
 *
 * <p>Used from one thread at a time (a CLI command); blocking file I/O.
 */
public final class ForcedBinds {
    private final Path dir;
    private final Consumer<String> steps;

    /**
     * What one class's forced binds accepted.
     *
     * @param selected the devices {@code --device} chose, by instance, with the interface each was known by ("" when
     *                 none): only those are bound at boot; empty when the whole class was bound
     */
    public record Decision(UUID classId, Map<String, Set<String>> reasons, double bufferPercent, String kernel,
                           String at, Map<String, String> selected) {
        public Decision {
            Map<String, Set<String>> copy = new LinkedHashMap<>();
            reasons.forEach((k, v) -> copy.put(k, Set.copyOf(v)));
            reasons = Map.copyOf(copy);
            selected = new DeviceSelection(selected).devices();
        }

        boolean isEmpty() {
            return reasons.isEmpty() && Double.isNaN(bufferPercent) && selected.isEmpty();
        }

        /** The devices the boot binds: those {@code --device} chose, or {@link DeviceSelection#ALL}. */
        public DeviceSelection selection() {
            return new DeviceSelection(selected);
        }
    }

    /** @param stateDir {@code transport.stateDir}; null: nothing is recorded or read */
    public ForcedBinds(Path stateDir, Consumer<String> steps) {
        this.dir = stateDir == null ? null : stateDir.resolve("forced");
        this.steps = steps;
    }

    /** Where the records are kept ({@code <transport.stateDir>/forced}); null when nothing is recorded. */
    public Path dir() {
        return dir;
    }

    /** Where the decision for {@code classId} is kept. */
    public Path file(UUID classId) {
        return dir.resolve(classId + ".json");
    }

    /** The decision recorded for {@code classId}, if any (a record that cannot be read is named and ignored). */
    public Optional<Decision> recorded(UUID classId) throws IOException {
        if (dir == null) {
            return Optional.empty();
        }
        Path f = file(classId);
        String text;
        try {
            text = Files.readString(f, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            JsonObject j = new JsonObject(text);
            Map<String, Set<String>> reasons = new LinkedHashMap<>();
            JsonObject devices = j.getJsonObject("devices", new JsonObject());
            for (String instance : devices.fieldNames()) {
                Set<String> codes = new TreeSet<>();
                devices.getJsonArray(instance).forEach(c -> codes.add((String) c));
                reasons.put(instance, codes);
            }
            Map<String, String> selected = new LinkedHashMap<>();
            JsonObject chosen = j.getJsonObject("selected", new JsonObject());
            for (String instance : chosen.fieldNames()) {
                selected.put(instance, chosen.getString(instance, ""));
            }
            Number share = j.getNumber("bufferPercent");
            if (!UUID.fromString(j.getString("classId")).equals(classId)) {
                throw new IllegalArgumentException("it names class " + j.getString("classId"));
            }
            return Optional.of(new Decision(classId, reasons, share == null ? Double.NaN : share.doubleValue(),
                    j.getString("kernel"), j.getString("at"), selected));
        } catch (DecodeException | ClassCastException | IllegalArgumentException | NullPointerException e) {
            steps.accept("WARNING: " + f + " is not a record of 'vmbus bind --force' (" + e.getMessage()
                    + "); it accepts nothing");
            return Optional.empty();
        }
    }

    /**
     * Every record, by file name; a file named after no class GUID is left alone, one that cannot be read is named
     * (through the steps) and left out.
     */
    public List<Decision> all() throws IOException {
        if (dir == null || !Files.isDirectory(dir)) {
            return List.of();
        }
        List<Decision> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList()) {
                UUID id;
                try {
                    id = UUID.fromString(f.getFileName().toString().replace(".json", ""));
                } catch (IllegalArgumentException e) {
                    continue;
                }
                recorded(id).ifPresent(out::add);
            }
        }
        return out;
    }

    /** The largest buffer share any recorded {@code --force} accepted; NaN when none did. */
    public double bufferCeiling() throws IOException {
        double max = Double.NaN;
        for (Decision d : all()) {
            double share = d.bufferPercent();
            if (!Double.isNaN(share) && (Double.isNaN(max) || share > max)) {
                max = share;
            }
        }
        return max;
    }

    /** What the boot's {@code bind --enabled} would do with a record, judged on this machine now. */
    public enum Replay {
        /** It binds the class again. */
        BINDS,
        /** It refuses the class (the record no longer holds for its devices): the reasons say why. */
        REFUSED,
        /**
         * The record holds for the class's devices, but with every enabled class bound the buffers would pass the
         * share the records accepted: whichever class crosses it at boot is refused.
         */
        BUFFERS,
        /** The class is not enabled in the configuration, so {@code bind --enabled} leaves it alone. */
        NOT_ENABLED,
        /** No device of the class is offered now: nothing to bind. */
        NO_DEVICE
    }

    /**
     * One record with what the boot would do with it.
     *
     * @param gone the devices the record's {@code --device} chose that are not offered now, as
     *             {@link DeviceSelection#describe(String)} names them
     */
    public record AtBoot(Decision decision, Path file, Replay replay, List<String> reasons, List<String> gone) {
        public AtBoot {
            reasons = List.copyOf(reasons);
            gone = List.copyOf(gone);
        }
    }

    /**
     * What {@code bind --enabled} at the next boot would do with each record on this machine as it is now, judging
     * every device of the class (of a record with {@code --device}, every chosen device) as not yet bound (after a
     * reboot none is): the kernel's reasons and the forceable ones the record did not accept refuse it; a buffer
     * share past what the records accepted refuses some class.
     *
     * @param enabled        the class GUIDs with an enabled handler
     * @param shareAllBound  the share of {@code MemTotal} the buffers take once every enabled, offered class is bound
     *                       (percent; NaN when unknown)
     */
    public List<AtBoot> atBoot(Path sysfsRoot, KernelFeatures kernel, java.util.Set<UUID> enabled,
                               double maxBufferPercent, double shareAllBound) throws IOException {
        List<AtBoot> out = new ArrayList<>();
        double ceiling = bufferCeiling();
        List<VmbusDevice> offered = VmbusDevices.scan(sysfsRoot).devices();
        for (Decision d : all()) {
            UUID id = d.classId();
            String name = DeviceClass.nameOf(id);
            List<String> gone = d.selection().gone(offered);
            if (!enabled.contains(id)) {
                out.add(new AtBoot(d, file(id), Replay.NOT_ENABLED, List.of(name + " is not enabled in the configuration"
                        + " (devices." + name + ".enabled): 'bind --enabled' binds only enabled classes"), gone));
                continue;
            }
            List<VmbusDevice> devices = offered.stream().filter(v -> v.classId().equals(id))
                    .filter(d.selection()::includes).toList();
            if (devices.isEmpty()) {
                out.add(new AtBoot(d, file(id), Replay.NO_DEVICE, List.of(d.selection().chosen()
                        ? "none of the devices 'vmbus bind " + name + " --device' chose is offered now ("
                        + String.join(", ", gone) + ")" : "no device of " + name + " is offered now"), gone));
                continue;
            }
            Consent consent = consent(id, ceiling);
            List<String> why = BindPreflight.refusalsAtBoot(id, devices, consent, kernel);
            if (!why.isEmpty()) {
                out.add(new AtBoot(d, file(id), Replay.REFUSED, why, gone));
            } else if (!Double.isNaN(shareAllBound) && shareAllBound > maxBufferPercent
                    && !consent.acceptsBuffers(shareAllBound)) {
                out.add(new AtBoot(d, file(id), Replay.BUFFERS, List.of(String.format(Locale.ROOT, "with every enabled,"
                        + " offered class bound the receive and send buffers would take %.1f%% of MemTotal, above"
                        + " transport.maxBufferPercent (%s%%)%s: 'bind --enabled' refuses whichever class crosses it",
                        shareAllBound, maxBufferPercent, Double.isNaN(ceiling) ? "" : String.format(Locale.ROOT,
                        " and the %.1f%% the records accepted", ceiling))), gone));
            } else {
                out.add(new AtBoot(d, file(id), Replay.BINDS, List.of(), gone));
            }
        }
        return out;
    }

    /**
     * What {@code bind --enabled} may override for {@code classId}: the devices and reasons its record accepted, and
     * the largest buffer share any record accepted (the operator accepted the machine's total, whatever order the
     * classes are bound in).
     */
    public Consent consent(UUID classId, double bufferCeiling) throws IOException {
        Optional<Decision> d = recorded(classId);
        if (d.isEmpty() && Double.isNaN(bufferCeiling)) {
            return Consent.NONE;
        }
        String source = d.isPresent() ? "'vmbus bind " + DeviceClass.nameOf(classId) + " --force' of " + d.get().at()
                + " (" + file(classId) + ")" : "the 'vmbus bind --force' recorded in " + dir;
        return new Consent(false, d.map(Decision::reasons).orElse(Map.of()), bufferCeiling, source);
    }

    /**
     * After a successful forced bind, or one with {@code --device}: adds what it overrode to the class's record
     * (devices moved earlier stay). A bind of the whole class makes the record the whole class's; one with
     * {@code --device} adds its devices to those chosen before (or to those a whole-class record moved).
     */
    void remember(Decision made) {
        if (dir == null || made.isEmpty()) {
            return;
        }
        Path f = file(made.classId());
        try {
            Map<String, Set<String>> reasons = new LinkedHashMap<>();
            Map<String, String> selected = new LinkedHashMap<>();
            double share = made.bufferPercent();
            Optional<Decision> before = recorded(made.classId());
            if (before.isPresent()) {
                reasons.putAll(before.get().reasons());
                if (Double.isNaN(share) || before.get().bufferPercent() > share) {
                    share = before.get().bufferPercent();
                }
                if (!made.selected().isEmpty()) {
                    selected.putAll(before.get().selected());
                    if (selected.isEmpty()) {
                        before.get().reasons().keySet().forEach(i -> selected.put(i, ""));
                    }
                }
            }
            made.reasons().forEach((k, v) -> reasons.merge(k, v, (a, b) -> {
                Set<String> all = new TreeSet<>(a);
                all.addAll(b);
                return all;
            }));
            made.selected().forEach((k, v) -> selected.merge(k, v, (a, b) -> b.isEmpty() ? a : b));
            store(new Decision(made.classId(), reasons, share, made.kernel(),
                    made.at() != null ? made.at() : Instant.now().toString(), selected));
            steps.accept("recorded what " + (made.selected().isEmpty() ? "--force" : "--device") + " accepted in " + f
                    + ": 'vmbus bind --enabled' (the vmbus unit, at every start) re-binds "
                    + DeviceClass.nameOf(made.classId()) + (selected.isEmpty() ? "" : " (only "
                    + new DeviceSelection(selected).describe() + ")") + " while it still holds");
        } catch (IOException e) {
            steps.accept("WARNING: could not record the " + (made.selected().isEmpty() ? "--force" : "--device")
                    + " in " + f + " (" + e.getMessage() + "): after a reboot the vmbus unit will not bind "
                    + DeviceClass.nameOf(made.classId()) + " again");
        }
    }

    /** Writes {@code d} as its class's record, replacing any. */
    private void store(Decision d) throws IOException {
        JsonObject devices = new JsonObject();
        d.reasons().forEach((k, v) -> devices.put(k, new JsonArray(new java.util.ArrayList<>(new TreeSet<>(v)))));
        JsonObject j = new JsonObject().put("class", DeviceClass.nameOf(d.classId()))
                .put("classId", d.classId().toString()).put("devices", devices)
                .put("bufferPercent", Double.isNaN(d.bufferPercent()) ? null : d.bufferPercent())
                .put("kernel", d.kernel()).put("at", d.at());
        if (!d.selected().isEmpty()) {
            j.put("selected", new JsonObject(new LinkedHashMap<>(d.selected())));
        }
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + d.classId() + ".tmp");
        Files.writeString(tmp, j.encodePrettily() + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, file(d.classId()), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** After an unbind of the whole class: the class's record goes (a later boot must not bind it again). */
    void forget(UUID classId) {
        if (dir == null) {
            return;
        }
        try {
            if (Files.deleteIfExists(file(classId))) {
                steps.accept("removed " + file(classId) + ": the vmbus unit no longer re-binds "
                        + DeviceClass.nameOf(classId) + " with --force");
            }
        } catch (IOException e) {
            steps.accept("WARNING: could not remove " + file(classId) + ": " + e.getMessage());
        }
    }

    /**
     * After an unbind with {@code --device}: those devices leave the class's record, so the boot leaves them on their
     * driver. A record of the whole class becomes one of the devices still on {@code uio_hv_generic}
     * ({@code stillBound}); a record with nothing left goes.
     */
    void forget(UUID classId, java.util.Collection<String> released, DeviceSelection stillBound) {
        if (dir == null) {
            return;
        }
        Path f = file(classId);
        try {
            Optional<Decision> before = recorded(classId);
            if (before.isEmpty()) {
                return;
            }
            Map<String, String> selected = new LinkedHashMap<>(before.get().selected().isEmpty()
                    ? stillBound.devices() : before.get().selected());
            released.forEach(selected::remove);
            if (selected.isEmpty()) {
                forget(classId);
                return;
            }
            Map<String, Set<String>> reasons = new LinkedHashMap<>(before.get().reasons());
            released.forEach(reasons::remove);
            store(new Decision(classId, reasons, before.get().bufferPercent(), before.get().kernel(), before.get().at(),
                    selected));
            steps.accept("recorded in " + f + " that the vmbus unit re-binds only "
                    + new DeviceSelection(selected).describe() + " of " + DeviceClass.nameOf(classId));
        } catch (IOException e) {
            steps.accept("WARNING: could not update " + f + " (" + e.getMessage() + "): after a reboot the vmbus unit"
                    + " may bind " + String.join(", ", released) + " again; 'vmbus unbind "
                    + DeviceClass.nameOf(classId) + "' removes the record");
        }
    }
}
