package dev.vmbus.transport;

import dev.vmbus.channel.Offer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Where a guest's channels come from: {@code sim} (a host in this JVM), {@code shm} (a host in another
 * process, over files and Unix sockets) or {@code uio} (a real Hyper-V guest).
 */
public interface GuestTransport {

    /** {@code sim}, {@code shm} or {@code uio}. */
    String name();

    /** Starts discovering offers; the listener runs on {@code context}. */
    Future<Void> start(Context context, OfferListener listener);

    /**
     * Completes once every channel the host had offered when the guest arrived has reached the listener, as
     * VMBus's {@code ALLOFFERS_DELIVERED} tells Linux: what "every enabled channel is open" (systemd's
     * {@code READY=1}) is counted against. By default when {@link #start} completes, as {@code sim} and
     * {@code uio} report their offers inside it; {@code shm} waits for the host's {@code allOffersDelivered} line.
     * Never fails.
     */
    default Future<Void> offersDelivered() {
        return Future.succeededFuture();
    }

    /**
     * Opens an offered channel: initialises both ring headers (indices 0, masks 0, {@code feature_bits} 1),
     * tells the host, and completes with the link once the host may write. The link's handlers (interrupt,
     * closed) run on {@code owner}, and the returned future completes there too, so that the owner attaches its
     * handlers and stores what it made of the link before an interrupt the host sent meanwhile can run: an
     * interrupt is a task on {@code owner} and waits behind the one that completes the open. A null
     * {@code owner} is the transport's own context (the one {@link #start} was given).
     */
    Future<ChannelLink> open(Offer offer, Context owner);

    /** {@link #open(Offer, Context)} for the calling context (the transport's own when called off any context). */
    default Future<ChannelLink> open(Offer offer) {
        return open(offer, Vertx.currentContext());
    }

    /**
     * Guest memory for GPA-direct packets: {@code sim}'s shared segment, the {@code shm} host's {@code guest.mem},
     * pinned pages on {@code uio}. One that cannot be used says why ({@link GuestMemory#unavailableReason()}).
     */
    default GuestMemory guestMemory() {
        return GuestMemory.unavailable("the " + name() + " transport has no guest memory for GPA-direct packets");
    }

    /** Closes every link and the connection to the host. */
    Future<Void> close();
}
