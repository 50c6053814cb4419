package dev.vmbus.dashboard;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The compact form of the channel list, for the page at hundreds of channels (issue 22): only the fields the
 * channel table shows, one array per channel in the order {@link #FIELDS} names, instead of every field under its
 * key. Each name is the field's path in the full form ({@code stats.inbound.fillPercent} is
 * {@code channel.stats.inbound.fillPercent}); a field the full form does not have is {@code null}. Pure; any
 * thread. {@link Changes} turns a series of lists into the stream's changes-only frames.
 */
final class CompactChannels {
    /** The full form's paths of the fields the compact form carries, in the order of each channel's array. */
    static final List<String> FIELDS = List.of("relid", "class", "state", "subchannel", "primary",
            "health.state", "health.summary", "rates.packetsIn", "rates.packetsOut", "rates.interrupts",
            "stats.inbound.fillPercent", "stats.outbound.fillPercent",
            "stats.outstanding.creditUsed", "stats.outstanding.credit", "stats.outstanding.receiveSlotsHeld",
            "stats.outstanding.completionsOwed", "stats.outstanding.completionsAwaited",
            "stats.sendSections.inUse", "stats.sendSections.count");
    private static final List<String[]> PATHS = FIELDS.stream().map(f -> f.split("\\.")).toList();
    private static final JsonArray FIELD_NAMES = new JsonArray(FIELDS);

    private CompactChannels() {
    }

    /** The value at {@code path} (dotted) in a full-form channel, or null when it has none. */
    static Object at(JsonObject channel, String path) {
        return at(channel, path.split("\\."));
    }

    private static Object at(JsonObject channel, String[] path) {
        Object v = channel;
        for (String key : path) {
            if (!(v instanceof JsonObject o)) {
                return null;
            }
            v = o.getValue(key);
        }
        return v instanceof JsonObject || v instanceof JsonArray ? null : v;
    }

    /** One full-form channel as its compact array. */
    static JsonArray row(JsonObject channel) {
        JsonArray row = new JsonArray();
        for (String[] path : PATHS) {
            row.add(at(channel, path));
        }
        return row;
    }

    /** {@code {timestamp, fields, channels: [[...], ...], summary}} from a view's full JSON. */
    static JsonObject of(JsonObject view) {
        JsonArray rows = new JsonArray();
        view.getJsonArray("channels").forEach(c -> rows.add(row((JsonObject) c)));
        return new JsonObject().put("timestamp", view.getValue("timestamp")).put("fields", FIELD_NAMES)
                .put("channels", rows).put("summary", view.getValue("summary"));
    }

    /**
     * The stream's changes-only frames. Each interval {@link #next} takes the view and answers two frames, encoded
     * once for every client: the changes since the last view ({@code full: false}: only the channels whose compact
     * row differs, and the relids of those gone) and the whole list ({@code full: true}), which a client gets
     * first when it joins. Both carry the view's other parts (summary, devices, and host and history when present).
     * Made and used on one context.
     */
    static final class Changes {
        private Map<Integer, String> last = new HashMap<>();

        /** The two frames of this view, and the state they leave for the next. */
        /**
         * @param changes what changed since the last view, for the stream's compact clients
         * @param whole   every channel, for a compact client that joins
         * @param api     {@code GET /api/channels?form=compact}'s body: {@code {timestamp, fields, channels, summary}}
         */
        record Frames(String changes, String whole, String api) {
        }

        Frames next(JsonObject view) {
            Map<Integer, String> now = new HashMap<>();
            JsonArray all = new JsonArray();
            JsonArray changed = new JsonArray();
            for (Object o : view.getJsonArray("channels")) {
                JsonObject c = (JsonObject) o;
                JsonArray row = row(c);
                String text = row.encode();
                int relid = c.getInteger("relid");
                now.put(relid, text);
                all.add(row);
                if (!text.equals(last.get(relid))) {
                    changed.add(row);
                }
            }
            JsonArray gone = new JsonArray();
            last.keySet().stream().filter(r -> !now.containsKey(r)).sorted().forEach(gone::add);
            last = now;
            String changes = frame(view, false, changed, gone).encode();
            // a client that joins has just read the history itself: its first frame leaves it out
            String whole = frame(view, true, all, new JsonArray()).encode();
            String api = new JsonObject().put("timestamp", view.getValue("timestamp")).put("fields", FIELD_NAMES)
                    .put("channels", all).put("summary", view.getValue("summary")).encode();
            return new Frames(changes, whole, api);
        }

        /** A frame sharing the view's parts by reference (they are only encoded, never changed). */
        private static JsonObject frame(JsonObject view, boolean full, JsonArray channels, JsonArray gone) {
            JsonObject f = new JsonObject().put("timestamp", view.getValue("timestamp")).put("full", full)
                    .put("fields", FIELD_NAMES).put("channels", channels).put("gone", gone);
            for (String key : full ? List.of("summary", "devices", "host") : List.of("summary", "devices", "host", "history")) {
                if (view.containsKey(key)) {
                    f.put(key, view.getValue(key));
                }
            }
            return f;
        }
    }
}
