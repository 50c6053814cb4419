package dev.vmbus.net;

import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Where a synthetic NIC's Ethernet frames go and come from, on either end of the channel: the guest's
 * {@code devices.netvsc.backend} and the simulated host's {@code host.nic.backend} ({@code tap}, {@code loopback},
 * {@code none}, and on the guest {@code eventbus}). One port serves one NIC queue set; it knows nothing of VMBus.
 *
 * <p>Threads: {@link #send} is called on the NIC's own context (an event loop) and must never block: a frame the
 * outside cannot take now is dropped and counted. Frames from the outside are handed to the NIC only on its context:
 * through the {@link Executor} given to {@link #start}, or on the event loop given as a {@link Readiness}, so the
 * NIC needs no locks.
 *
 * <p>Back-pressure: when the NIC has no room (no free send section, a full ring), it calls {@link #pause}; the port
 * stops reading until {@link #resume}, leaving frames in the kernel's queue, where they wait or are dropped by the
 * kernel as a real NIC's would be.
 */
public interface FramePort extends AutoCloseable {

    /**
     * Starts taking frames from the outside, each handed to {@code toNic} through {@code deliver} as the first
     * {@code length} bytes of an array that is the receiver's only for the call (a port may read its next frame
     * into the same array: a receiver that keeps a frame copies it), with {@code more} true when the port hands
     * over another frame in the same task right after it (a burst, as Linux's {@code xmit_more}). Called once
     * (this or {@link #start}).
     */
    void startBursts(Executor deliver, Receiver toNic) throws java.io.IOException;

    /**
     * As {@link #startBursts(Executor, Receiver)}, with the NIC's event loop to read on when the port can ({@link
     * Readiness}; null for none): frames are then handed to {@code toNic} on that loop, in place, with no task in
     * between. A port that cannot (the default) uses {@code deliver}.
     */
    default void startBursts(Executor deliver, Readiness loop, Receiver toNic) throws java.io.IOException {
        startBursts(deliver, toNic);
    }

    /**
     * As {@link #startBursts} for a receiver that takes frames one by one, ignoring bursts, each in a fresh array
     * of its own.
     */
    default void start(Executor deliver, Consumer<byte[]> toNic) throws java.io.IOException {
        startBursts(deliver, (frame, length, more) -> toNic.accept(java.util.Arrays.copyOf(frame, length)));
    }

    /**
     * Where a port hands frames. {@code more} is a hint that lets the NIC put a burst's frames in one message to
     * the host: true only when the port calls again in the same task, so the last frame of every task says false;
     * a receiver that holds a frame back on {@code more} therefore never holds it past the task. The frame is
     * {@code frame[0, length)}, valid only until this returns.
     */
    @FunctionalInterface
    interface Receiver {
        void frame(byte[] frame, int length, boolean more);
    }

    /**
     * One frame from the NIC to the outside: {@code length} bytes of {@code frame} from {@code offset}, copied or
     * written before this returns (the caller reuses the array). False if it was dropped (counted in
     * {@link #stats}).
     */
    boolean send(byte[] frame, int offset, int length);

    /**
     * Hands over, in place and on the NIC's event loop, what the outside holds right now, as if the loop had just
     * found the port readable; nothing for a port that does not read on the loop (the default), or while it is
     * paused or closed. Call it only on that loop. The NIC calls it after writing frames out within a drain pass:
     * a frame the outside answers at once (the kernel's echo reply or TCP ACK to a frame written to a TAP is queued
     * before the write returns) then leaves in the same pass, with the pass's completions, under one signal to the
     * peer instead of two wake-ups.
     */
    default void readNow() {
    }

    /** Stops taking frames from the outside until {@link #resume}. Idempotent. */
    void pause();

    /** Takes frames again after {@link #pause}. Idempotent. */
    void resume();

    /**
     * Has {@code failed} told, once, with the reason, if the port stops for good while open (a TAP deleted under
     * it): nothing is read or sent after that. Called on whichever thread finds it; at once if it already happened.
     * Nothing for a port that cannot fail so (the default).
     */
    default void whenFailed(Consumer<String> failed) {
    }

    /** Frames and bytes each way, and drops by reason, since start. */
    Stats stats();

    /** Stops taking frames, releases what it holds (a TAP's file descriptor, a reader thread). Idempotent. */
    @Override
    void close();

    /** A port's counters: a consistent snapshot, cheap to take. */
    record Stats(long framesIn, long bytesIn, long framesOut, long bytesOut, long dropsOutsideFull,
                 long dropsTooLong) {
    }
}
