package dev.vmbus.dashboard;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A bounded time series of several named values sharing one time axis: a ring of {@code capacity} points, the
 * oldest overwritten. Floats, because a chart needs no more and 256 channels times ten minutes stays small.
 * Not thread-safe: touched only on the dashboard's context.
 */
final class Series {
    private final String[] names;
    private final long[] times;
    private final float[][] values;
    private int head;
    private int size;

    Series(int capacity, String... names) {
        this.names = names.clone();
        this.times = new long[capacity];
        this.values = new float[names.length][capacity];
    }

    /** Appends one point; {@code point[i]} is the value of {@code names[i]}, NaN for "no value". */
    void add(long timeMillis, double... point) {
        int at = (head + size) % times.length;
        if (size == times.length) {
            head = (head + 1) % times.length;
        } else {
            size++;
        }
        times[at] = timeMillis;
        for (int i = 0; i < names.length; i++) {
            values[i][at] = (float) point[i];
        }
    }

    int size() {
        return size;
    }

    long lastTime() {
        return size == 0 ? Long.MIN_VALUE : times[(head + size - 1) % times.length];
    }

    /** {@code {t: [ms...], name: [...], ...}}, oldest first, points after {@code sinceMillis} only; NaN as null. */
    JsonObject toJson(long sinceMillis) {
        JsonArray t = new JsonArray();
        JsonArray[] v = new JsonArray[names.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = new JsonArray();
        }
        for (int k = 0; k < size; k++) {
            int at = (head + k) % times.length;
            if (times[at] <= sinceMillis) {
                continue;
            }
            t.add(times[at]);
            for (int i = 0; i < names.length; i++) {
                float x = values[i][at];
                v[i].add(Float.isNaN(x) ? null : (Object) (double) x);
            }
        }
        JsonObject out = new JsonObject().put("t", t);
        for (int i = 0; i < names.length; i++) {
            out.put(names[i], v[i]);
        }
        return out;
    }
}
