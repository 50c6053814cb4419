package dev.vmbus.ic.timesync;

import java.util.ArrayDeque;

/**
 * Where the partition reference counter is now, learnt from the host's own stamps, for a guest that cannot read
 * the counter (see {@link ReferenceClock}).
 *
 * <h2>The estimate</h2>
 * Each v4 sample carries {@code vmreferencetime} V, the counter when the host took {@code parenttime}. The guest
 * receives it a delivery delay {@code d >= 0} later, when its own clock reads M (CLOCK_MONOTONIC_RAW in 100-ns
 * ticks). With E the unknown lead of the counter over that clock (partition creation to guest boot, plus
 * whatever suspends and restores added), the counter at receipt is {@code M + E = V + d}, so every sample gives
 * a lower bound of the lead: {@code V - M = E - d <= E}. The largest bound over a window, {@code Ê = E - d_min},
 * misses the lead by the smallest delivery delay in the window. The counter at receipt is then estimated as
 * {@code M + Ê}, and the host's time now as {@code parenttime + (M + Ê - V)}: this moves {@code parenttime}
 * forward by {@code d - d_min} instead of {@code d}.
 *
 * <h2>Error bound</h2>
 * The host time so extrapolated is <b>behind the true host time by exactly {@code d_min}</b>, the smallest
 * delivery delay (host's stamp to the agent's clock reading) among the samples in the window, whatever E is:
 * the epoch cancels, and the delay of the sample being used does not enter. Add {@code |r| * WINDOW} if the
 * guest's raw clock and the counter differ in rate by {@code r} (zero on {@code hyperv_clocksource_tsc_page},
 * whose cycles are the counter; both derive from one virtual TSC otherwise). With the in-process simulated
 * host (three thread hand-offs between stamp and reading) the smallest delay measured 0.4 to 0.9 ms on two
 * loaded cores, so chronyd sees the host's offset within 1 ms (ChronydRefclockTest); on a real guest it is the
 * host's send path plus the agent's wake-up, not measured yet.
 *
 * <h2>Jumps</h2>
 * The lead changes when the guest's clock and the counter part: a guest suspend stops the guest's clocks but
 * not the counter (the lead grows), a hibernation resumed in a new partition restarts the counter (it
 * shrinks); a host save/restore may do either. A sample whose bound is above the estimate raises it at once
 * (the window then holds only that sample). A sample more than {@link #JUMP_TICKS} below it is either very late
 * or the first after a step back: it is <b>held</b> (not usable) and the next sample decides. If that one
 * agrees with it within {@link #JUMP_TICKS}, the lead is re-learnt from the two; if it is in line with the old
 * estimate, the held one was merely late. The caller resets the estimate when the channel is negotiated again
 * (the host's timesync restarted, as after a restore). A step back smaller than {@link #JUMP_TICKS} is taken for
 * delay until the older samples leave the window: it costs at most that step for at most {@link #WINDOW_TICKS}.
 *
 * <p>Not thread-safe: one per timesync channel, used on that channel handler's context.
 */
public final class CounterEpoch {
    /** How long a sample's bound counts: 120 s, 24 samples at Hyper-V's 5 s cadence. */
    public static final long WINDOW_TICKS = 120L * 10_000_000L;
    /** A bound this far (100 ms) below the estimate is a suspected step back, not a delivery delay. */
    public static final long JUMP_TICKS = 100L * 10_000L;
    /** Bounds kept at most (a host flooding samples cannot grow the window). */
    static final int MAX_ENTRIES = 256;
    /** A counter above 2^62 ticks (14 600 years) is no counter; refusing it keeps the sums in range. */
    static final long MAX_COUNTER = 1L << 62;

    /** What one sample did to the estimate. */
    public enum Outcome {
        /** The first sample: it sets the estimate. */
        FIRST,
        /** In line with the estimate. */
        TRACKED,
        /** Above the estimate by more than {@link #JUMP_TICKS}: the counter stepped ahead of the guest's clock. */
        RAISED,
        /** Far below the estimate: late, or the first after a step back; not usable until the next sample. */
        HELD,
        /** Agreed with the held sample: the lead was re-learnt from the two. */
        RELEARNT,
        /** {@code vmreferencetime} is not a counter value (negative as a signed number, or above 2^62). */
        REFUSED
    }

    /**
     * @param outcome    what the sample did
     * @param counterNow the estimated counter at receipt (meaningless unless {@link #usable})
     * @param delayTicks how far the sample is moved forward: {@code counterNow - vmreferencetime}, at least 0
     */
    public record Observation(Outcome outcome, long counterNow, long delayTicks) {
        public boolean usable() {
            return outcome != Outcome.HELD && outcome != Outcome.REFUSED;
        }
    }

    /** One bound: the guest clock when it was seen and {@code V - M}. Leads strictly decrease head to tail. */
    private record Bound(long localTicks, long lead) {
    }

    private final ArrayDeque<Bound> window = new ArrayDeque<>();
    private Bound held;
    private long raised;
    private long heldCount;
    private long relearnt;
    private long refused;
    private long resets;
    private long lastDelay;

    /**
     * Takes one sample's {@code vmreferencetime}, received when the guest's clock read {@code localTicks}.
     */
    public Observation observe(long vmReferenceTime, long localTicks) {
        if (vmReferenceTime < 0 || vmReferenceTime > MAX_COUNTER || localTicks < 0 || localTicks > MAX_COUNTER) {
            refused++;
            return new Observation(Outcome.REFUSED, 0, 0);
        }
        long lead = vmReferenceTime - localTicks;
        expire(localTicks);
        Outcome outcome;
        if (window.isEmpty()) {
            outcome = Outcome.FIRST;
            held = null;
            add(new Bound(localTicks, lead));
        } else {
            long estimate = window.peekFirst().lead();
            if (lead < estimate - JUMP_TICKS) {
                if (held == null || Math.abs(lead - held.lead()) > JUMP_TICKS
                        || held.localTicks() < localTicks - WINDOW_TICKS) {
                    held = new Bound(localTicks, lead);
                    heldCount++;
                    return new Observation(Outcome.HELD, 0, 0);
                }
                window.clear();
                add(held);
                add(new Bound(localTicks, lead));
                held = null;
                relearnt++;
                outcome = Outcome.RELEARNT;
            } else {
                held = null; // whatever was held was only late
                outcome = lead > estimate + JUMP_TICKS ? Outcome.RAISED : Outcome.TRACKED;
                if (outcome == Outcome.RAISED) {
                    raised++;
                }
                add(new Bound(localTicks, lead));
            }
        }
        long counterNow = localTicks + window.peekFirst().lead();
        lastDelay = counterNow - vmReferenceTime;
        return new Observation(outcome, counterNow, lastDelay);
    }

    /** Forgets everything learnt (the channel was negotiated again: the host's timesync restarted). */
    public void reset() {
        if (!window.isEmpty() || held != null) {
            resets++;
        }
        window.clear();
        held = null;
    }

    /** Whether a sample has set the estimate. */
    public boolean known() {
        return !window.isEmpty();
    }

    /** The estimated lead of the counter over the guest's clock, in ticks; 0 before the first sample. */
    public long leadTicks() {
        return window.isEmpty() ? 0 : window.peekFirst().lead();
    }

    /** Bounds in the window (the ones that can still become the estimate). */
    public int boundsKept() {
        return window.size();
    }

    /** The forward move given to the last usable sample, in ticks. */
    public long lastDelayTicks() {
        return lastDelay;
    }

    public long raisedCount() {
        return raised;
    }

    public long heldCount() {
        return heldCount;
    }

    public long relearntCount() {
        return relearnt;
    }

    public long refusedCount() {
        return refused;
    }

    public long resetCount() {
        return resets;
    }

    private void add(Bound b) {
        while (!window.isEmpty() && window.peekLast().lead() <= b.lead()) {
            window.pollLast(); // can never be the largest again while b is in the window
        }
        window.addLast(b);
        if (window.size() > MAX_ENTRIES) {
            window.pollFirst();
        }
    }

    private void expire(long localTicks) {
        while (!window.isEmpty() && window.peekFirst().localTicks() < localTicks - WINDOW_TICKS) {
            window.pollFirst();
        }
    }
}
