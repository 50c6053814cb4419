package dev.vmbus.channel;

/**
 * How one end of a channel signals the other: a call in {@code sim}, a 4-byte frame in {@code shm}, a kick
 * ({@code write(1)} on {@code /dev/uioN}, or a monitor bit) on {@code uio}. Only the {@link VmbusChannel} calls
 * it, when the ring rules say the peer must hear. Called on the channel owner's thread; must not block.
 */
@FunctionalInterface
public interface PeerSignal {
    void signal();
}
