package dev.vmbus.dashboard;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;

/**
 * The live stream: Server-Sent Events, one {@code snapshot} event per update interval and one {@code event}
 * per channel-lifecycle event. SSE rather than the SockJS bridge: the page only listens, EventSource reconnects
 * by itself, the stream goes through the same token check as the REST API, and no client library is needed.
 * At most {@link DashboardOptions#MAX_STREAM_CLIENTS} clients; a client that cannot keep up misses updates
 * instead of making the server buffer them.
 *
 * <p>Two forms. The default sends the whole view each interval. {@code ?form=compact} (what the page asks for)
 * sends {@link CompactChannels.Changes} frames: a client first gets the whole compact list as of the last
 * interval, then each interval only the channels that changed. Each frame is encoded once for every client.
 * A compact client that misses a frame (its queue full) is ended, since the frames after it would not add up;
 * EventSource reconnects and starts again from a whole frame.
 */
final class StreamHub {
    private final List<HttpServerResponse> clients = new ArrayList<>();
    private final List<HttpServerResponse> compact = new ArrayList<>();
    private final int max;
    /** The last whole compact frame, for a compact client that joins; null before the first interval. */
    private Buffer lastWhole;

    StreamHub(int max) {
        this.max = max;
    }

    void open(RoutingContext ctx) {
        String form = ctx.request().getParam("form", "full");
        if (!form.equals("full") && !form.equals("compact")) {
            ctx.response().setStatusCode(400).putHeader("Content-Type", "application/json")
                    .end(new JsonObject().put("error", "form must be full or compact, got '" + form + "'").encode());
            return;
        }
        if (size() >= max) {
            ctx.response().setStatusCode(503).putHeader("Content-Type", "application/json")
                    .end("{\"error\":\"too many live-stream clients (" + max + ")\"}");
            return;
        }
        List<HttpServerResponse> list = form.equals("compact") ? compact : clients;
        HttpServerResponse response = ctx.response().setChunked(true)
                .putHeader("Content-Type", "text/event-stream")
                .putHeader("Cache-Control", "no-cache")
                .putHeader("X-Accel-Buffering", "no");
        response.write(": vmbus live stream\nretry: 2000\n\n");
        if (list == compact && lastWhole != null) {
            response.write(lastWhole);
        }
        list.add(response);
        response.closeHandler(v -> list.remove(response));
        response.exceptionHandler(e -> list.remove(response));
    }

    int size() {
        return clients.size() + compact.size();
    }

    /** Whether anyone reads the default (whole view) form. */
    boolean fullClients() {
        return !clients.isEmpty();
    }

    /** A lifecycle event, to every client; a whole-view snapshot, to the default form's clients. */
    void send(String event, JsonObject data) {
        boolean toAll = !event.equals("snapshot");
        if (clients.isEmpty() && (!toAll || compact.isEmpty())) {
            return;
        }
        Buffer frame = frame(event, data.encode());
        write(clients, frame, false);
        if (toAll) {
            write(compact, frame, true);
        }
    }

    /** One interval's compact frames: the changes to the compact clients, the whole list kept for joiners. */
    void sendCompact(CompactChannels.Changes.Frames frames) {
        lastWhole = frame("snapshot", frames.whole());
        if (!compact.isEmpty()) {
            write(compact, frame("snapshot", frames.changes()), true);
        }
    }

    private static Buffer frame(String event, String data) {
        return Buffer.buffer("event: " + event + "\ndata: " + data + "\n\n");
    }

    private static void write(List<HttpServerResponse> to, Buffer frame, boolean endIfFull) {
        for (HttpServerResponse r : List.copyOf(to)) {
            if (!r.writeQueueFull()) {
                r.write(frame);
            } else if (endIfFull) {
                to.remove(r);
                r.end();
            }
        }
    }

    void closeAll() {
        for (HttpServerResponse r : List.copyOf(clients)) {
            r.end();
        }
        for (HttpServerResponse r : List.copyOf(compact)) {
            r.end();
        }
        clients.clear();
        compact.clear();
    }
}
