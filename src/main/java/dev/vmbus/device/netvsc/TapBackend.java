package dev.vmbus.device.netvsc;

import dev.vmbus.net.ForwardingPort;
import dev.vmbus.net.Readiness;
import dev.vmbus.net.TapPort;
import dev.vmbus.os.LinkWatch;
import dev.vmbus.os.SelectableFd;
import dev.vmbus.os.Tap;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.util.function.IntConsumer;
import java.util.logging.Logger;

/**
 * The {@code tap} backend: a {@link TapPort} on TAP {@code devices.netvsc.tap} (created if missing, in the agent's
 * network namespace), given the NIC's MAC address and MTU, brought up, and given a carrier while the NIC's link is
 * up, none while it is down ({@code NO-CARRIER}), so the synthetic NIC is an ordinary interface on this machine and
 * a link change keeps the addresses an administrator gave it, as with Linux's own netvsc. On a kernel without
 * {@code TUNSETCARRIER} (before 4.20) the link takes the interface up and down instead, said once in the log.
 *
 * <p>The NIC's packet filter follows the TAP's receive mode ({@link Nic.FilterAware}): promiscuous while anything
 * holds the TAP so (a bridge it was put in, {@code ip link set promisc on}), none while an administrator holds it
 * down ({@code ip link set down}, as Linux's netvsc closes its filter), read from rtnetlink ({@link LinkWatch})
 * on the NIC's loop when the kernel announces a change, so nothing runs while nothing changes.
 *
 * <p>Threads: {@link #open} blocks (open, ioctls): call it on a worker. The link follows on a worker too.
 */
final class TapBackend extends ForwardingPort implements Nic.LinkAware, Nic.FilterAware {
    private static final Logger LOG = Logger.getLogger(TapBackend.class.getName());

    private final Vertx vertx;
    private final Tap tap;
    /** The TAP's receive mode as rtnetlink tells it; null if this process could not open one (said in the log). */
    private final LinkWatch links;
    /** The loop's watch of {@link #links}, once {@link #watchFilter} started it. */
    private SelectableFd selectable;
    private Readiness.Watch watch;

    private TapBackend(Vertx vertx, TapPort port, LinkWatch links) {
        super(port);
        this.vertx = vertx;
        this.tap = port.tap();
        this.links = links;
    }

    /** A watch of the TAP's receive mode, or null (logged): the packet filter then stays as bring-up set it. */
    private static LinkWatch links(Tap tap) {
        try {
            return LinkWatch.open(tap.index());
        } catch (IOException | RuntimeException e) {
            LOG.warning("TAP " + tap.name() + ": its promiscuous state cannot be watched (" + e.getMessage()
                    + "): the NIC's packet filter does not follow it");
            return null;
        }
    }

    static TapBackend open(Vertx vertx, String name, byte[] mac, int mtu, boolean link) throws IOException {
        TapPort port = TapPort.open(name, TapPort.largestFrame(mtu));
        TapBackend backend = null;
        try {
            Tap tap = port.tap();
            tap.mac(mac);
            tap.mtu(mtu);
            backend = new TapBackend(vertx, port, links(tap));
            backend.start(link);
            return backend;
        } catch (IOException | RuntimeException e) {
            if (backend != null) {
                backend.close(); // its rtnetlink socket too, not the port alone
            } else {
                port.close();
            }
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

    @Override
    public synchronized void watchFilter(Readiness loop, IntConsumer changed) throws IOException {
        if (links == null || watch != null) {
            return;
        }
        selectable = SelectableFd.of(links.fd());
        watch = loop.watch(selectable.channel(), selectable.readyOps(), () -> readLinks(changed));
    }

    /** On the loop: what rtnetlink says of the TAP, as the packet filter Linux's netvsc would set for it. */
    private void readLinks(IntConsumer changed) {
        LinkWatch.Link link;
        try {
            link = links.read();
        } catch (IOException | RuntimeException e) {
            LOG.warning("TAP " + tap.name() + ": its promiscuous state is no longer watched: " + e.getMessage());
            stopWatching();
            return;
        }
        if (link != null) {
            // the TAP's multicast list is not in its link messages: taken as not empty, as it is on any interface
            // with IPv6 (ff02::1), so ALL_MULTICAST stays whatever the all-multicast count
            changed.accept(NicBringUp.linuxFilter(link.up(), link.promiscuous(), link.allMulticast(), link.broadcast(),
                    true));
        }
    }

    private synchronized void stopWatching() {
        if (watch != null) {
            watch.cancel();
        }
        if (selectable != null) {
            selectable.close();
        }
    }

    @Override
    public void close() {
        stopWatching();
        if (links != null) {
            links.close();
        }
        super.close();
    }
}
