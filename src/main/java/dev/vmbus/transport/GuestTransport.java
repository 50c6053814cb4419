package dev.vmbus.transport;

import dev.vmbus.channel.Offer;
import io.vertx.core.Context;
import io.vertx.core.Future;

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
     * tells the host, and completes with the link once the host may write. Call it on the context that will
     * own the channel; the link's handlers run there.
     */
    Future<ChannelLink> open(Offer offer);

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
