package dev.vmbus.ic.timesync;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.vmbus.ic.timesync.CounterEpoch.Outcome.FIRST;
import static dev.vmbus.ic.timesync.CounterEpoch.Outcome.HELD;
import static dev.vmbus.ic.timesync.CounterEpoch.Outcome.RAISED;
import static dev.vmbus.ic.timesync.CounterEpoch.Outcome.REFUSED;
import static dev.vmbus.ic.timesync.CounterEpoch.Outcome.RELEARNT;
import static dev.vmbus.ic.timesync.CounterEpoch.Outcome.TRACKED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The counter estimate against a modelled partition: a true lead of the counter over the guest's clock, samples
 * every 5 s, each delivered some delay after the host stamped it. The claim checked: the estimated counter at
 * receipt is behind the true one by exactly the smallest delay in the window, whatever the lead.
 */
class CounterEpochTest {
    private static final long MS = 10_000; // ticks
    private static final long SECOND = 1000 * MS;
    private static final long CADENCE = 5 * SECOND;

    /** The modelled partition: guest clock {@code local}, counter {@code local + lead}. */
    private CounterEpoch epoch = new CounterEpoch();
    private long local = 123 * SECOND;
    private long lead;

    /** One sample stamped {@code delay} before the guest reads its clock; returns what the estimate made of it. */
    private CounterEpoch.Observation deliver(long delay) {
        local += CADENCE;
        long trueCounterNow = local + lead;
        return epoch.observe(trueCounterNow - delay, local);
    }

    /** How far behind the true counter the estimate put this sample. */
    private long behind(CounterEpoch.Observation o) {
        return local + lead - o.counterNow();
    }

    @Property(tries = 200)
    void theEstimateMissesTheCounterByTheSmallestDelayInTheWindowWhateverTheLead(
            @ForAll @LongRange(min = -3_600_000, max = 10L * 366 * 86_400_000) long leadMs,
            @ForAll @LongRange(min = 0, max = 5_000) long minDelayMicros, @ForAll long seed) {
        epoch = new CounterEpoch(); // jqwik may run every try on one instance
        lead = leadMs * MS;
        local = 3600 * SECOND; // an hour after boot: a counter behind our clock is still positive
        Random random = new Random(seed);
        long smallest = Long.MAX_VALUE;
        for (int i = 0; i < 20; i++) { // 100 s of samples: all within the window
            long delay = minDelayMicros * 10 + (long) (random.nextDouble() * 50 * MS); // up to 50 ms of jitter
            smallest = Math.min(smallest, delay);
            CounterEpoch.Observation o = deliver(delay);
            assertTrue(o.usable(), o.toString());
            assertEquals(smallest, behind(o), "sample " + i + ": " + o);
            assertEquals(delay - smallest, o.delayTicks(), "moved forward by its delay beyond the smallest");
        }
    }

    @Test
    void aLeadMoreThanLinuxsStalenessLimitIsLearntFromTheFirstSample() {
        lead = 5 * 3600 * SECOND;
        CounterEpoch.Observation first = deliver(3 * MS);
        assertEquals(FIRST, first.outcome());
        assertEquals(3 * MS, behind(first), "the first sample's own delay is all it misses by");
        assertEquals(0, first.delayTicks());
        assertEquals(TRACKED, deliver(MS / 10).outcome());
        assertEquals(MS / 10, behind(deliver(2 * MS)), "a faster sample tightens the estimate");
        assertEquals(lead - MS / 10, epoch.leadTicks());
    }

    @Test
    void aGuestSuspendRaisesTheLeadAtTheNextSample() {
        lead = 17 * SECOND;
        deliver(MS / 10);
        deliver(MS / 5);
        lead += 45 * 60 * SECOND; // the guest's clocks stopped for 45 min; the counter did not
        CounterEpoch.Observation o = deliver(MS / 5);
        assertEquals(RAISED, o.outcome());
        assertEquals(MS / 5, behind(o), "right at once, within its own delay");
        assertEquals(1, epoch.boundsKept(), "the bounds from before the suspend can never win again");
        assertEquals(1, epoch.raisedCount());
    }

    @Test
    void aStepBackIsHeldOnceThenRelearntFromTwoSamplesThatAgree() {
        lead = 45 * 60 * SECOND;
        deliver(MS / 10);
        deliver(MS / 10);
        lead = 7 * SECOND; // resumed from hibernation in a new partition: the counter started again
        CounterEpoch.Observation first = deliver(MS / 5);
        assertEquals(HELD, first.outcome());
        assertFalse(first.usable());
        CounterEpoch.Observation second = deliver(MS / 2);
        assertEquals(RELEARNT, second.outcome());
        assertEquals(MS / 5, behind(second), "the smaller of the two delays");
        assertEquals(TRACKED, deliver(MS / 10).outcome());
        assertEquals(1, epoch.heldCount());
        assertEquals(1, epoch.relearntCount());
        assertEquals(lead - MS / 10, epoch.leadTicks());
    }

    @Test
    void aLateSampleIsHeldAndTheNextInLineSampleClearsIt() {
        lead = 17 * SECOND;
        deliver(MS / 10);
        assertEquals(HELD, deliver(2 * SECOND).outcome(), "2 s late: indistinguishable from a step back on its own");
        CounterEpoch.Observation next = deliver(MS / 5);
        assertEquals(TRACKED, next.outcome());
        assertEquals(MS / 10, behind(next), "the late one taught the estimate nothing");
        assertEquals(HELD, deliver(3 * SECOND).outcome());
        assertEquals(HELD, deliver(SECOND).outcome(), "two late samples 2 s apart do not agree on a new lead");
        assertEquals(0, epoch.relearntCount());
    }

    @Test
    void aStepBackSmallerThanTheJumpThresholdCostsAtMostItselfForOneWindow() {
        lead = 17 * SECOND;
        deliver(MS / 10);
        lead -= 50 * MS;
        long worst = 0;
        for (long t = 0; t < CounterEpoch.WINDOW_TICKS; t += CADENCE) {
            CounterEpoch.Observation o = deliver(MS / 10);
            assertEquals(TRACKED, o.outcome());
            worst = Math.max(worst, -behind(o));
        }
        assertEquals(50 * MS - MS / 10, worst, "ahead of the true counter by the step, less the smallest delay");
        CounterEpoch.Observation after = deliver(MS / 10);
        assertEquals(MS / 10, behind(after), "once the window has passed, the step is learnt");
    }

    @Test
    void counterValuesThatAreNoCounterAreRefused() {
        assertEquals(REFUSED, epoch.observe(-1L, 10).outcome(), "0xFFFF_FFFF_FFFF_FFFF from a hostile host");
        assertEquals(REFUSED, epoch.observe(CounterEpoch.MAX_COUNTER + 1, 10).outcome());
        assertEquals(2, epoch.refusedCount());
        assertFalse(epoch.known());
        assertEquals(FIRST, epoch.observe(CounterEpoch.MAX_COUNTER, 10).outcome(), "the largest accepted value");
    }

    @Test
    void resetForgetsTheLeadAndTheHeldSample() {
        lead = 5 * 3600 * SECOND;
        deliver(MS);
        lead = 3 * SECOND;
        assertEquals(HELD, deliver(MS).outcome());
        epoch.reset();
        assertFalse(epoch.known());
        CounterEpoch.Observation o = deliver(MS);
        assertEquals(FIRST, o.outcome(), "after a renegotiation the first sample is used at once");
        assertEquals(MS, behind(o));
        assertEquals(1, epoch.resetCount());
    }

    @Test
    void aHostFloodingStrictlyFallingStampsCannotGrowTheWindow() {
        lead = 17 * SECOND;
        for (int i = 0; i < 10_000; i++) {
            local += 1;
            epoch.observe(local + lead - i, local); // each a tick later than the one before: all kept
        }
        assertEquals(CounterEpoch.MAX_ENTRIES, epoch.boundsKept());
    }
}
