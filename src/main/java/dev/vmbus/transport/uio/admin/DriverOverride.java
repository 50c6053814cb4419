package dev.vmbus.transport.uio.admin;

import dev.vmbus.transport.uio.VmbusDevice;
import dev.vmbus.transport.uio.VmbusDevices;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A VMBus device's {@code driver_override} attribute (d765edbb301c, "vmbus: add driver_override support"): while it
 * names a driver, {@code hv_vmbus_get_id} matches that driver only, and matches it without any id ("driver_override
 * will always match, send a dummy id"). Naming {@code uio_hv_generic} there binds that one device to uio without
 * {@code new_id}, so no other device of its class, present or offered later, can match uio. Writing a newline clears
 * it. Read, it shows the name, or {@code (null)} when none is set (the kernel prints the NULL pointer with
 * {@code %s}). Whether a kernel has it is read from the attribute file's presence, never from the release.
 */
public final class DriverOverride {
    /** The attribute's name in a device's directory. */
    public static final String ATTRIBUTE = "driver_override";
    /** What clears the override: one newline (a write of no bytes never reaches the attribute). */
    public static final String CLEAR = "\n";

    private DriverOverride() {
    }

    /** The attribute of the device in {@code deviceDir}. */
    public static Path of(Path deviceDir) {
        return deviceDir.resolve(ATTRIBUTE);
    }

    /** Whether this kernel gives {@code d} the attribute. */
    public static boolean present(VmbusDevice d) {
        return Files.exists(of(d.dir()));
    }

    /** The driver {@code deviceDir}'s override names; empty when none is set or the kernel has no such attribute. */
    public static Optional<String> read(Path deviceDir) throws IOException {
        try {
            String v = Files.readString(of(deviceDir)).strip();
            return v.isEmpty() || v.equals("(null)") ? Optional.empty() : Optional.of(v);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** Whether {@code d}'s override names {@code uio_hv_generic}: what holds it there, not its class's new_id. */
    public static boolean holdsOnUio(VmbusDevice d) throws IOException {
        return read(d.dir()).filter(VmbusDevices.UIO_DRIVER::equals).isPresent();
    }

    /** The value that puts back an override that was {@code previous}. */
    static String restore(Optional<String> previous) {
        return previous.orElse(CLEAR);
    }
}
