package dev.vmbus.transport.uio;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The process's one thread that writes to {@code /dev/uioN}. {@code uio_write} can sleep: it takes the device's
 * {@code info_lock} mutex (every uio.c read for kernel review F14 holds it across {@code write}, {@code open} and
 * {@code release}; a conversion to a percpu_ref was seen only as a patch on the list), the same mutex
 * {@code hv_uio_open} and {@code hv_uio_release} hold across a host round trip in
 * {@code vmbus_connect_ring}/{@code vmbus_disconnect_ring},
 * and since d062463edf17 {@code hv_uio_irqcontrol} takes {@code vmbus_connection.channel_mutex}. So no event loop
 * writes; they queue a kick here, and one kick per device is pending at most (see {@link DeviceLine#requestKick}).
 *
 * <p>Order: requests run in the order they were queued; a descriptor is handed to the {@link InterruptThread} for
 * closing through this queue too ({@link #retire}), so a kick queued before it is written first and none after it
 * reaches the descriptor (or a later file that reused its number).
 *
 * <p>Made for concurrent use: {@link #kick} and {@link #retire} from any thread; the state of the lines it is
 * given is touched on this thread only, except their atomic {@code kickPending} flag.
 */
final class KickThread implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(KickThread.class.getName());
    private static final Runnable STOP = () -> { };

    private final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean stopped;

    KickThread(String name) {
        thread = Thread.ofPlatform().name(name).daemon(true).unstarted(this::loop);
        thread.start();
    }

    /** Queues one {@code write(1)} on {@code line}'s descriptor. */
    void kick(DeviceLine line) {
        submit(line::writeKickNow);
    }

    /** Queues the hand-back of {@code line}'s descriptor to {@code interrupts}, after every kick queued so far. */
    void retire(DeviceLine line, InterruptThread interrupts) {
        submit(() -> {
            line.handBack();
            interrupts.retire(line.fd);
        });
    }

    private void submit(Runnable task) {
        if (stopped) {
            task.run(); // closing: nothing else writes any more, and close() has joined the thread
            return;
        }
        queue.add(task);
    }

    private void loop() {
        while (true) {
            Runnable task;
            try {
                task = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (task == STOP) {
                return;
            }
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "uio: a kick failed", e);
            }
        }
    }

    /** Runs what is queued, then stops. */
    @Override
    public void close() {
        queue.add(STOP);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopped = true;
        Runnable task;
        while ((task = queue.poll()) != null) {
            if (task != STOP) {
                task.run();
            }
        }
    }
}
