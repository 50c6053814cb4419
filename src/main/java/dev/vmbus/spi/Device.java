package dev.vmbus.spi;

import dev.vmbus.channel.Packet;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * One device class at run time: made once per agent by {@link DevicePlugin#device} from its parsed settings,
 * then handed every packet of every channel of its class. The framework registers it at
 * {@code vmbus.device.<name>}, serves {@link #state()} at {@code vmbus.device.<name>.state} and tells it when a
 * channel ends; the device never touches an address itself.
 *
 * <p>Threads: every method is called on the device's own context (one event loop), so a device needs no locks
 * for what it keeps; work that blocks goes to a worker ({@code vertx.executeBlocking}).
 *
 * <p>The smallest device is a lambda: {@code packet -> Future.succeededFuture(Reply.response(packet, bytes))}.
 */
@FunctionalInterface
public interface Device {

    /**
     * Handles one packet. Until the future completes the packet holds its channel's credit: one unit, or one per
     * range (receive-buffer slot) for a transfer-page packet, which a device completes with
     * {@link Reply#complete}. A failed
     * future (or an exception thrown here) faults that channel, with the failure's message as the reason (an
     * exception of the JDK's, a slip rather than a reason, with its class named); every other channel keeps running.
     */
    Future<Reply> handle(Packet packet);

    /** Called once before the first packet: timers, files, workers. The device is not started until it completes. */
    default Future<?> start(Vertx vertx) {
        return Future.succeededFuture();
    }

    /** Called once when the agent stops. */
    default Future<?> stop() {
        return Future.succeededFuture();
    }

    /** The device's state for the dashboard (a fresh object each call). */
    default JsonObject state() {
        return new JsonObject();
    }

    /**
     * A channel of this device's class is open (primary or subchannel), with its buffers and the guest memory:
     * called before the channel's first packet reaches {@link #handle}. Keep what the protocol needs (the GPADL
     * handles to quote, the receive buffer to read transfer pages from) until {@link #channelEnded}.
     */
    default void channelOpened(DeviceChannel channel) {
    }

    /**
     * A subchannel the device asked for (through its own protocol, e.g. NVSP's subchannel request) is open:
     * subchannel {@code index} (1 and up) of the device whose primary channel is {@code primaryRelid}, as channel
     * {@code relid}. Its packets arrive here like the primary's ({@link Packet#relid()} tells them apart) with the
     * same credit rules, and it ends like any channel ({@link #channelEnded}). Called after the primary is open.
     */
    default void subchannelOpened(int primaryRelid, int relid, int index) {
    }

    /**
     * Opt-in for devices that handle many packets (a NIC): return a handler and this channel's packets go to it
     * a drain batch at a time, on the channel's own context, instead of to {@link #handle} one event-bus request
     * each; complete and send through {@code port} (also on that context). Return null (the default) to keep
     * {@link #handle}. Called on the device's context once per open channel, primary or subchannel, before
     * {@link #channelOpened} and before its first packet; {@code port.channel()} carries the same buffers.
     *
     * <p>The handler runs on the channel's context, not the device's: what it shares with the device's other
     * methods or with other channels' handlers must be safe across threads.
     */
    default BatchHandler batchHandler(ChannelPort port) {
        return null;
    }

    /** Channel {@code relid} of this device's class is gone (rescinded, faulted or closed): forget it. */
    default void channelEnded(int relid) {
    }
}
