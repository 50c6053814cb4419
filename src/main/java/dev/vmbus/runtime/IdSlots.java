package dev.vmbus.runtime;

/**
 * Entries keyed by a transaction id without boxing, each with a positive value and, for tables that need one, an
 * object: an open-addressed table with linear probing, deletion by backward shift (no tombstones), grown to stay
 * at most half full. What {@link LongCounts} and {@link OwedPackets} share; each looks its entries up its own way
 * (by id; by the object's identity, since the host may reuse an id).
 *
 * <p>Not thread-safe: one owner (the channel's context).
 */
abstract class IdSlots {
    long[] ids;
    Object[] refs;
    int[] values; // 0: the slot is empty
    private int size;

    IdSlots() {
        ids = new long[16];
        refs = new Object[16];
        values = new int[16];
    }

    /** Entries held. */
    final int size() {
        return size;
    }

    /** The home slot of {@code id} in a table of {@code mask + 1} slots. */
    static int slot(long id, int mask) {
        long h = id * 0x9E3779B97F4A7C15L; // Fibonacci hashing: ids that differ in low bits spread
        return (int) (h ^ (h >>> 32)) & mask;
    }

    /** Stores an entry in {@code i}, the empty slot its probe reached; {@code value} must be positive. */
    final void put(int i, long id, Object ref, int value) {
        ids[i] = id;
        refs[i] = ref;
        values[i] = value;
        if (++size * 2 > ids.length) {
            grow();
        }
    }

    /** Empties slot {@code i} and moves later entries of its probe run back so every entry stays reachable. */
    final void removeAt(int i) {
        values[i] = 0;
        refs[i] = null;
        size--;
        int mask = ids.length - 1;
        int hole = i;
        for (int j = (hole + 1) & mask; values[j] != 0; j = (j + 1) & mask) {
            int home = slot(ids[j], mask);
            // The entry at j may fill the hole if its home is not in (hole, j] (cyclically).
            if (((j - home) & mask) >= ((j - hole) & mask)) {
                ids[hole] = ids[j];
                refs[hole] = refs[j];
                values[hole] = values[j];
                refs[j] = null;
                values[j] = 0;
                hole = j;
            }
        }
    }

    private void grow() {
        long[] oldIds = ids;
        Object[] oldRefs = refs;
        int[] oldValues = values;
        ids = new long[oldIds.length * 2];
        refs = new Object[oldIds.length * 2];
        values = new int[oldIds.length * 2];
        int mask = ids.length - 1;
        for (int j = 0; j < oldIds.length; j++) {
            if (oldValues[j] != 0) {
                int i = slot(oldIds[j], mask);
                while (values[i] != 0) {
                    i = (i + 1) & mask;
                }
                ids[i] = oldIds[j];
                refs[i] = oldRefs[j];
                values[i] = oldValues[j];
            }
        }
    }
}
