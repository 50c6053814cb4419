package dev.vmbus.device.timesync;

import dev.vmbus.os.UnixDatagramSocket;


import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * {@code devices.timesync}: {@code chronySocket} (path of chronyd's {@code refclock SOCK} socket, or null for
 * none) and {@code stepClock} (step the system clock on SYNC; off by default).
 *
 * @param chronySocket where to send samples, or null
 * @param stepClock    whether a SYNC steps CLOCK_REALTIME
 */
public record TimesyncSettings(Path chronySocket, boolean stepClock) {
    /** No chrony socket, no clock stepping. */
    public static final TimesyncSettings DEFAULTS = new TimesyncSettings(null, false);

    public TimesyncSettings {
        if (chronySocket != null) {
            int bytes = chronySocket.toString().getBytes(StandardCharsets.UTF_8).length;
            if (bytes > UnixDatagramSocket.MAX_PATH_BYTES) {
                throw new IllegalArgumentException("'chronySocket' is " + bytes + " bytes; a Unix socket path has at most "
                        + UnixDatagramSocket.MAX_PATH_BYTES);
            }
        }
    }
}
