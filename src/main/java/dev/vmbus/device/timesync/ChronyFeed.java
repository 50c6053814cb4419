package dev.vmbus.device.timesync;

import dev.vmbus.os.UnixDatagramSocket;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.logging.Logger;

/**
 * Feeds chronyd's {@code refclock SOCK} with one {@link SockSample} per host time sample: how a userspace
 * timesync service disciplines the clock without privileges. chronyd may start after us or restart: a failed
 * send is counted and reported, and the next sample simply tries again.
 */
public final class ChronyFeed implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ChronyFeed.class.getName());

    private final Path socketPath;
    private UnixDatagramSocket socket;
    private long sent;
    private long failed;
    private String lastError;
    private Instant lastSent;
    private double lastOffset = Double.NaN;
    private boolean failing;

    public ChronyFeed(Path socketPath) {
        this.socketPath = socketPath;
    }

    /** Sends a sample; failures are recorded (and logged once per run of failures), never thrown. */
    public boolean send(SockSample sample) {
        try {
            if (socket == null) {
                socket = new UnixDatagramSocket(socketPath.toString(), SockSample.LENGTH);
            }
            socket.send(sample.encode());
        } catch (IOException | RuntimeException e) {
            failed++;
            lastError = e.getMessage();
            if (!failing) {
                LOG.warning("timesync: cannot feed chronyd at " + socketPath + ": " + e.getMessage()
                        + " (is 'refclock SOCK " + socketPath + "' in chrony.conf and chronyd running?)");
            }
            failing = true;
            return false;
        }
        if (failing) {
            LOG.info("timesync: feeding chronyd at " + socketPath + " again");
        }
        failing = false;
        sent++;
        lastSent = Instant.now();
        lastOffset = sample.offset();
        return true;
    }

    public long sent() {
        return sent;
    }

    public long failed() {
        return failed;
    }

    /** The feed's status for the dashboard. */
    public JsonObject toJson() {
        JsonObject json = new JsonObject().put("socket", socketPath.toString()).put("sent", sent)
                .put("failed", failed).put("ok", sent > 0 && !failing);
        if (lastSent != null) {
            json.put("lastSent", lastSent.toString()).put("lastOffsetSeconds", lastOffset);
        }
        if (lastError != null) {
            json.put("lastError", lastError);
        }
        return json;
    }

    @Override
    public void close() {
        if (socket != null) {
            socket.close();
            socket = null;
        }
    }
}
