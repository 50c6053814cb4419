package dev.vmbus.runtime;

/**
 * What a channel end has outstanding at one moment: what its device holds, and what it waits for. Immutable.
 *
 * @param withDevice         packets with the device (per-packet: not yet answered; batch: the current batch and
 *                           the transfer-page packets not yet completed)
 * @param creditUsed         credit units those packets hold (one per packet, one per receive-buffer slot of a
 *                           transfer-page packet)
 * @param credit             the channel's credit: no packet is taken while {@code creditUsed} reaches it
 * @param completionsOwed    transfer-page packets the device has not completed yet (the host waits for them)
 * @param receiveSlotsHeld   receive-buffer slots (transfer-page ranges) those packets name
 * @param completionsAwaited packets this end sent asking for a completion that has not come yet (with a
 *                           requestor its pending requests; without one, the ids sent with completion requested
 *                           that no completion has named yet, up to 65,536 ids)
 */
public record Outstanding(int withDevice, int creditUsed, int credit, int completionsOwed, int receiveSlotsHeld,
                          int completionsAwaited) {
}
