package dev.vmbus.host;

/** The guest answered a host request with a non-zero IC status. */
public final class GuestStatusException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;

    public GuestStatusException(String request, int status) {
        super(request + " failed with status 0x" + Integer.toHexString(status));
        this.status = status;
    }

    /** The HRESULT from the reply's {@code status} field. */
    public int status() {
        return status;
    }
}
