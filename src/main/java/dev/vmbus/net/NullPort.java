package dev.vmbus.net;

import java.util.concurrent.Executor;

/**
 * A {@link FramePort} with nothing outside: frames the NIC sends are taken and discarded (counted as sent, as a
 * cable to nowhere takes them), and nothing ever comes in. For {@code host.nic.backend = none}: a NIC that
 * negotiates, answers control messages and completes every send, carrying no traffic anywhere.
 *
 * <p>Threads: any; counters are guarded by this object's monitor.
 */
public final class NullPort implements FramePort {
    private boolean started;
    private boolean closed;
    private long framesOut;
    private long bytesOut;

    /** As the interface's, without its {@code IOException}: this port opens nothing. */
    @Override
    public void start(Executor deliver, java.util.function.Consumer<byte[]> toNic) {
        startBursts(deliver, (frame, length, more) -> toNic.accept(java.util.Arrays.copyOf(frame, length)));
    }

    @Override
    public synchronized void startBursts(Executor deliver, Receiver toNic) {
        if (started) {
            throw new IllegalStateException("a null port is started once");
        }
        if (closed) {
            throw new IllegalStateException("the null port is closed");
        }
        started = true;
    }

    /** Takes the frame and discards it; false only once closed. */
    @Override
    public synchronized boolean send(byte[] frame, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, frame.length);
        if (closed) {
            return false;
        }
        framesOut++;
        bytesOut += length;
        return true;
    }

    @Override
    public void pause() {
        // nothing ever comes in
    }

    @Override
    public void resume() {
        // nothing ever comes in
    }

    @Override
    public synchronized Stats stats() {
        return new Stats(0, 0, framesOut, bytesOut, 0, 0);
    }

    @Override
    public synchronized void close() {
        closed = true;
    }
}
