package dev.vmbus.net;

import java.io.IOException;
import java.nio.channels.SelectableChannel;

/**
 * An event loop that can watch a descriptor itself: a {@link FramePort} given one reads its outside (a TAP) on
 * the NIC's own thread when the kernel says a frame waits, instead of a reader thread of its own handing each
 * burst over (one wake-up per burst instead of two). The wiring layers make one from their Vert.x context.
 */
public interface Readiness {

    /**
     * Calls {@code ready} on the loop, in its context, whenever {@code channel} is ready for {@code ops} while
     * the watch is {@linkplain Watch#enabled enabled} (it starts enabled). Level-triggered: a handler that leaves
     * data unread is called again on the loop's next turn, so it may read a bounded burst and return.
     */
    Watch watch(SelectableChannel channel, int ops, Runnable ready) throws IOException;

    /** One watched channel. Both methods may be called from any thread. */
    interface Watch {
        /** Stops or restarts the calls (back-pressure: the kernel keeps what is not read). Idempotent. */
        void enabled(boolean on);

        /** Ends the watch for good: no call starts after this returns (one already running may finish). Idempotent. */
        void cancel();
    }
}
