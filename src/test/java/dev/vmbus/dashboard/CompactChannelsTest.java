package dev.vmbus.dashboard;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.pointer.JsonPointer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The compact form and the stream's changes-only frames carry the same data as the full form: every compact field
 * is the full form's value at that path (read here with a JSON pointer, not the code under test), and a client that
 * applies the frames, from the first or from the one it joins on, holds exactly the compact form of the latest view.
 */
class CompactChannelsTest {

    /** The full form as the view builds it: the typed snapshot's JSON, with health and rates on each channel. */
    static JsonObject view(long timestamp) {
        JsonArray channels = StatsJson.channels(PrometheusFormatTest.snapshot());
        for (int i = 0; i < channels.size(); i++) {
            JsonObject c = channels.getJsonObject(i);
            c.put("health", new JsonObject().put("state", i == 2 ? "critical" : "ok").put("summary", i == 2 ? "faulted" : "")
                    .put("problems", new JsonArray()));
            if (c.containsKey("stats")) {
                c.put("rates", new JsonObject().put("packetsIn", 1.5 * i).put("packetsOut", 2.0).put("interrupts", 0.5)
                        .put("bytesIn", 10.0));
            }
        }
        return new JsonObject().put("timestamp", timestamp).put("channels", channels)
                .put("summary", new JsonObject().put("state", "critical").put("text", "1 channel needs attention"))
                .put("devices", new JsonObject().put("heartbeat", new JsonObject().put("health", new JsonObject().put("state", "ok"))));
    }

    @Test
    void everyCompactFieldIsTheFullFormsValueAtItsPath() {
        JsonObject view = view(5);
        JsonObject compact = CompactChannels.of(view);
        assertEquals(new JsonArray(CompactChannels.FIELDS), compact.getJsonArray("fields"));
        assertEquals(5L, compact.getLong("timestamp"));
        assertEquals(view.getJsonObject("summary"), compact.getJsonObject("summary"));
        JsonArray full = view.getJsonArray("channels");
        JsonArray rows = compact.getJsonArray("channels");
        assertEquals(full.size(), rows.size());
        int valued = 0;
        for (int i = 0; i < full.size(); i++) {
            JsonObject c = full.getJsonObject(i);
            JsonArray row = rows.getJsonArray(i);
            assertEquals(CompactChannels.FIELDS.size(), row.size());
            for (int f = 0; f < CompactChannels.FIELDS.size(); f++) {
                String path = CompactChannels.FIELDS.get(f);
                Object expected = JsonPointer.from("/" + path.replace('.', '/')).queryJson(c);
                assertEquals(expected, row.getValue(f), "relid " + c.getInteger("relid") + " " + path);
                valued += expected != null ? 1 : 0;
            }
        }
        // the two open channels have every field but primary; the faulted one only its listing and health
        JsonArray open = rows.getJsonArray(0);
        assertNotNull(open.getValue(CompactChannels.FIELDS.indexOf("stats.sendSections.count")));
        assertNotNull(open.getValue(CompactChannels.FIELDS.indexOf("rates.packetsIn")));
        JsonArray faulted = rows.getJsonArray(2);
        assertEquals("faulted", faulted.getString(CompactChannels.FIELDS.indexOf("state")));
        assertNull(faulted.getValue(CompactChannels.FIELDS.indexOf("stats.inbound.fillPercent")));
        assertTrue(valued > 2 * (CompactChannels.FIELDS.size() - 1), "fields found: " + valued);
        assertTrue(compact.encode().length() < view.encode().length() / 2,
                "compact " + compact.encode().length() + " B, full " + view.encode().length() + " B");
    }

    @Test
    void framesAddUpToTheLatestViewFromTheStartOrFromAJoin() {
        CompactChannels.Changes changes = new CompactChannels.Changes();
        JsonObject v1 = view(1);
        CompactChannels.Changes.Frames f1 = changes.next(v1);
        JsonObject first = new JsonObject(f1.changes());
        assertEquals(false, first.getBoolean("full"));
        assertEquals(3, first.getJsonArray("channels").size(), "the first frame changes every channel");
        Map<Integer, JsonArray> fromStart = apply(new TreeMap<>(), first);
        assertEquals(rows(v1), fromStart);
        JsonObject whole1 = new JsonObject(f1.whole());
        assertEquals(true, whole1.getBoolean("full"));
        assertEquals(rows(v1), apply(new TreeMap<>(), whole1));
        assertEquals(CompactChannels.of(v1), new JsonObject(f1.api()));

        // next interval: relid 7's rates move, relid 9 goes, relid 11 arrives, relid 1 stays as it was
        JsonObject v2 = view(2);
        JsonArray list = v2.getJsonArray("channels");
        list.getJsonObject(1).getJsonObject("rates").put("packetsIn", 99.0);
        JsonObject eleven = list.getJsonObject(2).copy().put("relid", 11);
        list.remove(2);
        list.add(eleven);
        CompactChannels.Changes.Frames f2 = changes.next(v2);
        JsonObject second = new JsonObject(f2.changes());
        assertEquals(false, second.getBoolean("full"));
        assertEquals(List.of(7, 11), second.getJsonArray("channels").stream()
                .map(r -> ((JsonArray) r).getInteger(0)).toList(), "only what changed");
        assertEquals(new JsonArray().add(9), second.getJsonArray("gone"));
        assertTrue(second.containsKey("devices") && second.containsKey("summary"));
        assertEquals(rows(v2), apply(fromStart, second));
        assertEquals(rows(v2), apply(apply(new TreeMap<>(), whole1), second), "a client that joined on the whole frame");
        assertEquals(rows(v2), apply(new TreeMap<>(), new JsonObject(f2.whole())));
        assertEquals(CompactChannels.of(v2), new JsonObject(f2.api()));

        JsonObject third = new JsonObject(changes.next(v2).changes());
        assertEquals(0, third.getJsonArray("channels").size(), "nothing changed, nothing sent");
        assertEquals(0, third.getJsonArray("gone").size());
    }

    /** What the page does with a frame. */
    private static Map<Integer, JsonArray> apply(Map<Integer, JsonArray> state, JsonObject frame) {
        if (frame.getBoolean("full")) {
            state.clear();
        }
        frame.getJsonArray("channels").forEach(r -> state.put(((JsonArray) r).getInteger(0), (JsonArray) r));
        frame.getJsonArray("gone").forEach(relid -> state.remove((Integer) relid));
        return state;
    }

    private static Map<Integer, JsonArray> rows(JsonObject view) {
        Map<Integer, JsonArray> out = new TreeMap<>();
        CompactChannels.of(view).getJsonArray("channels").forEach(r -> out.put(((JsonArray) r).getInteger(0), (JsonArray) r));
        return out;
    }
}
