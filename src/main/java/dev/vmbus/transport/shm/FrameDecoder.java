package dev.vmbus.transport.shm;

import io.vertx.core.buffer.Buffer;

/**
 * Splits a signal socket's byte stream into 4-byte little-endian frames, whatever the read boundaries.
 */
final class FrameDecoder {
    private int partial;
    private int have;
    private int last;
    private long frames;

    /** Consumes {@code bytes}; returns true if at least one whole frame completed. */
    boolean feed(Buffer bytes) {
        boolean any = false;
        for (int i = 0, n = bytes.length(); i < n; i++) {
            partial |= (bytes.getByte(i) & 0xFF) << (8 * have);
            if (++have == 4) {
                last = partial;
                partial = 0;
                have = 0;
                frames++;
                any = true;
            }
        }
        return any;
    }

    /** The value of the last whole frame. */
    int last() {
        return last;
    }

    long frames() {
        return frames;
    }
}
