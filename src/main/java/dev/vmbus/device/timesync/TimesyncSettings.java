package dev.vmbus.device.timesync;

import dev.vmbus.os.UnixDatagramSocket;

import dev.vmbus.spi.DeviceConfig;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code devices.timesync}: {@code chronySocket} (path of chronyd's {@code refclock SOCK} socket, or null for
 * none) and {@code stepClock} (step the system clock on SYNC; off by default).
 *
 * @param chronySocket where to send samples, or null
 * @param stepClock    whether a SYNC steps CLOCK_REALTIME
 */
public record TimesyncSettings(Path chronySocket, boolean stepClock) {
    private static final Set<String> KEYS = Set.of("chronySocket", "stepClock");

    /** Reads and checks the section. */
    public static TimesyncSettings from(JsonObject config) {
        DeviceConfig.onlyKeys(config, KEYS, "timesync");
        Object socket = config.getValue("chronySocket");
        Path path = null;
        if (socket != null) {
            if (!(socket instanceof String s) || s.isBlank()) {
                throw new IllegalArgumentException("'chronySocket' must be a path or null, got " + socket);
            }
            int bytes = s.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > UnixDatagramSocket.MAX_PATH_BYTES) {
                throw new IllegalArgumentException("'chronySocket' is " + bytes + " bytes; a Unix socket path has at most "
                        + UnixDatagramSocket.MAX_PATH_BYTES);
            }
            path = Path.of(s);
        }
        return new TimesyncSettings(path, DeviceConfig.bool(config, "stepClock", false));
    }
}
