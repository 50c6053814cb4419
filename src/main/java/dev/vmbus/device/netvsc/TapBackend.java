package dev.vmbus.device.netvsc;

import dev.vmbus.net.ForwardingPort;
import dev.vmbus.net.TapPort;
import dev.vmbus.os.Tap;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.util.logging.Logger;

/**
 * The {@code tap} backend: a {@link TapPort} on TAP {@code devices.netvsc.tap} (created if missing, in the agent's
 * network namespace), given the NIC's MAC address and MTU and brought up while the NIC's link is up, down while
 * it is down, so the synthetic NIC is an ordinary interface on this machine.
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
            tap.up(link);
            return new TapBackend(vertx, port);
        } catch (IOException | RuntimeException e) {
            port.close();
            throw e;
        }
    }

    @Override
    public void link(boolean up) {
        vertx.executeBlocking(() -> {
            tap.up(up);
            return null;
        }).onFailure(e -> LOG.warning("TAP " + tap.name() + ": could not set the link " + (up ? "up" : "down")
                + ": " + e.getMessage()));
    }
}
