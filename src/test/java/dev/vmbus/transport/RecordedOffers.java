package dev.vmbus.transport;

import dev.vmbus.channel.Offer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A guest transport's {@link OfferListener} for tests: offers, rescinds and disconnects land in queues the test
 * takes from, each wait bounded.
 */
public final class RecordedOffers implements OfferListener {
    /** How long {@link #next()} waits for an offer. */
    public static final long TIMEOUT_S = 10;
    /** Every offer, in the order the transport reported them. */
    public final LinkedBlockingQueue<Offer> offers = new LinkedBlockingQueue<>();
    /** Every rescinded relid, in order. */
    public final LinkedBlockingQueue<Integer> rescinds = new LinkedBlockingQueue<>();
    /** Every disconnect's reason, in order. */
    public final LinkedBlockingQueue<String> disconnects = new LinkedBlockingQueue<>();

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
    public Offer next() throws InterruptedException {
        Offer offer = offers.poll(TIMEOUT_S, TimeUnit.SECONDS);
        assertNotNull(offer, "no offer within " + TIMEOUT_S + " s");
        return offer;
    }

    /** The next {@code count} offers, in order; fails if any does not come within {@link #TIMEOUT_S} seconds. */
    public List<Offer> next(int count) throws InterruptedException {
        List<Offer> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Offer offer = offers.poll(TIMEOUT_S, TimeUnit.SECONDS);
            assertNotNull(offer, "only " + all.size() + " of " + count + " offers within " + TIMEOUT_S + " s each");
            all.add(offer);
        }
        return all;
    }
}
