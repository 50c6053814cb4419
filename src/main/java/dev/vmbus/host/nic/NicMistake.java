package dev.vmbus.host.nic;

/** A guest mistake on a NIC channel: the reason the host ends that channel ({@link HostNicChannels#faulted}). */
final class NicMistake extends Exception {
    private static final long serialVersionUID = 1L;

    NicMistake(String message) {
        super(message, null, false, false);
    }
}
