package dev.vmbus.dashboard;

import dev.vmbus.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;

import java.util.ArrayList;
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
    private static final DeliveryOptions QUICK = new DeliveryOptions().setSendTimeout(2000);

    private final DashboardOptions options;
    private final HostControl host;
    private final EventLog events = new EventLog();
    private final StreamHub stream = new StreamHub(DashboardOptions.MAX_STREAM_CLIENTS);
    /** The live stream's snapshot timer, -1 while nobody watches. */
    private long tick = -1;
    private AccessControl access;
    private HttpServer server;

    /** @param host the simulated host to show and drive, or null */
    public DashboardServer(DashboardOptions options, HostControl host) {
        this.options = options;
        this.host = host;
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
        access = AccessControl.of(options.host(), options.token());
        vertx.eventBus().<JsonObject>localConsumer(Addresses.CHANNELS, m -> stream.send("event", events.add(m.body())));
        server = vertx.createHttpServer().requestHandler(router());
        return server.listen(options.port(), options.host()).onSuccess(s -> {
            String url = "http://" + (options.host().contains(":") ? "[" + options.host() + "]" : options.host())
                    + ":" + s.actualPort() + "/";
            LOG.info("dashboard at " + url + (access.generated() && host != null
                    ? " (host control: " + url + "#token=" + access.token() + ")" : ""));
        });
    }

    /**
     * Sends a snapshot to the live stream every updateIntervalMs while somebody watches it; the timer exists only
     * then, so an agent nobody watches has no dashboard wake-ups. Runs on this verticle's context.
     */
    private void tickWhileWatched() {
        if (tick >= 0 || stream.size() == 0) {
            return;
        }
        tick = vertx.setPeriodic(options.updateIntervalMs(), t -> {
            if (stream.size() == 0) {
                vertx.cancelTimer(tick);
                tick = -1;
                return;
            }
            snapshot().onSuccess(s -> stream.send("snapshot", s));
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
        r.get("/metrics").handler(ctx -> channels().onComplete(ar -> ctx.response()
                .putHeader("Content-Type", PrometheusFormat.CONTENT_TYPE)
                .end(PrometheusFormat.render(ar.succeeded() ? ar.result() : new JsonObject()))));
        r.get("/api/channels").handler(ctx -> channels().onComplete(ar -> reply(ctx, ar.map(s -> s.getJsonArray("channels")))));
        r.get("/api/channels/:relid").handler(this::oneChannel);
        r.get("/api/devices").handler(ctx -> devices().onComplete(ar -> reply(ctx, ar)));
        r.get("/api/devices/:name").handler(this::oneDevice);
        r.get("/api/events").handler(ctx -> json(ctx, events.toJson()));
        r.get("/api/snapshot").handler(ctx -> snapshot().onComplete(ar -> reply(ctx, ar)));
        r.get("/api/stream").handler(ctx -> {
            stream.open(ctx);
            tickWhileWatched();
        });
        r.get("/api/config").handler(ctx -> json(ctx, new JsonObject()
                .put("updateIntervalMs", options.updateIntervalMs())
                .put("devices", new JsonArray(options.deviceNames()))
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

    private void oneChannel(RoutingContext ctx) {
        int relid;
        try {
            relid = Integer.parseInt(ctx.pathParam("relid"));
        } catch (NumberFormatException e) {
            error(ctx, 400, "relid must be an integer, got '" + ctx.pathParam("relid") + "'");
            return;
        }
        channels().onComplete(ar -> {
            if (ar.failed()) {
                error(ctx, 503, ar.cause().getMessage());
                return;
            }
            JsonArray all = ar.result().getJsonArray("channels");
            for (int i = 0; i < all.size(); i++) {
                if (all.getJsonObject(i).getInteger("relid") == relid) {
                    json(ctx, all.getJsonObject(i));
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
        vertx.eventBus().<JsonObject>request(Addresses.deviceState(name), null, QUICK)
                .onComplete(ar -> reply(ctx, ar.map(m -> m.body())));
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

    /** Every channel as the agent sees it (or, in a host-only process, as the host sees it). */
    private Future<JsonObject> channels() {
        return vertx.eventBus().<JsonObject>request(Addresses.STATS_NOW, null, QUICK).map(m -> m.body())
                .recover(e -> host instanceof HostChannels hc ? hc.channels()
                        : Future.succeededFuture(new JsonObject().put("channels", new JsonArray())));
    }

    private Future<JsonObject> devices() {
        List<Future<JsonObject>> states = new ArrayList<>();
        for (String name : options.deviceNames()) {
            states.add(vertx.eventBus().<JsonObject>request(Addresses.deviceState(name), null, QUICK)
                    .map(m -> m.body()).otherwise(e -> new JsonObject().put("error", e.getMessage())));
        }
        return Future.join(states).map(x -> {
            JsonObject out = new JsonObject();
            for (int i = 0; i < states.size(); i++) {
                out.put(options.deviceNames().get(i), states.get(i).result());
            }
            return out;
        });
    }

    private Future<JsonObject> snapshot() {
        Future<JsonObject> channels = channels();
        Future<JsonObject> devices = devices();
        Future<JsonObject> hostState = host != null ? host.state().otherwise(e -> new JsonObject().put("error", e.getMessage()))
                : Future.succeededFuture(null);
        return Future.join(channels, devices, hostState).map(x -> new JsonObject()
                .put("timestamp", System.currentTimeMillis())
                .put("channels", channels.result().getJsonArray("channels"))
                .put("devices", devices.result())
                .put("host", hostState.result()));
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

    /** Implemented by a host control that can also list its own ends of the channels (host-only processes). */
    public interface HostChannels {
        Future<JsonObject> channels();
    }

}
