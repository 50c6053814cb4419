package dev.vmbus.spi;

import dev.vmbus.channel.HostComplaints;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;

/**
 * The one {@link HostComplaints} of an agent: every channel verticle, device handler and the dashboard of one
 * {@link Vertx} count into and read from the same instance, so a channel's complaints appear in its stats and in
 * {@code /metrics} whichever layer noticed them. Thread-safe (Vert.x local maps are).
 */
public final class Complaints {
    private static final String MAP = "vmbus.hostComplaints";

    private record Holder(HostComplaints complaints) implements Shareable {
    }

    private Complaints() {
    }

    /** The agent's instance, created on first use. */
    public static HostComplaints of(Vertx vertx) {
        LocalMap<String, Holder> map = vertx.sharedData().getLocalMap(MAP);
        Holder h = map.get(MAP);
        if (h == null) {
            Holder fresh = new Holder(new HostComplaints());
            h = map.putIfAbsent(MAP, fresh);
            if (h == null) {
                h = fresh;
            }
        }
        return h.complaints();
    }
}
