package dev.vmbus.device.netvsc;

import dev.vmbus.net.ForwardingPort;
import dev.vmbus.net.TapPort;
import dev.vmbus.os.Tap;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.util.logging.Logger;

/**
 * The {@code tap} backend: a {@link TapPort} on TAP {@code devices.netvsc.tap} (created if missing, in the agent's
 * network namespace), given the NIC's MAC address and MTU, brought up, and given a carrier while the NIC's link is
 * up, none while it is down ({@code NO-CARRIER}), so the synthetic NIC is an ordinary interface on this machine and
 * a link change keeps the addresses an administrator gave it, as with Linux's own netvsc. On a kernel without
 * {@code TUNSETCARRIER} (before 4.20) the link takes the interface up and down instead, said once in the log.
 *
 * <p>Threads: {@link #open} blocks (open, ioctls): call it on a worker. The link follows on a worker too.
 */
final class TapBackend extends ForwardingPort implements Nic.LinkAware {
    private static final Logger LOG = Logger.getLogger(TapBackend.class.getName());

    private final Vertx vertx;
    private final Tap tap;

    private TapBackend(Vertx vertx, TapPort port) {
        super(port);
        this.vertx = vertx;
        this.tap = port.tap();
    }

    static TapBackend open(Vertx vertx, String name, byte[] mac, int mtu, boolean link) throws IOException {
        TapPort port = TapPort.open(name, mtu + TapPort.ETHERNET_HEADER);
        try {
            Tap tap = port.tap();
            tap.mac(mac);
            tap.mtu(mtu);
            TapBackend backend = new TapBackend(vertx, port);
            backend.start(link);
            return backend;
        } catch (IOException | RuntimeException e) {
            port.close();
            throw e;
        }
    }

    /** Whether this kernel took {@code TUNSETCARRIER}; without it the link is the interface's up/down state. */
    private volatile boolean carrier = true;

    /**
     * At open: the link as the carrier, then the interface up (once: later changes touch only the carrier, so an
     * administrator's "down" stays). Without {@code TUNSETCARRIER}, the interface up or down with the link.
     */
    private void start(boolean up) throws IOException {
        if (tap.carrier(up)) {
            tap.up(true);
            return;
        }
        carrier = false;
        LOG.warning("TAP " + tap.name() + ": this kernel sets no TAP's carrier (TUNSETCARRIER, Linux 4.20+): the link"
                + " takes the interface up and down instead, and down removes its IPv6 addresses");
        tap.up(up);
    }

    @Override
    public void link(boolean up) {
        vertx.executeBlocking(() -> {
            if (!carrier || !tap.carrier(up)) {
                tap.up(up);
            }
            return null;
        }).onFailure(e -> LOG.warning("TAP " + tap.name() + ": could not set the link " + (up ? "up" : "down")
                + ": " + e.getMessage()));
    }
}
