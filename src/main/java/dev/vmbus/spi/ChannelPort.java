package dev.vmbus.spi;

import dev.vmbus.channel.Packet;
import io.vertx.core.Context;
import io.vertx.core.Future;

/**
 * A device's direct line to one open channel, for devices that handle many packets
 * ({@link Device#batchHandler}): completes and sends on the channel's own context with no event-bus hop.
 *
 * <p>Threads: call it on the channel's context (where the {@link BatchHandler} runs) and it acts at once; from
 * any other thread the call is moved onto that context. Futures complete on the channel's context.
 *
 * <p>What a batch handler sends while it runs is staged in the ring (its future completes then) and published to
 * the host with the rest of the drain pass's sends when the pass ends: one signal for the pass, not one per packet.
 */
public interface ChannelPort {

    /** The channel: offer, receive and send buffers, guest memory. */
    DeviceChannel channel();

    default int relid() {
        return channel().relid();
    }

    /**
     * The channel's context: where its {@link BatchHandler} runs and where a call from elsewhere is moved to. A
     * device that keeps state for the channel runs what touches it here (its timers, its backend's tasks). Do not
     * learn it from {@code Vertx.currentContext()} in a callback of this port's futures: a future that is already
     * complete runs a callback added later on the thread that adds it.
     */
    Context context();

    /**
     * Completes {@code request} ({@code VM_PKT_COMP}, flags 0, its transaction id, {@code payload} which may be
     * empty): a transfer-page packet's receive-buffer slots go back to the host and their credit to the channel.
     * Complete each transfer-page packet exactly once, after you have read its data: until then it holds the host
     * back. Completes when the completion is on the ring.
     *
     * @return a failed future for a completion packet, a packet of another channel, or a transfer-page packet
     *         already completed ({@link IllegalArgumentException}; nothing is sent), or once the channel ended
     */
    Future<Void> complete(Packet request, byte[] payload);

    /** Sends {@code packet} (waiting for ring space if need be); completes when it is on the ring. */
    Future<Void> send(OutboundPacket packet);

    /**
     * Ends this channel now for {@code reason}, as a {@link BatchHandler} that throws does, but at any time: for a
     * device that finds its channel unusable outside packet handling (a peer that stopped answering, found by a
     * timer). The channel faults ({@code HANDLER_FAILED}, the reason on {@code /api/channels} and in the log),
     * packets waiting to go out fail, the device hears {@link Device#channelEnded}, and the other channels go on.
     * Completes once the channel has ended; does nothing to a channel that already ended.
     *
     * @return a failed future only before the channel is open
     */
    Future<Void> end(String reason);

    /**
     * Closes this channel from the guest's side for {@code reason}, as a device does with a channel it has no more
     * use for: Linux's {@code vmbus_close} closes a primary's subchannels before the primary, so a NIC whose primary
     * ended closes its subchannels instead of leaving them open until the host takes them away (under uio an open
     * subchannel keeps the device's {@code /dev/uioN}, and with it the kernel's primary channel, open). The channel
     * ends {@code CLOSED} with the reason (the host hears a close, not a fault), packets waiting to go out fail,
     * and the device hears {@link Device#channelEnded}. Completes once the host confirmed the close (or the
     * transport gave up waiting); does nothing to a channel that already ended.
     *
     * @return a failed future only before the channel is open
     */
    Future<Void> close(String reason);

    /**
     * This channel's send buffer cut into sections of {@code sectionSize} bytes (what the host named), made on
     * the first call and returned after; its use is shown with the channel's figures. A device's subchannels
     * share their primary's: keep the one the primary's port returned.
     *
     * @throws IllegalStateException    if the host shares no send buffer, or a different size was asked before
     * @throws IllegalArgumentException for a size that does not fit the buffer
     */
    SendSections sendSections(int sectionSize);
}
