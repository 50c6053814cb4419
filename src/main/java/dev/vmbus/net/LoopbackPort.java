package dev.vmbus.net;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.Executor;

/**
 * A {@link FramePort} whose outside is a wire looped back: every frame the NIC sends comes back in, through the
 * executor given to {@link #start}, in order. For the simulated host's {@code host.nic.backend = loopback}: a
 * guest's frame sent at its transmit side returns at its receive side, with no kernel, TAP or privilege involved.
 *
 * <p>The loop holds at most {@code capacity} frames (as a kernel queue would): a frame sent while it is full is
 * dropped and counted ({@link Stats#dropsOutsideFull()}); a frame longer than {@code maxFrameLength} is dropped and
 * counted ({@link Stats#dropsTooLong()}). While {@link #pause paused} nothing is delivered; frames wait in the
 * loop. Delivery runs in tasks of at most {@link #DELIVERY_BATCH} frames, so a full loop never holds the NIC's
 * context for long.
 *
 * <p>Threads: {@link #send}, {@link #pause} and {@link #resume} may be called from any thread (usually the NIC's
 * context); frames reach the NIC only on the executor. State is guarded by this object's monitor, held briefly
 * and never while calling the NIC.
 */
public final class LoopbackPort implements FramePort {
    /** Frames handed to the NIC per executor task. */
    public static final int DELIVERY_BATCH = 64;
    /** A loop's default capacity in frames (a TAP's default {@code txqueuelen} is 1000). */
    public static final int DEFAULT_CAPACITY = 1000;

    private final int capacity;
    private final int maxFrameLength;
    private final ArrayDeque<byte[]> loop = new ArrayDeque<>();
    private Executor deliver;
    private Receiver toNic;
    private boolean paused;
    private boolean closed;
    private boolean scheduled;
    private long framesIn;
    private long bytesIn;
    private long framesOut;
    private long bytesOut;
    private long dropsFull;
    private long dropsTooLong;

    /**
     * @param capacity       frames the loop holds before it drops (at least 1)
     * @param maxFrameLength the longest frame it carries, in bytes (at least 1)
     */
    public LoopbackPort(int capacity, int maxFrameLength) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a loopback port holds at least one frame, got capacity " + capacity);
        }
        if (maxFrameLength < 1) {
            throw new IllegalArgumentException("a loopback port's longest frame is at least 1 byte, got "
                    + maxFrameLength);
        }
        this.capacity = capacity;
        this.maxFrameLength = maxFrameLength;
    }

    /** As the interface's, without its {@code IOException}: this port opens nothing. */
    @Override
    public void start(Executor deliver, java.util.function.Consumer<byte[]> toNic) {
        // each frame this port hands over is an array of its own, exactly the frame: nothing to copy
        startBursts(deliver, (frame, length, more) -> toNic.accept(frame));
    }

    @Override
    public synchronized void startBursts(Executor deliver, Receiver toNic) {
        if (this.deliver != null) {
            throw new IllegalStateException("a loopback port is started once");
        }
        if (closed) {
            throw new IllegalStateException("the loopback port is closed");
        }
        this.deliver = deliver;
        this.toNic = toNic;
        schedule();
    }

    @Override
    public boolean send(byte[] frame, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, frame.length);
        byte[] copy = Arrays.copyOfRange(frame, offset, offset + length);
        synchronized (this) {
            if (closed) {
                return false;
            }
            if (length > maxFrameLength) {
                dropsTooLong++;
                return false;
            }
            if (loop.size() >= capacity) {
                dropsFull++;
                return false;
            }
            loop.add(copy);
            framesOut++;
            bytesOut += length;
            schedule();
            return true;
        }
    }

    /** Queues a delivery task if one is needed and none is queued; holds the monitor. */
    private void schedule() {
        if (!scheduled && !paused && !closed && deliver != null && !loop.isEmpty()) {
            scheduled = true;
            deliver.execute(this::deliverBatch);
        }
    }

    private void deliverBatch() {
        byte[][] batch;
        Receiver target;
        synchronized (this) {
            scheduled = false;
            if (paused || closed) {
                return;
            }
            int n = Math.min(DELIVERY_BATCH, loop.size());
            batch = new byte[n][];
            for (int i = 0; i < n; i++) {
                batch[i] = loop.poll();
                framesIn++;
                bytesIn += batch[i].length;
            }
            target = toNic;
        }
        for (int i = 0; i < batch.length; i++) {
            synchronized (this) {
                if (paused || closed) {
                    // the NIC paused us mid-batch: the rest go back to the head of the loop, in order
                    for (int j = batch.length - 1; j >= i; j--) {
                        loop.addFirst(batch[j]);
                        framesIn--;
                        bytesIn -= batch[j].length;
                    }
                    return;
                }
            }
            // the NIC may pause us mid-batch, so no frame promises another
            target.frame(batch[i], batch[i].length, false);
        }
        synchronized (this) {
            schedule();
        }
    }

    @Override
    public synchronized void pause() {
        paused = true;
    }

    @Override
    public synchronized void resume() {
        paused = false;
        schedule();
    }

    /** Frames waiting in the loop now. */
    public synchronized int queued() {
        return loop.size();
    }

    @Override
    public synchronized Stats stats() {
        return new Stats(framesIn, bytesIn, framesOut, bytesOut, dropsFull, dropsTooLong);
    }

    @Override
    public synchronized void close() {
        closed = true;
        loop.clear();
    }
}
