package dev.vmbus.runtime;

/**
 * A count per {@code long} key without boxing ({@link IdSlots}, one entry per key). What {@link Outbox} uses to
 * track the transaction ids it sent asking for a completion, which it touches twice per packet (sent, completed).
 *
 * <p>Not thread-safe: one owner (the channel's context).
 */
final class LongCounts extends IdSlots {

    /** {@code key}'s count, 0 if absent. */
    int get(long key) {
        int mask = ids.length - 1;
        for (int i = slot(key, mask); values[i] != 0; i = (i + 1) & mask) {
            if (ids[i] == key) {
                return values[i];
            }
        }
        return 0;
    }

    /** Adds one to {@code key}'s count. */
    void increment(long key) {
        int mask = ids.length - 1;
        int i = slot(key, mask);
        for (; values[i] != 0; i = (i + 1) & mask) {
            if (ids[i] == key) {
                values[i]++;
                return;
            }
        }
        put(i, key, null, 1);
    }

    /** Takes one from {@code key}'s count, removing it at zero; false (nothing changed) if it is absent. */
    boolean decrement(long key) {
        int mask = ids.length - 1;
        for (int i = slot(key, mask); values[i] != 0; i = (i + 1) & mask) {
            if (ids[i] == key) {
                if (--values[i] == 0) {
                    removeAt(i);
                }
                return true;
            }
        }
        return false;
    }
}
