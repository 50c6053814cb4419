package dev.vmbus.channel;

/**
 * The out-parameters of a receive ({@code *buffer_actual_len}, {@code *requestid}), reusable across calls so
 * that the receive path allocates nothing.
 */
public final class RecvResult {
    int length;
    long requestId;
    int type;
    int flags;

    /** Bytes copied, or bytes needed after {@link RecvStatus#NO_BUFFER_SPACE}; 0 when the ring was empty. */
    public int length() {
        return length;
    }

    /** The packet's {@code trans_id}. */
    public long requestId() {
        return requestId;
    }

    /** The packet's type (not part of Linux's out-parameters; free to report since we have it). */
    public int type() {
        return type;
    }

    public int flags() {
        return flags;
    }

    public void set(int length, long requestId, int type, int flags) {
        this.length = length;
        this.requestId = requestId;
        this.type = type;
        this.flags = flags;
    }
}
