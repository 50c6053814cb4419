package dev.vmbus.ring;

/**
 * A ring header as read at one moment, plus derived figures, for display (spec section 6).
 *
 * @param bytesToRead  Linux's {@code read_avail} ({@code -1} if an index is out of range)
 * @param bytesToWrite Linux's {@code write_avail} ({@code -1} if an index is out of range)
 * @param ringSize     header plus data area, the {@code ring_size} of the kernel's fill formula
 */
public record RingSnapshot(int writeIndex, int readIndex, int interruptMask, int pendingSendSize, int featureBits,
                           int dataSize, int bytesToRead, int bytesToWrite, long ringSize) {

    /** Used bytes as a percentage of the data area. */
    public double fillPercent() {
        return bytesToRead < 0 ? 0 : 100.0 * bytesToRead / dataSize;
    }

    /** The kernel's {@code hv_get_avail_to_write_percent}: {@code avail_write * 10 / (ring_size / 10)}. */
    public long availToWritePercent() {
        return bytesToWrite < 0 ? 0 : bytesToWrite * 10L / (ringSize / 10);
    }
}
