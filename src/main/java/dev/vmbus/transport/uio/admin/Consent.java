package dev.vmbus.transport.uio.admin;

import java.util.Map;
import java.util.Set;

/**
 * What a bind may override of {@link BindPreflight}'s forceable refusals (a class that is not an integration service;
 * buffers above {@code transport.maxBufferPercent}): nothing, everything ({@code --force}), or exactly what an
 * operator's earlier {@code --force} accepted, as {@link ForcedBinds} recorded it ({@code bind --enabled} at boot).
 * What the kernel cannot do is never overridden. Immutable.
 *
 * @param all           {@code --force}: every forceable reason, and any buffer share
 * @param reasons       per device instance (its sysfs directory name), the forceable reason codes accepted
 * @param bufferPercent the share of {@code MemTotal} every bound device's buffers may reach; NaN: only the
 *                      configured {@code transport.maxBufferPercent}
 * @param source        where the acceptance comes from, for messages (a record file), or null
 */
public record Consent(boolean all, Map<String, Set<String>> reasons, double bufferPercent, String source) {
    /** Nothing is overridden: {@code vmbus bind CLASS}. */
    public static final Consent NONE = new Consent(false, Map.of(), Double.NaN, null);
    /** Every forceable reason is overridden: {@code vmbus bind CLASS --force}. */
    public static final Consent FORCE = new Consent(true, Map.of(), Double.NaN, null);

    public Consent {
        reasons = Map.copyOf(reasons);
    }

    public static Consent of(boolean force) {
        return force ? FORCE : NONE;
    }

    /** Whether {@code instance} may move although {@code code} ({@link dev.vmbus.transport.uio.ServePolicy.Reason}). */
    boolean accepts(String instance, String code) {
        return all || reasons.getOrDefault(instance, Set.of()).contains(code);
    }

    /** Whether every bound device's buffers may take {@code percent} of {@code MemTotal}. */
    boolean acceptsBuffers(double percent) {
        // the share is recomputed from the same integers at boot; the slack only absorbs printing and parsing
        return all || (!Double.isNaN(bufferPercent) && percent <= bufferPercent + 1e-9);
    }

    /** Whether this is an earlier {@code --force} replayed (rather than none, or {@code --force} now). */
    boolean recorded() {
        return !all && source != null;
    }
}
