package dev.vmbus.ic;

/**
 * A field of an IC message from the peer that cannot be decoded (odd or oversized string length, missing NUL,
 * unpaired UTF-16 surrogate). Checked on purpose: every handler must turn it into a status code for the host,
 * never let it escape.
 */
public final class MalformedFieldException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedFieldException(String message) {
        super(message);
    }
}
