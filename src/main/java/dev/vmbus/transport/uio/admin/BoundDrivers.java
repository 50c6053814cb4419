package dev.vmbus.transport.uio.admin;

import dev.vmbus.transport.uio.VmbusDevice;
import dev.vmbus.transport.uio.VmbusDevices;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where {@link UioBinder#bind} records the driver each device was on ({@code <transport.runDir>/bound}, one file per
 * instance naming the driver, or {@link #NO_DRIVER}), so that {@link UioBinder#unbind} puts it back there (review
 * F10). The run directory is a tmpfs: the records end with the boot, as the bindings do. A record that cannot be
 * read or written is said through the step consumer and never fails the bind or unbind.
 */
final class BoundDrivers {
    private final Path dir;
    private final Consumer<String> steps;

    /** @param dir the record directory; null: no records (unbind falls back to the class's kernel driver) */
    BoundDrivers(Path dir, Consumer<String> steps) {
        this.dir = dir;
        this.steps = steps;
    }

    /** A record's content for a device {@code bind} found on no driver. */
    static final String NO_DRIVER = "none";

    /** Where the driver {@code bind} found {@code instance} on is recorded. */
    Path file(String instance) {
        return dir.resolve(instance);
    }

    /** The driver {@code bind} found {@code instance} on ({@link #NO_DRIVER} for none), if it recorded one. */
    Optional<String> recorded(String instance) throws IOException {
        if (dir == null) {
            return Optional.empty();
        }
        try {
            String text = Files.readString(file(instance), StandardCharsets.US_ASCII).strip();
            if (!text.matches("[A-Za-z0-9_.-]{1,64}")) {
                steps.accept(file(instance) + " does not name a driver ('" + text + "'); ignored");
                return Optional.empty();
            }
            return Optional.of(text);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * After a bind: records, for each device of the class, the driver it was on ({@code original}), or, for a device
     * already on uio with no record yet (someone else bound it), {@code uio_hv_generic}. A record that cannot be
     * written is said and does not undo the bind: unbind then falls back to the class's kernel driver.
     */
    void remember(List<VmbusDevice> devices, Map<String, Optional<String>> original) {
        if (dir == null) {
            return;
        }
        for (VmbusDevice d : devices) {
            String instance = d.dir().getFileName().toString();
            Optional<String> was = original.get(instance);
            try {
                if (was.filter(VmbusDevices.UIO_DRIVER::equals).isPresent() && recorded(instance).isPresent()) {
                    continue; // bound by an earlier 'vmbus bind': its record says where it came from
                }
                Files.createDirectories(dir);
                Files.writeString(file(instance), was.orElse(NO_DRIVER) + "\n", StandardCharsets.US_ASCII);
            } catch (IOException e) {
                steps.accept("could not record that " + instance + " was on " + was.orElse("no driver") + " ("
                        + e.getMessage() + "); 'vmbus unbind' will give it to the class's kernel driver instead");
            }
        }
    }

    void forget(String instance) {
        if (dir == null) {
            return;
        }
        try {
            Files.deleteIfExists(file(instance));
        } catch (IOException e) {
            steps.accept("could not remove " + file(instance) + ": " + e.getMessage());
        }
    }
}
