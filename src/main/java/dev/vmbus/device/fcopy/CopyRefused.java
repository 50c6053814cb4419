package dev.vmbus.device.fcopy;

import dev.vmbus.ic.IcStatus;

/** A file-copy request the guest refuses, with the status the host gets. */
final class CopyRefused extends Exception {
    private static final long serialVersionUID = 1L;
    private final IcStatus status;

    CopyRefused(IcStatus status, String message) {
        super(message);
        this.status = status;
    }

    IcStatus status() {
        return status;
    }
}
