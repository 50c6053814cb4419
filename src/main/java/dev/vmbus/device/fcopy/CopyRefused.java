package dev.vmbus.device.fcopy;

/** A file-copy request the guest refuses, with the status the host gets. */
final class CopyRefused extends Exception {
    private static final long serialVersionUID = 1L;
    private final int status;

    CopyRefused(int status, String message) {
        super(message);
        this.status = status;
    }

    int status() {
        return status;
    }
}
