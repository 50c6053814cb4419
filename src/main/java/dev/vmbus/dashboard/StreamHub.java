package dev.vmbus.dashboard;

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
 */
final class StreamHub {
    private final List<HttpServerResponse> clients = new ArrayList<>();
    private final int max;

    StreamHub(int max) {
        this.max = max;
    }

    void open(RoutingContext ctx) {
        if (clients.size() >= max) {
            ctx.response().setStatusCode(503).putHeader("Content-Type", "application/json")
                    .end("{\"error\":\"too many live-stream clients (" + max + ")\"}");
            return;
        }
        HttpServerResponse response = ctx.response().setChunked(true)
                .putHeader("Content-Type", "text/event-stream")
                .putHeader("Cache-Control", "no-cache")
                .putHeader("X-Accel-Buffering", "no");
        response.write(": vmbus live stream\nretry: 2000\n\n");
        clients.add(response);
        response.closeHandler(v -> clients.remove(response));
        response.exceptionHandler(e -> clients.remove(response));
    }

    int size() {
        return clients.size();
    }

    void send(String event, JsonObject data) {
        if (clients.isEmpty()) {
            return;
        }
        String frame = "event: " + event + "\ndata: " + data.encode() + "\n\n";
        for (HttpServerResponse r : List.copyOf(clients)) {
            if (!r.writeQueueFull()) {
                r.write(frame);
            }
        }
    }

    void closeAll() {
        for (HttpServerResponse r : List.copyOf(clients)) {
            r.end();
        }
        clients.clear();
    }
}
