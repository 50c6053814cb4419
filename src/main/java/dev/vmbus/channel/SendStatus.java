package dev.vmbus.channel;

/**
 * The result of {@link VmbusChannel#sendPacket}: Linux's {@code vmbus_sendpacket} return codes as values, so
 * that a full ring (a normal event) costs no exception.
 *
 * <table>
 *   <caption>Mapping to Linux</caption>
 *   <tr><th>value</th><th>Linux</th><th>meaning</th></tr>
 *   <tr><td>{@link #OK}</td><td>0</td><td>published; {@link VmbusChannel#lastTransactionId()} holds the id written</td></tr>
 *   <tr><td>{@link #TRY_AGAIN}</td><td>-EAGAIN</td><td>{@code free <= total}: nothing visible to the host</td></tr>
 *   <tr><td>{@link #REQUESTOR_FULL}</td><td>-EAGAIN</td><td>no free request id: nothing visible to the host
 *       (Linux uses one code for both; we tell them apart so a waiter knows what to wait for)</td></tr>
 *   <tr><td>{@link #INVALID_ARGUMENT}</td><td>-EINVAL</td><td>{@code vmbus_sendpacket_pagebuffer} with more than
 *       {@code MAX_PAGE_BUFFER_COUNT} (32) pages; also, where Linux would publish a packet every receiver rejects
 *       or silently truncate {@code len8}, no range at all or a packet longer than 16 bits of {@code len8}:
 *       nothing is written</td></tr>
 *   <tr><td>{@link #NO_DEVICE}</td><td>-ENODEV</td><td>the channel was rescinded or closed</td></tr>
 *   <tr><td>{@link #FAULTED}</td><td>-EIO</td><td>the host corrupted the ring's read index; the channel is dead
 *       (Linux does not check, DPDK reports -EIO for its equivalents)</td></tr>
 * </table>
 */
public enum SendStatus {
    OK(0),
    TRY_AGAIN(-11),
    REQUESTOR_FULL(-11),
    INVALID_ARGUMENT(-22),
    NO_DEVICE(-19),
    FAULTED(-5);

    private final int errno;

    SendStatus(int errno) {
        this.errno = errno;
    }

    /** The Linux return value: 0 or a negative errno. */
    public int errno() {
        return errno;
    }
}
