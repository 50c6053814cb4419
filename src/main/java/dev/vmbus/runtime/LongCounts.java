package dev.vmbus.runtime;

/**
 * A count per {@code long} key without boxing: an open-addressed table with linear probing, deletion by backward
 * shift (no tombstones), grown to keep it at most half full. What {@link Outbox} uses to track the transaction ids
 * it sent asking for a completion, which it touches twice per packet (sent, completed).
 *
 * <p>Not thread-safe: one owner (the channel's context).
 */
final class LongCounts {
    private long[] keys;
    private int[] counts; // 0: the slot is empty
    private int size;

    LongCounts() {
        keys = new long[16];
        counts = new int[16];
    }

    /** Keys with a count above zero. */
    int size() {
        return size;
    }

    /** {@code key}'s count, 0 if absent. */
    int get(long key) {
        int mask = keys.length - 1;
        for (int i = slot(key, mask); counts[i] != 0; i = (i + 1) & mask) {
            if (keys[i] == key) {
                return counts[i];
            }
        }
        return 0;
    }

    /** Adds one to {@code key}'s count. */
    void increment(long key) {
        int mask = keys.length - 1;
        int i = slot(key, mask);
        for (; counts[i] != 0; i = (i + 1) & mask) {
            if (keys[i] == key) {
                counts[i]++;
                return;
            }
        }
        keys[i] = key;
        counts[i] = 1;
        if (++size * 2 > keys.length) {
            grow();
        }
    }

    /** Takes one from {@code key}'s count, removing it at zero; false (nothing changed) if it is absent. */
    boolean decrement(long key) {
        int mask = keys.length - 1;
        for (int i = slot(key, mask); counts[i] != 0; i = (i + 1) & mask) {
            if (keys[i] == key) {
                if (--counts[i] == 0) {
                    size--;
                    shiftBack(i, mask);
                }
                return true;
            }
        }
        return false;
    }

    /** Slot {@code hole} was emptied: move later entries of its probe run back so every key stays reachable. */
    private void shiftBack(int hole, int mask) {
        for (int i = (hole + 1) & mask; counts[i] != 0; i = (i + 1) & mask) {
            int home = slot(keys[i], mask);
            // The entry at i may fill the hole if its home is not in (hole, i] (cyclically).
            if (((i - home) & mask) >= ((i - hole) & mask)) {
                keys[hole] = keys[i];
                counts[hole] = counts[i];
                counts[i] = 0;
                hole = i;
            }
        }
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldCounts = counts;
        keys = new long[oldKeys.length * 2];
        counts = new int[oldKeys.length * 2];
        int mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldCounts[j] != 0) {
                int i = slot(oldKeys[j], mask);
                while (counts[i] != 0) {
                    i = (i + 1) & mask;
                }
                keys[i] = oldKeys[j];
                counts[i] = oldCounts[j];
            }
        }
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L; // Fibonacci hashing: ids that differ in low bits spread
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
