package dev.vmbus.channel;

/**
 * How one end of a channel interrupts the other: a call in {@code sim}, a 4-byte frame in {@code shm}, a
 * {@code write(1)} on {@code /dev/uioN}. Called on the channel owner's thread; must not block.
 */
@FunctionalInterface
public interface PeerSignal {
    void raise();
}
