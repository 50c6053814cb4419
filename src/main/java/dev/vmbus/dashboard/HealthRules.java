package dev.vmbus.dashboard;

import dev.vmbus.config.VmbusConfig;
import dev.vmbus.dashboard.Health.Level;
import dev.vmbus.dashboard.Health.Problem;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.spi.DeviceProblem;
import dev.vmbus.spi.HealthCheck;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Decides the health of every channel and device from one snapshot (the channel list with stats, and each
 * device handler's state), once, on the server: the page, the API, the stream and {@code /metrics} all show
 * what this says. What a channel's figures show is decided here; what a device's state means, its
 * {@link DevicePlugin#health} says, the same way for every device, built-in or plug-in. Pure: no state, any
 * thread.
 */
final class HealthRules {
    private static final Logger LOG = Logger.getLogger(HealthRules.class.getName());

    private final VmbusConfig.Health t;
    private final Map<String, DevicePlugin<?>> plugins;

    /**
     * @param plugins the enabled device handlers by name, whose health hooks judge their states
     */
    HealthRules(VmbusConfig.Health thresholds, Map<String, DevicePlugin<?>> plugins) {
        this.t = thresholds;
        this.plugins = Map.copyOf(plugins);
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
        // Each device judges its own state once, told which of its channels are open and what each is called.
        Map<String, Map<Integer, String>> open = new LinkedHashMap<>();
        for (int i = 0; i < channels.size(); i++) {
            JsonObject c = channels.getJsonObject(i);
            String cls = c.getString("class", "?");
            if ("open".equals(c.getString("state")) && devices != null && devices.getJsonObject(cls) != null) {
                open.computeIfAbsent(cls, k -> new LinkedHashMap<>()).put(c.getInteger("relid"), label(c, perClass));
            }
        }
        Map<String, List<DeviceProblem>> judged = new HashMap<>();
        if (devices != null) {
            for (String name : devices.fieldNames()) {
                judged.put(name, judge(name, devices.getJsonObject(name), open.getOrDefault(name, Map.of()), nowMillis));
            }
        }
        List<String> headlines = new ArrayList<>();
        Level worst = Level.OK;
        for (int i = 0; i < channels.size(); i++) {
            JsonObject c = channels.getJsonObject(i);
            String cls = c.getString("class", "?");
            List<Problem> problems = channelProblems(c, label(c, perClass));
            if (open.containsKey(cls) && open.get(cls).containsKey(c.getInteger("relid"))) {
                for (DeviceProblem p : judged.getOrDefault(cls, List.of())) {
                    if (p.relid() == c.getInteger("relid")) {
                        problems.add(problem(p));
                    }
                }
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
                Map<Integer, String> mine = open.getOrDefault(name, Map.of());
                List<Problem> problems = new ArrayList<>();
                List<DeviceProblem> own = judged.get(name);
                for (int relid : mine.keySet()) { // in the channels' order, as each channel shows them
                    own.stream().filter(p -> p.relid() == relid).forEach(p -> problems.add(problem(p)));
                }
                own.stream().filter(p -> p.relid() == DeviceProblem.DEVICE).forEach(p -> problems.add(problem(p)));
                if (state.containsKey("error")) {
                    problems.add(new Problem("handler_unavailable", Level.CRITICAL,
                            name + " handler does not answer: " + state.getString("error")));
                }
                state.put("health", Health.of(dedupe(problems)).toJson());
            }
        }
        return summary(channels.size(), headlines, worst);
    }

    private static String label(JsonObject c, Map<String, Integer> perClass) {
        String cls = c.getString("class", "?");
        return perClass.get(cls) > 1 ? cls + " #" + c.getInteger("relid") : cls;
    }

    /** A device's own problems, from its health hook; a hook that throws is itself a problem, never a failed view. */
    private List<DeviceProblem> judge(String name, JsonObject state, Map<Integer, String> open, long nowMillis) {
        DevicePlugin<?> plugin = plugins.get(name);
        if (plugin == null) {
            return List.of();
        }
        try {
            return List.copyOf(plugin.health(state, new HealthCheck(t, nowMillis, open)));
        } catch (RuntimeException e) {
            LOG.warning(name + ": its health hook failed: " + e);
            return List.of(new DeviceProblem(DeviceProblem.DEVICE, "health_unavailable",
                    DeviceProblem.Severity.WARNING, name + " could not judge its health: " + e.getMessage()));
        }
    }

    private static Problem problem(DeviceProblem p) {
        return new Problem(p.code(), switch (p.severity()) {
            case NOTE -> Level.NOTE;
            case WARNING -> Level.WARNING;
            case CRITICAL -> Level.CRITICAL;
        }, p.text());
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

    private static List<Problem> dedupe(List<Problem> problems) {
        return problems.stream().distinct().toList();
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
