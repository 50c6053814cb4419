package dev.vmbus.dashboard;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * A channel's or device's health: the worst level of its problems and the problems in words. Immutable.
 *
 * @param level    {@link Level#OK} when nothing (or only notes) apply
 * @param problems what is wrong, worst first; notes (level {@link Level#NOTE}) do not count as attention
 */
record Health(Level level, List<Problem> problems) {

    /** Ordered from good to bad; {@link #word} is what the page and the API say. */
    enum Level {
        OK("ok"), NOTE("ok"), WARNING("warning"), CRITICAL("critical");

        final String word;

        Level(String word) {
            this.word = word;
        }

        /** 0 ok, 1 warning, 2 critical: the value of the {@code vmbus_*_health_state} gauges. */
        int gauge() {
            return switch (this) {
                case OK, NOTE -> 0;
                case WARNING -> 1;
                case CRITICAL -> 2;
            };
        }
    }

    /**
     * @param code a stable identifier (Prometheus label {@code problem}): heartbeat_late, ring_full, ...
     * @param text what an operator reads, e.g. "kvp inbound ring 93 % full"
     */
    record Problem(String code, Level level, String text) {
        JsonObject toJson() {
            return new JsonObject().put("code", code).put("level", level == Level.NOTE ? "note" : level.word).put("text", text);
        }
    }

    static Health of(List<Problem> problems) {
        List<Problem> sorted = problems.stream()
                .sorted((a, b) -> Integer.compare(b.level().ordinal(), a.level().ordinal())).toList();
        Level worst = sorted.isEmpty() ? Level.OK : sorted.getFirst().level();
        return new Health(worst == Level.NOTE ? Level.OK : worst, sorted);
    }

    boolean needsAttention() {
        return level.ordinal() >= Level.WARNING.ordinal();
    }

    /** The first problem that needs attention, in words, or null. */
    String headline() {
        return problems.stream().filter(p -> p.level().ordinal() >= Level.WARNING.ordinal()).map(Problem::text)
                .findFirst().orElse(null);
    }

    JsonObject toJson() {
        JsonArray list = new JsonArray();
        problems.forEach(p -> list.add(p.toJson()));
        JsonObject json = new JsonObject().put("state", level.word).put("problems", list);
        String headline = headline();
        if (headline != null) {
            json.put("summary", headline);
        }
        return json;
    }
}
