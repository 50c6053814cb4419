package dev.vmbus.channel;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Everything the host got wrong, counted per channel and kind, and logged at a bounded rate: the first
 * {@link #DEFAULT_BURST} messages of one kind on one channel within a {@link #DEFAULT_WINDOW_MS} window are logged
 * in full, the rest only counted, and the first complaint of a later window opens with one summary line naming how
 * many were suppressed. A host that sends a million malformed messages therefore costs a counter, not the disk,
 * and every other message stays readable.
 *
 * <p>Counts survive a channel's close (a re-offer with the same relid keeps counting), so that a host that
 * reconnects to start over cannot reset them.
 *
 * <p>Made for concurrent use: channels report from their own event loops and workers, the dashboard reads from
 * its own; each (channel, kind) entry is guarded by its own monitor, held only to count and decide.
 */
public final class HostComplaints {
    /** Messages of one kind on one channel logged in full per window. */
    public static final int DEFAULT_BURST = 5;
    /** The rate-limit window. */
    public static final long DEFAULT_WINDOW_MS = 60_000;
    /**
     * The "channel" of complaints about the transport itself (a control message from the host that does not parse
     * or refers to nothing) rather than about one channel: relids are positive, so 0 is never a channel's.
     */
    public static final int TRANSPORT = 0;

    /** What the host did wrong; the label is the Prometheus {@code reason} label, so the set stays small. */
    public enum Kind {
        /** A negotiation offering no version the guest supports. */
        NO_COMMON_VERSION("no_common_version"),
        /** An IC message too short for its header or its operation. */
        SHORT_MESSAGE("short_message"),
        /** An IC message whose fields are out of range, or of an unknown operation or type. */
        MALFORMED_MESSAGE("malformed_message"),
        /** A request the guest refuses (bad flags, unknown pool, a path outside the allowed roots). */
        REFUSED_REQUEST("refused_request"),
        /** A malformed ring packet, index or completion: the channel faulted. */
        CHANNEL_FAULT("channel_fault"),
        /** A transport control message that does not parse or refers to nothing. */
        BAD_CONTROL_MESSAGE("bad_control_message");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private record Key(int relid, Kind kind) {
    }

    private static final class Entry {
        long total;
        long windowStart;
        int loggedInWindow;
        long suppressedInWindow;
        long suppressedTotal;
    }

    private final Logger log;
    private final int burst;
    private final long windowMs;
    private final LongSupplier clockMs;
    private final Map<Key, Entry> entries = new ConcurrentHashMap<>();

    public HostComplaints() {
        this(Logger.getLogger(HostComplaints.class.getName()), DEFAULT_BURST, DEFAULT_WINDOW_MS,
                System::currentTimeMillis);
    }

    /** For tests: a chosen logger, burst, window and clock. */
    public HostComplaints(Logger log, int burst, long windowMs, LongSupplier clockMs) {
        if (burst < 1 || windowMs < 1) {
            throw new IllegalArgumentException("burst and windowMs must be >= 1, got " + burst + " and " + windowMs);
        }
        this.log = log;
        this.burst = burst;
        this.windowMs = windowMs;
        this.clockMs = clockMs;
    }

    /**
     * Counts one complaint about {@code relid} and logs it at WARNING unless this (channel, kind) is over its
     * burst; the message is only built when it is logged.
     */
    public void report(int relid, Kind kind, Supplier<String> message) {
        Entry e = entries.computeIfAbsent(new Key(relid, kind), k -> new Entry());
        long now = clockMs.getAsLong();
        long suppressed = -1;
        boolean logIt;
        boolean lastInBurst;
        synchronized (e) {
            e.total++;
            if (e.total == 1 || now - e.windowStart >= windowMs) {
                suppressed = e.suppressedInWindow;
                e.windowStart = now;
                e.loggedInWindow = 0;
                e.suppressedInWindow = 0;
            }
            logIt = e.loggedInWindow < burst;
            if (logIt) {
                e.loggedInWindow++;
            } else {
                e.suppressedInWindow++;
                e.suppressedTotal++;
            }
            lastInBurst = logIt && e.loggedInWindow == burst;
        }
        if (suppressed > 0) {
            log.warning("channel " + relid + ": " + suppressed + " more '" + kind.label()
                    + "' complaints about the host were not logged in the last window of " + windowMs + " ms");
        }
        if (logIt && log.isLoggable(Level.WARNING)) {
            String text = message.get();
            log.warning("channel " + relid + ": " + text
                    + (lastInBurst ? " (further '" + kind.label() + "' messages on this channel are"
                    + " counted, and summarised once a minute)" : ""));
        }
    }

    /** How many complaints of {@code kind} about {@code relid} there were. */
    public long count(int relid, Kind kind) {
        Entry e = entries.get(new Key(relid, kind));
        if (e == null) {
            return 0;
        }
        synchronized (e) {
            return e.total;
        }
    }

    /** Every kind with a non-zero count for {@code relid}. */
    public Map<Kind, Long> counts(int relid) {
        Map<Kind, Long> out = new EnumMap<>(Kind.class);
        for (Kind kind : Kind.values()) {
            long n = count(relid, kind);
            if (n > 0) {
                out.put(kind, n);
            }
        }
        return out;
    }

    /**
     * What the host got wrong on one channel, at one moment: the count of every kind (zeros included, so that a
     * counter exists before its first increment) and the log lines left out by the rate limit. Immutable.
     */
    public record Tally(Map<Kind, Long> counts, long logLinesSuppressed) {
        public Tally {
            EnumMap<Kind, Long> copy = new EnumMap<>(Kind.class);
            copy.putAll(counts);
            counts = java.util.Collections.unmodifiableMap(copy);
        }

        /** The count of {@code kind}, 0 if absent. */
        public long count(Kind kind) {
            return counts.getOrDefault(kind, 0L);
        }
    }

    /** The {@link Tally} of {@code relid} now. */
    public Tally tally(int relid) {
        Map<Kind, Long> byKind = new EnumMap<>(Kind.class);
        for (Kind kind : Kind.values()) {
            byKind.put(kind, count(relid, kind));
        }
        return new Tally(byKind, suppressed(relid));
    }

    /** How many log lines about {@code relid} were suppressed so far, over all kinds. */
    public long suppressed(int relid) {
        long n = 0;
        for (Map.Entry<Key, Entry> en : entries.entrySet()) {
            if (en.getKey().relid() == relid) {
                synchronized (en.getValue()) {
                    n += en.getValue().suppressedTotal;
                }
            }
        }
        return n;
    }
}
