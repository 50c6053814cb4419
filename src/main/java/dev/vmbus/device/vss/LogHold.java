package dev.vmbus.device.vss;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Keeps log records in memory while file systems are frozen: a log write to a frozen file system would block
 * the writing thread (an event loop, say) until the thaw, and could hold up the thaw itself. While held, the
 * root logger's handlers are replaced by one that queues records; on release the originals come back and get
 * every queued record in order. Covers every logger that reaches the root (the default); a logger with its own
 * handlers and {@code useParentHandlers=false} is not covered.
 */
final class LogHold {
    /** Records kept at most; beyond this they are counted and dropped (a freeze is meant to be short). */
    static final int LIMIT = 10_000;

    private final Logger root = Logger.getLogger("");
    private Handler[] originals;
    private Queue queue;

    /** Starts holding; idempotent. */
    synchronized void hold() {
        if (queue != null) {
            return;
        }
        queue = new Queue();
        originals = root.getHandlers();
        root.addHandler(queue); // first add, then remove: no record falls between the two
        for (Handler h : originals) {
            root.removeHandler(h);
        }
    }

    /** Whether records are being held. */
    synchronized boolean holding() {
        return queue != null;
    }

    /**
     * Puts the original handlers back and hands them the held records.
     *
     * @return how many records were held (including dropped ones)
     */
    synchronized int release() {
        if (queue == null) {
            return 0;
        }
        for (Handler h : originals) {
            root.addHandler(h);
        }
        root.removeHandler(queue);
        List<LogRecord> held = queue.drain();
        int dropped = queue.dropped();
        queue = null;
        for (LogRecord r : held) {
            for (Handler h : originals) {
                if (h.isLoggable(r)) {
                    h.publish(r);
                }
            }
        }
        if (dropped > 0) {
            Logger.getLogger(LogHold.class.getName()).warning(dropped + " log records were dropped while file systems were frozen");
        }
        for (Handler h : originals) {
            h.flush();
        }
        return held.size() + dropped;
    }

    /** The stand-in handler: records go to memory only. */
    private static final class Queue extends Handler {
        private final List<LogRecord> records = new ArrayList<>();
        private int dropped;

        @Override
        public synchronized void publish(LogRecord record) {
            if (records.size() < LIMIT) {
                record.getSourceClassName(); // resolve the caller now: later it would be the releasing thread
                records.add(record);
            } else {
                dropped++;
            }
        }

        synchronized List<LogRecord> drain() {
            List<LogRecord> out = List.copyOf(records);
            records.clear();
            return out;
        }

        synchronized int dropped() {
            return dropped;
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
