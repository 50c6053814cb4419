package dev.vmbus.transport.shm;

import java.nio.file.Path;

/**
 * Settings of the shm guest transport, as {@code UioOptions} are uio's.
 *
 * @param dir              the directory the host serves (its control socket, rings and guest memory), made absolute
 * @param connectTimeoutMs how long {@link ShmGuest#start} keeps retrying to reach a host that is not listening yet
 * @param offersWaitMs     how long after connecting {@link ShmGuest#offersDelivered} waits for the host's
 *                         {@code allOffersDelivered} line before it takes what was offered as all (a host that
 *                         predates the line), saying so in the log
 */
public record ShmOptions(Path dir, long connectTimeoutMs, long offersWaitMs) {
    public static final long DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
    public static final long DEFAULT_OFFERS_WAIT_MS = 5_000;

    public ShmOptions {
        if (dir == null) {
            throw new IllegalArgumentException("dir is required");
        }
        if (connectTimeoutMs < 0 || offersWaitMs < 0) {
            throw new IllegalArgumentException("connectTimeoutMs and offersWaitMs must be >= 0, got "
                    + connectTimeoutMs + " and " + offersWaitMs);
        }
        dir = dir.toAbsolutePath();
    }

    /** {@code dir} with the default waits. */
    public ShmOptions(Path dir) {
        this(dir, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_OFFERS_WAIT_MS);
    }

    public ShmOptions withConnectTimeoutMs(long ms) {
        return new ShmOptions(dir, ms, offersWaitMs);
    }

    public ShmOptions withOffersWaitMs(long ms) {
        return new ShmOptions(dir, connectTimeoutMs, ms);
    }
}
