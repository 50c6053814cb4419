package dev.vmbus.host;

import dev.vmbus.channel.Offer;
import dev.vmbus.transport.HostTransport;
import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * The simulated host's side of subchannels: when a device's protocol asks for them (NVSP's subchannel request,
 * spec netvsc-and-buffers.md section 3.8), the host offers {@code granted} subchannels of the primary: same class
 * and instance GUID, indices 1..granted, their own rings of the primary's size, and the primary's buffers (one
 * GPADL pair per device, which the host transports attach themselves). The guest opens each and hands it to the
 * primary's device.
 *
 * <p>Stateless; call on the host transport's context.
 */
public final class Subchannels {
    private Subchannels() {
    }

    /**
     * Offers subchannels 1..{@code granted} of {@code primary} with relids from {@code relids}; completes with
     * their offers once all are offered, or fails with the first refusal.
     */
    public static Future<List<Offer>> offer(HostTransport transport, Offer primary, int granted, IntSupplier relids,
                                            HostTransport.ChannelListener listener) {
        if (primary.subchannel() != 0) {
            return Future.failedFuture(new IllegalArgumentException("relid " + primary.relid()
                    + " is itself subchannel " + primary.subchannel() + ", not a primary"));
        }
        if (granted < 0 || granted > 0xFFFF) {
            return Future.failedFuture(new IllegalArgumentException("cannot grant " + granted + " subchannels"));
        }
        List<Offer> offers = new ArrayList<>(granted);
        List<Future<Void>> offered = new ArrayList<>(granted);
        for (int index = 1; index <= granted; index++) {
            Offer sub = new Offer(relids.getAsInt(), primary.classId(), primary.instanceId(), index, primary.ringSize());
            offers.add(sub);
            offered.add(transport.offer(sub, listener));
        }
        return Future.all(offered).map(x -> List.copyOf(offers));
    }
}
