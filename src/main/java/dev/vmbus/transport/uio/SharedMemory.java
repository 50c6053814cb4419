package dev.vmbus.transport.uio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.logging.Logger;

/**
 * Unmapping memory that other threads may be using at this very moment (a ring after a rescind).
 *
 * <p>Why this is safe: every access to a segment of an {@link Arena#ofShared()} arena is checked against the
 * arena's state, and closing it does a handshake with every thread, so an access either completed before the
 * close or fails with {@link IllegalStateException}. JDK 25's handshake can miss an access in flight in a compiled
 * {@code Unsafe} accessor (JDK-8364167; SharedMemoryTest's reader once crashed so), so the close does not unmap at
 * once: {@link dev.vmbus.os.Posix#map} puts private zero pages in place of the device's and unmaps them after a
 * grace period; a missed access touches those, never the device's pages. A close can itself fail with {@link IllegalStateException} while another thread is inside an
 * access at the handshake (JDK-8319756); the arena then stays open, so it is retried until it closes.
 *
 * <p>Stateless; safe from any thread.
 */
final class SharedMemory {
    private static final Logger LOG = Logger.getLogger(SharedMemory.class.getName());
    private static final int ATTEMPTS = 100_000;

    private SharedMemory() {
    }

    /**
     * Closes {@code arena} (which {@code probe} belongs to) now, whoever is accessing it.
     *
     * @return true if this call closed it, false if it was already closed
     */
    static boolean close(Arena arena, MemorySegment probe) {
        for (int i = 0; i < ATTEMPTS; i++) {
            if (!probe.scope().isAlive()) {
                return false;
            }
            try {
                arena.close();
                return true;
            } catch (IllegalStateException e) {
                Thread.onSpinWait(); // closed meanwhile, or an access was in flight at the handshake: look again
            }
        }
        LOG.severe("uio: could not unmap a ring after " + ATTEMPTS + " attempts; it stays mapped");
        return false;
    }
}
