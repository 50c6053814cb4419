package dev.vmbus.transport;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import io.vertx.core.Future;

import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

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

    /**
     * The buffers a channel shares besides its rings, in bytes (whole 4 KiB pages; 0 for none): the receive buffer
     * (uio map 3, {@code recv:N}) and the send buffer (map 4, {@code send:N}). {@code uio_hv_generic} makes 31 MiB
     * and 16 MiB ({@link #UIO}).
     */
    record Buffers(long receive, long send) {
        public static final Buffers NONE = new Buffers(0, 0);
        /** What {@code uio_hv_generic} 0.02.1 (4.18 and later) shares: 31 MiB and 16 MiB. */
        public static final Buffers UIO = new Buffers(31L << 20, 16L << 20);

        public Buffers {
            for (long size : new long[] {receive, send}) {
                if (size < 0 || size % GuestMemory.PAGE_SIZE != 0 || size > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("a channel buffer is a whole number of 4096-byte pages"
                            + " below 2 GiB, got " + size);
                }
            }
        }

        public boolean none() {
            return receive == 0 && send == 0;
        }
    }

    /**
     * The checks every host transport makes of a new offer against the channels it already offers (by relid): the
     * relid is free, and a subchannel's primary (subchannel 0 of the same class and instance) is offered while the
     * subchannel asks for no buffers of its own (one GPADL pair per device).
     *
     * @return the primary's channel for a subchannel, null for a primary; or failed with an
     *         {@link IllegalArgumentException} naming what is wrong
     */
    static <C> Future<C> checkOffer(Offer offer, Buffers buffers, Map<Integer, C> offered, Function<C, Offer> offerOf) {
        if (offered.containsKey(offer.relid())) {
            return Future.failedFuture(new IllegalArgumentException("relid " + offer.relid() + " is already offered"));
        }
        if (offer.subchannel() == 0) {
            return Future.succeededFuture();
        }
        C primary = offered.values().stream().filter(c -> offerOf.apply(c).subchannel() == 0
                && offerOf.apply(c).classId().equals(offer.classId())
                && offerOf.apply(c).instanceId().equals(offer.instanceId())).findFirst().orElse(null);
        if (primary == null) {
            return Future.failedFuture(new IllegalArgumentException("subchannel " + offer.subchannel() + " (relid "
                    + offer.relid() + ") has no primary of its class and instance offered"));
        }
        if (!buffers.none()) {
            return Future.failedFuture(new IllegalArgumentException("a subchannel shares its primary's buffers (one"
                    + " GPADL pair per device); relid " + offer.relid() + " asked for its own"));
        }
        return Future.succeededFuture(primary);
    }

    /** The first GPADL handle a host gives out, as Linux's VMBus connection counter starts (spec section 5.3). */
    int FIRST_GPADL = 0xE1E10;

    Future<Void> start();

    /**
     * Offers a channel with a receive and a send buffer: the host allocates them and a GPADL handle for each
     * before the offer, and both ends' links show them ({@link ChannelLink#buffers()}).
     */
    default Future<Void> offer(Offer offer, Buffers buffers, ChannelListener listener) {
        if (buffers.none()) {
            return offer(offer, listener);
        }
        return Future.failedFuture(new UnsupportedOperationException("this host transport shares no channel buffers"));
    }

    /**
     * Gives the guest {@code bytes} of guest memory (whole 4 KiB pages) for GPA-direct packets, before or after the
     * first offer; the host resolves every GPA range against what this returns. Once per transport.
     */
    default Future<SharedGuestMemory> guestMemory(long bytes) {
        return Future.failedFuture(new UnsupportedOperationException("this host transport has no guest memory"));
    }

    /** Offers a channel; the listener hears about every open and close of it. */
    Future<Void> offer(Offer offer, ChannelListener listener);

    /**
     * Says the host's start-up offers are all made (VMBus's {@code ALLOFFERS_DELIVERED}): a guest connected now,
     * and each one that connects later once it has been sent those offers, hears so. Call it on the transport's
     * context, after the offers' futures completed; offers made later are hot-adds. The default tells nobody:
     * {@code sim}'s guest starts after its host.
     */
    default void allOffered() {
    }

    /** Takes the channel away from the guest. */
    Future<Void> rescind(int relid);

    /** Whether a guest is attached now. */
    boolean guestConnected();

    /** Sets what runs when a guest attaches or detaches (true = attached). */
    default void guestHandler(Consumer<Boolean> handler) {
    }

    Future<Void> close();
}
