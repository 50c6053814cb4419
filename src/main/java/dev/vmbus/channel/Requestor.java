package dev.vmbus.channel;

/**
 * Request-id hardening ({@code vmbus_next_request_id} / {@code vmbus_request_addr_match}, spec section 3.3).
 *
 * <p>Each request the guest sends with "completion requested" gets a slot; the id on the wire is the slot
 * number plus one, so 0 is never handed out (it is reserved for unsolicited host messages, and Hyper-V does
 * not answer completion requests whose id is 0). Free slots form a LIFO list. A completion is accepted only for
 * a slot that is in use; forged, duplicate and stale ids are rejected and counted.
 *
 * <p>Single-threaded: the channel's owner calls it.
 */
public final class Requestor {
    /** {@code VMBUS_RQST_ERROR} (U64_MAX - 1): the table is full, or a completion id was rejected. */
    public static final long RQST_ERROR = -2L;
    /** {@code VMBUS_RQST_ADDR_ANY} (U64_MAX): match whatever address the slot holds. */
    public static final long ADDR_ANY = -1L;

    private static final int END_OF_LIST = -1;

    private final long[] addresses;
    private final int[] nextFree;
    private final boolean[] inUse;
    private int freeHead;
    private int used;

    private long rejectedZero;
    private long rejectedOutOfRange;
    private long rejectedNotInUse;
    private long rejectedMismatch;

    public Requestor(int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("requestor size must be positive, got " + size);
        }
        addresses = new long[size];
        nextFree = new int[size];
        inUse = new boolean[size];
        for (int i = 0; i < size; i++) {
            nextFree[i] = i + 1 < size ? i + 1 : END_OF_LIST;
        }
        freeHead = 0;
    }

    /** Takes a slot for {@code address}; returns the request id (slot + 1), or {@link #RQST_ERROR} if full. */
    public long next(long address) {
        int slot = freeHead;
        if (slot == END_OF_LIST) {
            return RQST_ERROR;
        }
        freeHead = nextFree[slot];
        addresses[slot] = address;
        inUse[slot] = true;
        used++;
        return slot + 1L;
    }

    /** {@code vmbus_request_addr}: releases the slot of {@code transId} whatever it holds. */
    public long requestAddress(long transId) {
        return requestAddressMatch(transId, ADDR_ANY);
    }

    /**
     * {@code vmbus_request_addr_match}: returns the address stored for {@code transId}, freeing the slot if
     * {@code expected} is {@link #ADDR_ANY} or equal to it. On a mismatch the slot stays in use and the stored
     * address is still returned (the caller compares). Rejected ids return {@link #RQST_ERROR}.
     */
    public long requestAddressMatch(long transId, long expected) {
        if (transId == 0) {
            rejectedZero++;
            return RQST_ERROR;
        }
        long slotL = transId - 1;
        if (slotL < 0 || slotL >= addresses.length) {
            rejectedOutOfRange++;
            return RQST_ERROR;
        }
        int slot = (int) slotL;
        if (!inUse[slot]) {
            rejectedNotInUse++;
            return RQST_ERROR;
        }
        long address = addresses[slot];
        if (expected != ADDR_ANY && expected != address) {
            rejectedMismatch++;
            return address;
        }
        inUse[slot] = false;
        nextFree[slot] = freeHead;
        freeHead = slot;
        used--;
        return address;
    }

    public int size() {
        return addresses.length;
    }

    public int inUse() {
        return used;
    }

    public long rejectedZero() {
        return rejectedZero;
    }

    public long rejectedOutOfRange() {
        return rejectedOutOfRange;
    }

    public long rejectedNotInUse() {
        return rejectedNotInUse;
    }

    public long rejectedMismatch() {
        return rejectedMismatch;
    }

    /** All rejected completions. */
    public long rejected() {
        return rejectedZero + rejectedOutOfRange + rejectedNotInUse + rejectedMismatch;
    }
}
