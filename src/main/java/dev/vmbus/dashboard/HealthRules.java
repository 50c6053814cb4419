package dev.vmbus.dashboard;

import dev.vmbus.dashboard.Health.Level;
import dev.vmbus.dashboard.Health.Problem;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Decides the health of every channel and device from one snapshot (the channel list with stats, and each
 * device handler's state), once, on the server: the page, the API, the stream and {@code /metrics} all show
 * what this says. Pure: no state, any thread.
 */
final class HealthRules {
    private final HealthThresholds t;

    HealthRules(HealthThresholds thresholds) {
        this.t = thresholds;
    }

    /**
     * Puts {@code health} into every channel of {@code channels} and every device of {@code devices} (both
     * changed in place) and returns the summary: {@code {channels, attention, state, text}}.
     */
    JsonObject annotate(JsonArray channels, JsonObject devices, long nowMillis) {
        Map<String, Integer> perClass = new HashMap<>();
        for (int i = 0; i < channels.size(); i++) {
            perClass.merge(channels.getJsonObject(i).getString("class", "?"), 1, Integer::sum);
        }
        Map<String, List<Problem>> byDevice = new LinkedHashMap<>();
        List<String> headlines = new ArrayList<>();
        Level worst = Level.OK;
        for (int i = 0; i < channels.size(); i++) {
            JsonObject c = channels.getJsonObject(i);
            String cls = c.getString("class", "?");
            String label = perClass.get(cls) > 1 ? cls + " #" + c.getInteger("relid") : cls;
            List<Problem> problems = channelProblems(c, label);
            JsonObject device = devices != null ? devices.getJsonObject(cls) : null;
            if ("open".equals(c.getString("state")) && device != null) {
                List<Problem> own = deviceProblems(cls, label, c.getInteger("relid"), device, nowMillis);
                problems.addAll(own);
                byDevice.computeIfAbsent(cls, k -> new ArrayList<>()).addAll(own);
            }
            Health h = Health.of(problems);
            c.put("health", h.toJson());
            if (h.needsAttention()) {
                headlines.add(h.headline());
            }
            worst = h.level().ordinal() > worst.ordinal() ? h.level() : worst;
        }
        if (devices != null) {
            for (String name : devices.fieldNames()) {
                JsonObject state = devices.getJsonObject(name);
                List<Problem> problems = new ArrayList<>(byDevice.getOrDefault(name, List.of()));
                if (state.containsKey("error")) {
                    problems.add(new Problem("handler_unavailable", Level.CRITICAL,
                            name + " handler does not answer: " + state.getString("error")));
                }
                if ("vss".equals(name) && !byDevice.containsKey(name)) {
                    problems.addAll(vss(name, state)); // frozen with no open vss channel is worth saying too
                }
                state.put("health", Health.of(dedupe(problems)).toJson());
            }
        }
        return summary(channels.size(), headlines, worst);
    }

    static JsonObject summary(int channels, List<String> headlines, Level worst) {
        int n = headlines.size();
        StringBuilder text = new StringBuilder().append(channels).append(channels == 1 ? " channel" : " channels");
        if (n == 0) {
            text.append(channels == 0 ? "" : ", all healthy");
        } else {
            text.append(", ").append(n).append(n == 1 ? " needs attention: " : " need attention: ");
            text.append(String.join("; ", headlines.subList(0, Math.min(3, n))));
            if (n > 3) {
                text.append("; and ").append(n - 3).append(" more");
            }
        }
        return new JsonObject().put("channels", channels).put("attention", n).put("state", worst.word)
                .put("text", text.toString());
    }

    /** What the channel itself shows: its state, fault, rings and counters. */
    List<Problem> channelProblems(JsonObject c, String label) {
        List<Problem> out = new ArrayList<>();
        String state = c.getString("state", "unknown");
        JsonObject s = c.getJsonObject("stats");
        switch (state) {
            case "faulted" -> out.add(new Problem("faulted", Level.CRITICAL, label + " faulted: "
                    + firstNonNull(c.getString("reason"), s != null ? s.getString("fault") : null, "no reason given")));
            case "closed" -> out.add(new Problem("closed", Level.WARNING, label + " closed"
                    + (c.getString("reason") != null ? ": " + c.getString("reason") : "")));
            case "offered" -> out.add(new Problem(c.getBoolean("handled", true) ? "opening" : "not_handled", Level.NOTE,
                    c.getBoolean("handled", true) ? label + " offered, not open yet" : label + " offered, no handler enabled"));
            case "open" -> {
                if (s == null) {
                    out.add(new Problem("not_answering", Level.WARNING, label + " does not answer stats requests"));
                }
            }
            default -> out.add(new Problem("state_" + state, Level.WARNING, label + " is " + state));
        }
        if (s == null) {
            return out;
        }
        if (s.getString("fault") != null && !"faulted".equals(state)) {
            out.add(new Problem("faulted", Level.CRITICAL, label + " faulted: " + s.getString("fault")));
        }
        for (String ring : new String[] {"inbound", "outbound"}) {
            JsonObject r = s.getJsonObject(ring);
            if (r != null && r.getDouble("fillPercent", 0.0) > t.ringFillPercent()) {
                out.add(new Problem("ring_full", Level.WARNING, String.format(Locale.ROOT, "%s %s ring %.0f %% full",
                        label, ring, r.getDouble("fillPercent"))));
            }
        }
        long malformed = s.getLong("malformed", 0L);
        if (malformed > 0) {
            out.add(new Problem("malformed", Level.WARNING, label + ": " + malformed + " malformed packet"
                    + (malformed == 1 ? "" : "s") + " from the host"));
        }
        long rejected = s.getLong("requestorRejected", 0L);
        if (rejected > 0) {
            out.add(new Problem("rejected", Level.WARNING, label + ": " + rejected + " completion"
                    + (rejected == 1 ? "" : "s") + " rejected (unknown request id)"));
        }
        return out;
    }

    /** What the channel's device handler knows about it. */
    List<Problem> deviceProblems(String cls, String label, int relid, JsonObject device, long now) {
        JsonObject mine = channelState(device, relid);
        return switch (cls) {
            case "heartbeat" -> heartbeat(label, mine);
            case "timesync" -> timesync(label, mine, now);
            case "vss" -> vss(label, device);
            case "fcopy" -> fcopy(label, relid, device);
            default -> List.of();
        };
    }

    private List<Problem> heartbeat(String label, JsonObject mine) {
        if (mine == null || !mine.containsKey("ageMillis")) {
            return List.of();
        }
        long age = mine.getLong("ageMillis");
        if (age > t.heartbeatLostMs()) {
            return List.of(new Problem("heartbeat_lost", Level.CRITICAL, label + " lost: no heartbeat for " + seconds(age)));
        }
        if (age > t.heartbeatLateMs()) {
            return List.of(new Problem("heartbeat_late", Level.WARNING, label + " late: no heartbeat for " + seconds(age)));
        }
        return List.of();
    }

    private List<Problem> timesync(String label, JsonObject mine, long now) {
        if (mine == null) {
            return List.of();
        }
        List<Problem> out = new ArrayList<>();
        Double offset = mine.getDouble("offsetMillis");
        if (offset != null && Math.abs(offset) > t.timesyncOffsetMs()) {
            out.add(new Problem("timesync_offset", Level.WARNING, String.format(Locale.ROOT,
                    "%s offset %.3f ms (host - guest), beyond %.3f ms", label, offset, t.timesyncOffsetMs())));
        }
        Instant last = instant(mine.getString("lastSample"));
        if (last != null && now - last.toEpochMilli() > t.timesyncStaleMs()) {
            out.add(new Problem("timesync_stale", Level.WARNING, label + ": no time sample for "
                    + seconds(now - last.toEpochMilli())));
        }
        return out;
    }

    private List<Problem> vss(String label, JsonObject device) {
        if (!device.getBoolean("frozen", false)) {
            return List.of();
        }
        long ms = device.getLong("frozenForMs", 0L);
        return List.of(ms > t.vssFrozenMs()
                ? new Problem("vss_frozen", Level.CRITICAL, label + ": file systems frozen for " + seconds(ms))
                : new Problem("vss_frozen", Level.NOTE, label + ": file systems frozen for " + seconds(ms) + " (backup running)"));
    }

    private List<Problem> fcopy(String label, int relid, JsonObject device) {
        JsonArray transfers = device.getJsonArray("transfers");
        List<Problem> out = new ArrayList<>();
        for (int i = 0; transfers != null && i < transfers.size(); i++) {
            JsonObject x = transfers.getJsonObject(i);
            if (x.getInteger("relid", relid) == relid && "copying".equals(x.getString("state"))
                    && x.getLong("idleMs", 0L) > t.fcopyStuckMs()) {
                out.add(new Problem("fcopy_stuck", Level.WARNING, label + ": copy to " + x.getString("target")
                        + " stuck, no data for " + seconds(x.getLong("idleMs"))));
            }
        }
        return out;
    }

    private static JsonObject channelState(JsonObject device, int relid) {
        JsonArray list = device.getJsonArray("channels");
        for (int i = 0; list != null && i < list.size(); i++) {
            if (list.getJsonObject(i).getInteger("relid", -1) == relid) {
                return list.getJsonObject(i);
            }
        }
        return null;
    }

    private static List<Problem> dedupe(List<Problem> problems) {
        return problems.stream().distinct().toList();
    }

    private static Instant instant(String iso) {
        try {
            return iso == null ? null : Instant.parse(iso);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    static String seconds(long ms) {
        return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    private static String firstNonNull(String... values) {
        for (String v : values) {
            if (v != null) {
                return v;
            }
        }
        return null;
    }
}
