package dev.vmbus.transport;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import io.vertx.core.Future;

import java.util.function.Consumer;

/**
 * The host end of a transport: offers channels to a guest and hands the host logic a link for each channel the
 * guest opens. The simulated Hyper-V host in {@code dev.vmbus.host} sits on this; so can any other host logic.
 */
public interface HostTransport {

    /** Called when the guest opened a channel; runs on the host transport's context. */
    interface ChannelListener {
        /** The guest initialised the rings: the host may write. */
        void opened(ChannelLink link);

        /** The guest closed the channel, went away, or the host rescinded it: {@code reason} says which. */
        void closed(int relid, EndReason reason);
    }

    Future<Void> start();

    /** Offers a channel; the listener hears about every open and close of it. */
    Future<Void> offer(Offer offer, ChannelListener listener);

    /** Takes the channel away from the guest. */
    Future<Void> rescind(int relid);

    /** Whether a guest is attached now. */
    boolean guestConnected();

    /** Sets what runs when a guest attaches or detaches (true = attached). */
    default void guestHandler(Consumer<Boolean> handler) {
    }

    Future<Void> close();
}
