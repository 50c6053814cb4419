package dev.vmbus.transport.shm;

import java.nio.ByteBuffer;

/**
 * Splits a signal socket's byte stream into 4-byte little-endian frames, whatever the read boundaries.
 */
final class FrameDecoder {
    private int partial;
    private int have;
    private int last;
    private long frames;

    /** Consumes the first {@code n} bytes of {@code bytes} (absolute reads); true if at least one frame completed. */
    boolean feed(ByteBuffer bytes, int n) {
        boolean any = false;
        for (int i = 0; i < n; i++) {
            partial |= (bytes.get(i) & 0xFF) << (8 * have);
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
