package dev.vmbus.dashboard;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.spi.DeviceSeries;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.logging.Logger;

/**
 * What the charts draw, kept on the server so that a reload starts from it: per channel and summed over all
 * channels, the rate of packets, bytes (inbound and outbound apart), interrupts and signals, and each ring's
 * fill; and the series each enabled device class declares ({@link DevicePlugin#series}, timesync's offset), under
 * the device's name. One point per update interval, bounded to {@link #capacityFor} points (at
 * least ten minutes). Also the per-second rate of every counter of every channel since the previous point,
 * which the API and the drill-down show. Touched only on the dashboard's context.
 */
final class History {
    static final String[] SERIES = {"packetsIn", "packetsOut", "bytesIn", "bytesOut", "interrupts", "events",
            "inboundFill", "outboundFill"};
    /** Every counter a channel's stats carry, by its JSON name. */
    static final String[] COUNTERS = {"interrupts", "events", "intr_in_full", "intr_out_empty", "out_full_first",
            "out_full_total", "packetsIn", "packetsOut", "bytesIn", "bytesOut", "malformed", "requestorRejected"};
    static final long MIN_SPAN_MS = 10 * 60 * 1000;

    /** The overview's own keys, which no device's series may take. */
    static final Set<String> RESERVED = Set.of("intervalMs", "capacity", "totals", "relids", "series");
    private static final Logger LOG = Logger.getLogger(History.class.getName());

    private record Last(long time, JsonObject stats, JsonObject rates) {
    }

    /** One device's declared series and their points. */
    private record DeviceHistory(String device, List<DeviceSeries> declared, Series points) {
    }

    private final int capacity;
    private final Series totals;
    private final List<DeviceHistory> devices = new ArrayList<>();
    private final Set<String> warned = new HashSet<>();
    private final Map<Integer, Series> channels = new HashMap<>();
    private final Map<Integer, Last> last = new HashMap<>();

    /** @param plugins the enabled device classes by name, whose declared series are kept */
    History(long intervalMs, Map<String, DevicePlugin<?>> plugins) {
        this.capacity = capacityFor(intervalMs);
        this.totals = new Series(capacity, SERIES);
        new TreeMap<>(plugins).forEach((name, plugin) -> {
            List<DeviceSeries> declared = List.copyOf(plugin.series());
            if (declared.isEmpty()) {
                return;
            }
            if (RESERVED.contains(name)) {
                LOG.warning(name + ": its series are not kept: '" + name + "' is one of the history's own keys " + RESERVED);
                return;
            }
            devices.add(new DeviceHistory(name, declared, new Series(capacity,
                    declared.stream().map(DeviceSeries::name).toArray(String[]::new))));
        });
    }

    /** Ten minutes of points and one more minute, so that "the last ten minutes" is always full. */
    static int capacityFor(long intervalMs) {
        return (int) ((MIN_SPAN_MS + 60_000 + intervalMs - 1) / intervalMs);
    }

    int capacity() {
        return capacity;
    }

    /** Takes one point from a snapshot ({@code {timestamp, channels, devices}}) and puts {@code rates} into its channels. */
    void record(JsonObject snapshot) {
        long now = snapshot.getLong("timestamp");
        JsonArray list = snapshot.getJsonArray("channels", new JsonArray());
        double[] sum = new double[SERIES.length];
        for (int i = 0; i < list.size(); i++) {
            JsonObject c = list.getJsonObject(i);
            JsonObject s = c.getJsonObject("stats");
            int relid = c.getInteger("relid");
            if (s == null) {
                continue;
            }
            Last prev = last.get(relid);
            JsonObject rates = new JsonObject();
            double dt = prev != null ? (now - prev.time()) / 1000.0 : 0;
            for (String counter : COUNTERS) {
                long v = s.getLong(counter, 0L);
                long p = prev != null ? prev.stats().getLong(counter, 0L) : v;
                // a counter that went down belongs to a new channel on the same relid (re-offer): no rate this time
                Double r = null;
                if (prev != null && dt > 0) {
                    r = v >= p ? (v - p) / dt : 0.0;
                }
                rates.put(counter, r);
            }
            last.put(relid, new Last(now, s, rates));
            c.put("rates", rates);
            double[] point = {
                    rate(rates, "packetsIn"), rate(rates, "packetsOut"), rate(rates, "bytesIn"), rate(rates, "bytesOut"),
                    rate(rates, "interrupts"), rate(rates, "events"),
                    fill(s, "inbound"), fill(s, "outbound")};
            channels.computeIfAbsent(relid, r -> new Series(capacity, SERIES)).add(now, point);
            for (int k = 0; k < SERIES.length; k++) {
                if (!Double.isNaN(point[k])) {
                    sum[k] = k >= 6 ? Math.max(sum[k], point[k]) : sum[k] + point[k];
                }
            }
        }
        totals.add(now, sum);
        JsonObject states = snapshot.getJsonObject("devices", new JsonObject());
        for (DeviceHistory d : devices) {
            d.points().add(now, read(d, states.getJsonObject(d.device())));
        }
        forgetOld(now);
    }

    /** The rates of the last point, for a channel listing taken between points. */
    JsonObject rates(int relid) {
        Last l = last.get(relid);
        return l != null ? l.rates() : null;
    }

    /**
     * Everything since {@code sinceMillis}: totals, each device's series, the relids that have a series, and under
     * {@code series} what each device declared ({@code device}, {@code name}, {@code title}, {@code unit}), which
     * is all the page knows of them.
     */
    JsonObject overview(long sinceMillis, long intervalMs) {
        JsonObject out = new JsonObject().put("intervalMs", intervalMs).put("capacity", capacity)
                .put("totals", totals.toJson(sinceMillis));
        JsonArray declared = new JsonArray();
        for (DeviceHistory d : devices) {
            out.put(d.device(), d.points().toJson(sinceMillis));
            d.declared().forEach(s -> declared.add(new JsonObject().put("device", d.device()).put("name", s.name())
                    .put("title", s.title()).put("unit", s.unit())));
        }
        return out.put("relids", new JsonArray(channels.keySet().stream().sorted().toList())).put("series", declared);
    }

    /** One channel's series since {@code sinceMillis}, or null when it has none. */
    JsonObject channel(int relid, long sinceMillis) {
        Series s = channels.get(relid);
        return s == null ? null : s.toJson(sinceMillis).put("relid", relid);
    }

    /** The newest point of totals and of each device's series, for the live stream. */
    JsonObject latest() {
        long t = totals.lastTime();
        JsonObject out = new JsonObject().put("totals", totals.toJson(t - 1));
        devices.forEach(d -> out.put(d.device(), d.points().toJson(t - 1)));
        return out;
    }

    /** A channel gone for longer than the history spans has nothing left to show. */
    private void forgetOld(long now) {
        long horizon = now - MIN_SPAN_MS - 60_000;
        for (Iterator<Map.Entry<Integer, Series>> it = channels.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Integer, Series> e = it.next();
            if (e.getValue().lastTime() < horizon) {
                it.remove();
                last.remove(e.getKey());
            }
        }
    }

    private static double rate(JsonObject rates, String name) {
        Double v = rates.getDouble(name);
        return v == null ? Double.NaN : v;
    }

    private static double fill(JsonObject stats, String ring) {
        JsonObject r = stats.getJsonObject(ring);
        return r == null ? Double.NaN : r.getDouble("fillPercent", Double.NaN);
    }

    /** One point of a device's series; NaN where the device has no state or its reader fails (logged once). */
    private double[] read(DeviceHistory d, JsonObject state) {
        double[] point = new double[d.declared().size()];
        for (int i = 0; i < point.length; i++) {
            point[i] = Double.NaN;
            if (state != null) {
                try {
                    point[i] = d.declared().get(i).read().read(state);
                } catch (RuntimeException e) {
                    if (warned.add(d.device() + "." + d.declared().get(i).name())) LOG.warning(d.device() + ": series " + d.declared().get(i).name() + " could not be read: " + e);
                }
            }
        }
        return point;
    }
}
