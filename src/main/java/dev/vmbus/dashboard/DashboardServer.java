package dev.vmbus.dashboard;

import dev.vmbus.bus.Addresses;
import dev.vmbus.bus.AgentSnapshot;
import dev.vmbus.bus.ChannelEvent;
import dev.vmbus.spi.Complaints;
import dev.vmbus.channel.HostComplaints;
import dev.vmbus.host.HostControl;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;

import java.util.List;
import java.util.logging.Logger;

/**
 * The dashboard: static page, REST API under {@code /api}, the live stream, Prometheus {@code /metrics} and
 * {@code /health}. It reads snapshots only (from the agent over the event bus, and from the simulated host
 * through {@link HostControl}); it never touches a ring.
 */
public final class DashboardServer extends VerticleBase {
    private static final Logger LOG = Logger.getLogger(DashboardServer.class.getName());
    private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            + " connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

    private final DashboardOptions options;
    private final HostControl host;
    private final EventLog events = new EventLog();
    private final StreamHub stream = new StreamHub(DashboardOptions.MAX_STREAM_CLIENTS);
    private final HealthRules rules;
    private final History history;
    private Views views;
    private boolean ticking;
    private final CompactChannels.Changes changes = new CompactChannels.Changes();
    /** {@code /api/channels?form=compact} as of the last interval, encoded once; null before the first. */
    private Buffer compactChannels;
    private final PrometheusFormat metrics;

    private AccessControl access;
    private HttpServer server;

    /** @param host the simulated host to show and drive, or null */
    public DashboardServer(DashboardOptions options, HostControl host) {
        this.options = options;
        this.host = host;
        this.metrics = new PrometheusFormat(options.devicesByName());
        this.rules = new HealthRules(options.config().health(), options.devicesByName());
        this.history = new History(options.config().updateIntervalMs(), options.devicesByName());
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return server.actualPort();
    }

    /** The token host control needs (configured, or generated at start). */
    public String token() {
        return access.token();
    }

    @Override
    public Future<?> start() {
        access = AccessControl.of(options.config().host(), options.config().effectiveToken());
        views = new Views(vertx, options, host, rules, history);
        // Lifecycle events arrive as objects; this is where they become the JSON the page and /api/events show.
        vertx.eventBus().<ChannelEvent>localConsumer(Addresses.CHANNELS,
                m -> stream.send("event", events.add(m.body().toJson())));
        // Every interval, whether or not anyone watches: history must already hold the last minutes when the
        // page is opened. The agent publishes one snapshot per interval on vmbus.stats and the tick is built from
        // it, so an idle agent takes one snapshot per interval, not two. Until the first one arrives (and for
        // good in the host's own process, where nothing publishes) a timer takes them. A tick still running when
        // the next is due is not doubled.
        long ownTicks = vertx.setPeriodic(options.config().updateIntervalMs(), t -> tick(views::fresh));
        vertx.eventBus().<AgentSnapshot>localConsumer(Addresses.STATS, m -> {
            vertx.cancelTimer(ownTicks);
            if (!ticking) {
                tick(() -> views.of(m.body()));
            }
        });
        server = vertx.createHttpServer().requestHandler(router());
        String bind = options.config().host();
        return server.listen(options.config().port(), bind).onSuccess(s -> {
            String url = "http://" + (bind.contains(":") ? "[" + bind + "]" : bind) + ":" + s.actualPort() + "/";
            LOG.info("dashboard at " + url + (access.generated() && host != null
                    ? " (host control: " + url + "#token=" + access.token() + ")" : ""));
        });
    }

    @Override
    public Future<?> stop() {
        stream.closeAll();
        return server != null ? server.close() : Future.succeededFuture();
    }

    private Router router() {
        Router r = Router.router(vertx);
        r.route().handler(ctx -> {
            ctx.response().putHeader("Content-Security-Policy", CSP)
                    .putHeader("X-Content-Type-Options", "nosniff")
                    .putHeader("Referrer-Policy", "no-referrer")
                    .putHeader("X-Frame-Options", "DENY");
            ctx.next();
        });
        r.get("/health").handler(ctx -> json(ctx, new JsonObject().put("status", "UP")));
        r.route("/api/*").handler(access::checkRead);
        r.route("/metrics").handler(access::checkRead);
        r.get("/metrics").handler(ctx -> views.current().onComplete(ar -> {
            Views.View v = ar.succeeded() ? ar.result() : new Views.View(new AgentSnapshot(0, List.of()), new JsonObject());
            ctx.response().putHeader("Content-Type", PrometheusFormat.CONTENT_TYPE)
                    .end(metrics.render(v.agent(), v.json(),
                            Complaints.of(vertx).tally(HostComplaints.TRANSPORT), System.currentTimeMillis()));
        }));
        r.get("/api/channels").handler(this::channels);
        r.get("/api/channels/:relid").handler(this::oneChannel);
        r.get("/api/devices").handler(ctx -> views.current().onComplete(ar -> reply(ctx, ar.map(s -> s.json().getJsonObject("devices")))));
        r.get("/api/health").handler(ctx -> views.current().onComplete(ar -> reply(ctx, ar.map(s -> healthOnly(s.json())))));
        r.get("/api/history").handler(ctx -> since(ctx, since -> json(ctx, history.overview(since, options.config().updateIntervalMs()))));
        r.get("/api/history/:relid").handler(this::channelHistory);
        r.get("/api/devices/:name").handler(this::oneDevice);
        r.get("/api/events").handler(ctx -> json(ctx, events.toJson()));
        r.get("/api/snapshot").handler(ctx -> views.withHost(views.current()).onComplete(ar -> reply(ctx, ar)));
        r.get("/api/stream").handler(stream::open);
        r.get("/api/config").handler(ctx -> json(ctx, new JsonObject()
                .put("updateIntervalMs", options.config().updateIntervalMs())
                .put("devices", new JsonArray(options.deviceNames()))
                .put("settings", options.settingsJson())
                .put("host", host != null)
                .put("hostActions", host != null ? new JsonArray(host.actions()) : new JsonArray())
                .put("tokenRequired", access.readRequiresToken())));
        if (host != null) {
            r.get("/api/host").handler(ctx -> host.state().onComplete(ar -> reply(ctx, ar)));
            r.route("/api/host/actions/*").handler(access::checkControl);
            r.post("/api/host/actions/:action").handler(BodyHandler.create().setBodyLimit(64 * 1024)
                    .setHandleFileUploads(false)).handler(this::hostAction);
        }
        r.route("/api/*").handler(ctx -> error(ctx, 404, "no such endpoint: " + ctx.request().method() + " " + ctx.request().path()));
        r.route("/webjars/*").handler(StaticHandler.create("META-INF/resources/webjars"));
        r.route("/*").handler(StaticHandler.create("webroot").setIndexPage("index.html"));
        return r;
    }

    /**
     * {@code GET /api/channels}: the full form (every field of every channel, taken now), or with
     * {@code ?form=compact} the table's fields as arrays, from the last update interval's view and encoded once
     * for every request in that interval.
     */
    private void channels(RoutingContext ctx) {
        String form = ctx.request().getParam("form", "full");
        switch (form) {
            case "full" -> views.current().onComplete(ar -> reply(ctx, ar.map(s -> s.json().getJsonArray("channels"))));
            case "compact" -> {
                if (compactChannels != null) {
                    ctx.response().putHeader("Content-Type", "application/json").end(compactChannels);
                } else { // before the first interval's view
                    views.current().onComplete(ar -> reply(ctx, ar.map(s -> CompactChannels.of(s.json()))));
                }
            }
            default -> error(ctx, 400, "form must be full or compact, got '" + form + "'");
        }
    }

    /** The {@code :relid} path parameter, or null after answering 400. */
    private static Integer relid(RoutingContext ctx) {
        try {
            return Integer.parseInt(ctx.pathParam("relid"));
        } catch (NumberFormatException e) {
            error(ctx, 400, "relid must be an integer, got '" + ctx.pathParam("relid") + "'");
            return null;
        }
    }

    private void oneChannel(RoutingContext ctx) {
        Integer relid = relid(ctx);
        if (relid == null) {
            return;
        }
        views.current().onComplete(ar -> {
            if (ar.failed()) {
                error(ctx, 503, ar.cause().getMessage());
                return;
            }
            JsonArray all = ar.result().json().getJsonArray("channels");
            for (int i = 0; i < all.size(); i++) {
                JsonObject c = all.getJsonObject(i);
                if (c.getInteger("relid") == relid) {
                    json(ctx, c.copy().put("device", deviceOf(ar.result().json().getJsonObject("devices"), c)));
                    return;
                }
            }
            error(ctx, 404, "no channel with relid " + relid);
        });
    }

    private void oneDevice(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        if (!options.deviceNames().contains(name)) {
            error(ctx, 404, "no enabled device handler named '" + name + "'");
            return;
        }
        // the handler's own answer (503 when it gives none), with its health as /api/devices decides it
        vertx.eventBus().<JsonObject>request(Addresses.deviceState(name), null, Views.QUICK)
                .compose(m -> views.current().map(view -> {
                    JsonObject state = m.body().copy();
                    JsonObject judged = view.json().getJsonObject("devices").getJsonObject(name);
                    if (judged != null && judged.getValue("health") != null) {
                        state.put("health", judged.getValue("health") instanceof JsonObject h ? h.copy() : judged.getValue("health"));
                    }
                    return state;
                }))
                .onComplete(ar -> reply(ctx, ar));
    }

    private void hostAction(RoutingContext ctx) {
        String action = ctx.pathParam("action");
        if (!host.actions().contains(action)) {
            error(ctx, 404, "no host action '" + action + "' (available: " + host.actions() + ")");
            return;
        }
        JsonObject params;
        try {
            params = ctx.body().length() == 0 ? new JsonObject() : ctx.body().asJsonObject();
        } catch (DecodeException | ClassCastException e) {
            error(ctx, 400, "the body must be a JSON object");
            return;
        }
        Future<JsonObject> result;
        try {
            result = host.act(action, params == null ? new JsonObject() : params);
        } catch (IllegalArgumentException e) {
            result = Future.failedFuture(e);
        }
        result.onComplete(ar -> {
            if (ar.succeeded()) {
                stream.send("event", events.add(new JsonObject().put("event", "host-action").put("action", action)
                        .put("params", params)));
                json(ctx, ar.result());
            } else if (ar.cause() instanceof IllegalArgumentException) {
                error(ctx, 400, ar.cause().getMessage());
            } else {
                error(ctx, 502, action + " failed: " + ar.cause().getMessage());
            }
        });
    }

    /** One history point (and, if anyone watches, one stream snapshot) from {@code view}; never two at once. */
    private void tick(java.util.function.Supplier<Future<Views.View>> view) {
        if (ticking) {
            return;
        }
        ticking = true;
        Future<Views.View> taken = view.get();
        // History needs only the view; the host's state is asked for only when someone watches the stream.
        Future<JsonObject> point = stream.size() > 0 ? views.withHost(taken) : taken.map(Views.View::json);
        point.onComplete(ar -> {
            ticking = false;
            if (ar.succeeded()) {
                JsonObject json = ar.result();
                history.record(json);
                if (stream.size() > 0 && json.containsKey("host")) {
                    json.put("history", history.latest());
                    stream.send("snapshot", json);
                }
                // every interval, watched or not: a compact client that joins starts from the latest whole list
                CompactChannels.Changes.Frames frames = changes.next(json);
                compactChannels = Buffer.buffer(frames.api());
                stream.sendCompact(frames);
            }
        });
    }

    /** {@code {summary, channels: [{relid, class, state, health}], devices: {name: health}}}. */
    private static JsonObject healthOnly(JsonObject view) {
        JsonArray channels = new JsonArray();
        view.getJsonArray("channels").forEach(o -> {
            JsonObject c = (JsonObject) o;
            channels.add(new JsonObject().put("relid", c.getInteger("relid")).put("class", c.getString("class"))
                    .put("state", c.getString("state")).put("health", c.getJsonObject("health")));
        });
        JsonObject devices = new JsonObject();
        view.getJsonObject("devices").forEach(e -> devices.put(e.getKey(), ((JsonObject) e.getValue()).getJsonObject("health")));
        return new JsonObject().put("summary", view.getJsonObject("summary")).put("channels", channels).put("devices", devices);
    }

    /** The device handler's view of one channel (its per-channel entry) and the device's health, or null. */
    private static JsonObject deviceOf(JsonObject devices, JsonObject channel) {
        JsonObject d = devices != null ? devices.getJsonObject(channel.getString("class", "")) : null;
        if (d == null) {
            return null;
        }
        JsonObject out = new JsonObject().put("name", channel.getString("class")).put("health", d.getJsonObject("health"));
        JsonArray list = d.getJsonArray("channels");
        for (int i = 0; list != null && i < list.size(); i++) {
            if (list.getJsonObject(i).getInteger("relid", -1).equals(channel.getInteger("relid"))) {
                out.put("channel", list.getJsonObject(i));
            }
        }
        d.forEach(e -> {
            if (!e.getKey().equals("channels") && !e.getKey().equals("health")) {
                out.put(e.getKey(), e.getValue());
            }
        });
        return out;
    }

    private void channelHistory(RoutingContext ctx) {
        Integer relid = relid(ctx);
        if (relid == null) {
            return;
        }
        since(ctx, since -> {
            JsonObject h = history.channel(relid, since);
            if (h == null) {
                error(ctx, 404, "no history for relid " + relid);
            } else {
                json(ctx, h.put("intervalMs", options.config().updateIntervalMs()));
            }
        });
    }

    /** Parses {@code ?since=} (epoch milliseconds, default: everything) and runs {@code then} with it. */
    private static void since(RoutingContext ctx, java.util.function.LongConsumer then) {
        String text = ctx.request().getParam("since");
        long since;
        try {
            since = text == null ? Long.MIN_VALUE : Long.parseLong(text);
        } catch (NumberFormatException e) {
            error(ctx, 400, "since must be epoch milliseconds, got '" + text + "'");
            return;
        }
        then.accept(since);
    }

    private static void reply(RoutingContext ctx, io.vertx.core.AsyncResult<?> ar) {
        if (ar.succeeded()) {
            json(ctx, ar.result());
        } else {
            error(ctx, 503, ar.cause().getMessage());
        }
    }

    private static void json(RoutingContext ctx, Object body) {
        String text = body instanceof JsonObject o ? o.encode() : body instanceof JsonArray a ? a.encode() : "null";
        ctx.response().putHeader("Content-Type", "application/json").end(text);
    }

    private static void error(RoutingContext ctx, int status, String message) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("error", message).encode());
    }

}
