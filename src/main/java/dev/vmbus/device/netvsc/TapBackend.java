package dev.vmbus.device.netvsc;

import dev.vmbus.net.FramePort;
import dev.vmbus.net.Readiness;
import dev.vmbus.net.TapPort;
import dev.vmbus.os.Tap;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.logging.Logger;

/**
 * The {@code tap} backend: a {@link TapPort} on TAP {@code devices.netvsc.tap} (created if missing, in the agent's
 * network namespace), given the NIC's MAC address and MTU and brought up while the NIC's link is up, down while
 * it is down, so the synthetic NIC is an ordinary interface on this machine.
 *
 * <p>Threads: {@link #open} blocks (open, ioctls): call it on a worker. The link follows on a worker too.
 */
final class TapBackend implements FramePort, Nic.LinkAware {
    private static final Logger LOG = Logger.getLogger(TapBackend.class.getName());

    private final Vertx vertx;
    private final TapPort port;

    private TapBackend(Vertx vertx, TapPort port) {
        this.vertx = vertx;
        this.port = port;
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
            port.tap().up(up);
            return null;
        }).onFailure(e -> LOG.warning("TAP " + port.tap().name() + ": could not set the link " + (up ? "up" : "down")
                + ": " + e.getMessage()));
    }

    @Override
    public void startBursts(Executor deliver, Receiver toNic) throws IOException {
        port.startBursts(deliver, toNic);
    }

    @Override
    public void startBursts(Executor deliver, Readiness loop, Receiver toNic) throws IOException {
        port.startBursts(deliver, loop, toNic);
    }

    @Override
    public boolean send(byte[] frame, int offset, int length) {
        return port.send(frame, offset, length);
    }

    @Override
    public void readNow() {
        port.readNow();
    }

    @Override
    public void pause() {
        port.pause();
    }

    @Override
    public void resume() {
        port.resume();
    }

    @Override
    public Stats stats() {
        return port.stats();
    }

    @Override
    public void close() {
        port.close();
    }
}
