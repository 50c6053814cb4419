package dev.vmbus.transport;

import dev.vmbus.channel.Offer;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A guest transport's {@link OfferListener} for tests: offers, rescinds and disconnects land in queues the test
 * reads, waiting for the next with Awaitility, each wait bounded.
 */
public final class RecordedOffers implements OfferListener {
    /** How long {@link #next()} waits for an offer. */
    public static final long TIMEOUT_S = 10;
    /** Every offer, in the order the transport reported them. */
    public final Queue<Offer> offers = new ConcurrentLinkedQueue<>();
    /** Every rescinded relid, in order. */
    public final Queue<Integer> rescinds = new ConcurrentLinkedQueue<>();
    /** Every disconnect's reason, in order. */
    public final Queue<String> disconnects = new ConcurrentLinkedQueue<>();

    @Override
    public void offered(Offer offer) {
        offers.add(offer);
    }

    @Override
    public void rescinded(int relid) {
        rescinds.add(relid);
    }

    @Override
    public void disconnected(String reason) {
        disconnects.add(reason);
    }

    /** The next offer; fails if none comes within {@link #TIMEOUT_S} seconds. */
    public Offer next() {
        return await("an offer").atMost(TIMEOUT_S, TimeUnit.SECONDS).until(offers::poll, Objects::nonNull);
    }

    /** The next {@code count} offers, in order; fails if any does not come within {@link #TIMEOUT_S} seconds. */
    public List<Offer> next(int count) {
        List<Offer> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            all.add(await("offer " + (i + 1) + " of " + count).atMost(TIMEOUT_S, TimeUnit.SECONDS)
                    .until(offers::poll, Objects::nonNull));
        }
        return all;
    }
}
