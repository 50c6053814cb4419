package dev.vmbus.channel;

/**
 * The result of {@link VmbusChannel#recvPacket} / {@link VmbusChannel#recvPacketRaw}: the return codes of
 * Linux's {@code hv_ringbuffer_read} (spec section 3.2) as values. Lengths and ids go in {@link RecvResult}.
 *
 * <table>
 *   <caption>Mapping to Linux</caption>
 *   <tr><th>value</th><th>Linux</th><th>length / requestId</th><th>ring</th></tr>
 *   <tr><td>{@link #OK}</td><td>0</td><td>copied length (0 = ring empty) / trans_id (0 when empty)</td>
 *       <td>consumed, read_index published, host maybe signalled</td></tr>
 *   <tr><td>{@link #NO_BUFFER_SPACE}</td><td>-ENOBUFS</td><td>the length needed / trans_id</td>
 *       <td>unchanged: the same packet comes next time</td></tr>
 *   <tr><td>{@link #INVALID_ARGUMENT}</td><td>-EINVAL</td><td>untouched</td><td>unchanged (zero-length buffer)</td></tr>
 *   <tr><td>{@link #NO_DEVICE}</td><td>-ENODEV</td><td>0 / 0</td><td>the channel was rescinded or closed</td></tr>
 *   <tr><td>{@link #FAULTED}</td><td>-EIO</td><td>0 / 0</td><td>the host published a malformed packet or index;
 *       the channel is dead (Linux clamps and delivers garbage; DPDK returns -EIO)</td></tr>
 * </table>
 */
public enum RecvStatus {
    OK(0),
    NO_BUFFER_SPACE(-105),
    INVALID_ARGUMENT(-22),
    NO_DEVICE(-19),
    FAULTED(-5);

    private final int errno;

    RecvStatus(int errno) {
        this.errno = errno;
    }

    /** The Linux return value: 0 or a negative errno. */
    public int errno() {
        return errno;
    }
}
