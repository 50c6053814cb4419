package dev.vmbus.net;

import java.io.IOException;
import java.util.concurrent.Executor;

/**
 * A {@link FramePort} that hands every call to another port: the base of a port that adds to one, such as the
 * guest's {@code tap} backend (a {@link TapPort} that also follows the NIC's link) or a test's port that records a
 * call on its way through. Threads and back-pressure are the wrapped port's.
 */
public abstract class ForwardingPort implements FramePort {
    protected final FramePort port;

    protected ForwardingPort(FramePort port) {
        this.port = java.util.Objects.requireNonNull(port, "port");
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
    public void whenFailed(java.util.function.Consumer<String> failed) {
        port.whenFailed(failed);
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
