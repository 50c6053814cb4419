package dev.vmbus.runtime;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link LongCounts} against a boxed map: the same answers through growth and backward-shift deletion. */
class LongCountsTest {

    @Test
    void agreesWithAMapOverRandomOperations() {
        SplittableRandom random = new SplittableRandom(20);
        for (long range : new long[] {8, 300, 1L << 40}) { // dense ids collide and probe; sparse ones spread
            LongCounts counts = new LongCounts();
            Map<Long, Integer> model = new HashMap<>();
            int ops = 200_000;
            for (int op = 0; op < ops; op++) {
                int at = op;
                long key = random.nextLong(range) - (range > 8 ? range / 2 : 0);
                if (random.nextInt(3) == 0) {
                    Integer n = model.get(key);
                    assertEquals(n != null, counts.decrement(key), () -> "decrement " + key + " at op " + at);
                    if (n != null) {
                        if (n == 1) {
                            model.remove(key);
                        } else {
                            model.put(key, n - 1);
                        }
                    }
                } else {
                    counts.increment(key);
                    model.merge(key, 1, Integer::sum);
                }
                // every key compared: often while the table is small (dense ids), less often once the sparse
                // ids have made it large (each comparison walks the whole model), and after the last operation
                if (op % (model.size() <= 1_000 ? 997 : 9_973) == 0 || op == ops - 1) {
                    assertEquals(model.size(), counts.size(), () -> "size at op " + at);
                    for (Map.Entry<Long, Integer> e : model.entrySet()) {
                        assertEquals(e.getValue(), counts.get(e.getKey()), () -> "count of " + e.getKey());
                    }
                }
            }
        }
    }

    @Test
    void anAbsentKeyIsNeitherFoundNorDecremented() {
        LongCounts counts = new LongCounts();
        counts.increment(0);
        counts.increment(-1);
        counts.increment(Long.MIN_VALUE);
        assertEquals(0, counts.get(1));
        assertFalse(counts.decrement(1));
        assertTrue(counts.decrement(Long.MIN_VALUE));
        assertFalse(counts.decrement(Long.MIN_VALUE));
        assertEquals(1, counts.get(0));
        assertEquals(1, counts.get(-1));
        assertEquals(2, counts.size());
    }
}
