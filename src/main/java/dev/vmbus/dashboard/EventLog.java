package dev.vmbus.dashboard;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;

/** The last {@link #CAPACITY} channel-lifecycle and error events, oldest first. Bounded: a long run does not grow. */
final class EventLog {
    static final int CAPACITY = 200;
    private final ArrayDeque<JsonObject> events = new ArrayDeque<>();
    private long sequence;

    /** Adds an event, stamping it with a sequence number the page uses to skip what it has seen. */
    JsonObject add(JsonObject event) {
        JsonObject stamped = event.copy().put("seq", ++sequence);
        if (!stamped.containsKey("timestamp")) {
            stamped.put("timestamp", System.currentTimeMillis());
        }
        events.addLast(stamped);
        while (events.size() > CAPACITY) {
            events.removeFirst();
        }
        return stamped;
    }

    JsonArray toJson() {
        JsonArray out = new JsonArray();
        events.forEach(out::add);
        return out;
    }
}
