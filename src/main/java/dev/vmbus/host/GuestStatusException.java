package dev.vmbus.host;

import dev.vmbus.ic.IcStatus;

/** The guest answered a host request with a non-zero IC status. */
public final class GuestStatusException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final IcStatus status;

    public GuestStatusException(String request, IcStatus status) {
        super(request + " failed with status " + status);
        this.status = status;
    }

    /** The HRESULT from the reply's {@code status} field. */
    public IcStatus status() {
        return status;
    }
}
