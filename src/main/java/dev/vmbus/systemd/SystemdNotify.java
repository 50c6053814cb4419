package dev.vmbus.systemd;

import dev.vmbus.os.UnixDatagramSocket;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.OptionalLong;
import java.util.logging.Logger;

/**
 * systemd's notify protocol ({@code sd_notify(3)}): newline-separated {@code KEY=VALUE} assignments in one
 * datagram to {@code $NOTIFY_SOCKET}. Without that variable (not started by systemd, or not {@code Type=notify})
 * every call does nothing. Sends never block ({@code MSG_DONTWAIT}), so an event loop may call them; a
 * datagram systemd's queue cannot take is dropped and logged, which for {@code WATCHDOG=1} systemd tolerates
 * until the next ping. Made for concurrent use (the socket is synchronized).
 */
public final class SystemdNotify implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SystemdNotify.class.getName());
    /** Ample for READY, STATUS and the like; systemd itself accepts far more. */
    private static final int MAX_DATAGRAM = 4096;

    private final UnixDatagramSocket socket;
    private final OptionalLong watchdogUsec;
    private volatile boolean failedOnce;

    private SystemdNotify(UnixDatagramSocket socket, OptionalLong watchdogUsec) {
        this.socket = socket;
        this.watchdogUsec = watchdogUsec;
    }

    /** A notifier that does nothing: the process was not started by a notify-type unit. */
    public static SystemdNotify disabled() {
        return new SystemdNotify(null, OptionalLong.empty());
    }

    /**
     * From {@code NOTIFY_SOCKET}, {@code WATCHDOG_USEC} and {@code WATCHDOG_PID} as systemd sets them. A watchdog
     * meant for another process ({@code WATCHDOG_PID} not ours) is ignored, as {@code sd_watchdog_enabled} does.
     *
     * @throws IllegalStateException for a socket that cannot be opened or a malformed {@code WATCHDOG_USEC}
     */
    public static SystemdNotify fromEnvironment(Map<String, String> env) {
        String path = env.get("NOTIFY_SOCKET");
        if (path == null || path.isEmpty()) {
            return disabled();
        }
        OptionalLong watchdog = OptionalLong.empty();
        String usec = env.get("WATCHDOG_USEC");
        String pid = env.get("WATCHDOG_PID");
        if (usec != null && !usec.isEmpty() && (pid == null || pid.equals(Long.toString(ProcessHandle.current().pid())))) {
            try {
                long value = Long.parseLong(usec.trim());
                if (value <= 0) {
                    throw new NumberFormatException();
                }
                watchdog = OptionalLong.of(value);
            } catch (NumberFormatException e) {
                throw new IllegalStateException("WATCHDOG_USEC must be a positive number of microseconds, got '" + usec + "'");
            }
        }
        try {
            return new SystemdNotify(new UnixDatagramSocket(path, MAX_DATAGRAM), watchdog);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("NOTIFY_SOCKET=" + path + " cannot be used: " + e.getMessage(), e);
        }
    }

    boolean enabled() {
        return socket != null;
    }

    /** The watchdog interval systemd enforces, if it asked for pings. */
    public OptionalLong watchdogUsec() {
        return watchdogUsec;
    }

    /** Sends one state message, e.g. {@code READY=1\nSTATUS=...}; returns whether it was sent. */
    public boolean send(String state) {
        if (socket == null) {
            return false;
        }
        try {
            socket.send(state.getBytes(StandardCharsets.UTF_8));
            return true;
        } catch (IOException | IllegalArgumentException e) {
            if (!failedOnce) { // once is enough: a watchdog ping failing every second would flood the journal
                failedOnce = true;
                LOG.warning("systemd notify '" + state.lines().findFirst().orElse("") + "' failed: " + e.getMessage());
            }
            return false;
        }
    }

    @Override
    public void close() {
        if (socket != null) {
            socket.close();
        }
    }
}
