package dev.vmbus.dashboard;

import dev.vmbus.bus.Addresses;
import dev.vmbus.bus.AgentSnapshot;
import dev.vmbus.bus.ChannelView;
import dev.vmbus.host.HostChannels;
import dev.vmbus.host.HostControl;
import dev.vmbus.transport.KernelCounters;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * What the dashboard shows at one moment, taken for the API, the stream, {@code /metrics} and the history: the
 * agent's typed snapshot (or, in a host-only process, the host's), the device handlers' states, and the JSON of
 * both with health, rates and summary decided once.
 *
 * <p>Threads: made and used on the dashboard verticle's context only.
 */
final class Views {
    /** How long a request for one snapshot part (the agent's, a device's) may take before it is shown without. */
    static final DeliveryOptions QUICK = new DeliveryOptions().setSendTimeout(2000);

    /**
     * The agent's typed snapshot and its JSON ({@code {timestamp, channels, devices, summary}}). Shared by the
     * requests that arrive while it is taken, so callers only read it (or copy).
     */
    record View(AgentSnapshot agent, JsonObject json) {
    }

    private final Vertx vertx;
    private final DashboardOptions options;
    private final HostControl host;
    private final HealthRules rules;
    private final History history;
    /** {@link #QUICK}, or a shorter wait in tests of what a too-busy agent's view shows. */
    private DeliveryOptions quick = QUICK;
    private Future<View> inFlight;
    /** The agent's last full snapshot, for when it is too busy to give one in time; null until the first. */
    private AgentSnapshot lastAgent;

    Views(Vertx vertx, DashboardOptions options, HostControl host, HealthRules rules, History history) {
        this.vertx = vertx;
        this.options = options;
        this.host = host;
        this.rules = rules;
        this.history = history;
    }

    /** How long each request for a part of the view may take instead of {@link #QUICK}'s (tests); returns this. */
    Views replyTimeout(long ms) {
        quick = new DeliveryOptions().setSendTimeout(ms);
        return this;
    }

    /**
     * Every channel as the agent sees it (or, in a host-only process, as the host sees it). An agent too busy to
     * gather every channel's figures in time (a host flooding it) still has every channel listed: its listing
     * without figures, or else the last snapshot it gave, never an empty list (issue 19 item 8: faulted channels
     * must not vanish from {@code /api/channels} while the host keeps their offers).
     */
    private Future<AgentSnapshot> channels() {
        Future<AgentSnapshot> channels = vertx.eventBus().<AgentSnapshot>request(Addresses.STATS_NOW, null, quick)
                .map(m -> remember(m.body()))
                .recover(e -> {
                    if (noAgentHere(e)) {
                        return host instanceof HostChannels hc ? hc.channels().map(Views::hostEnds)
                                : Future.succeededFuture(new AgentSnapshot(System.currentTimeMillis(), List.of()));
                    }
                    return vertx.eventBus().<AgentSnapshot>request(Addresses.CHANNEL_LIST, null, quick)
                            .map(m -> m.body())
                            .recover(e2 -> Future.succeededFuture(lastAgent != null ? lastAgent
                                    : new AgentSnapshot(System.currentTimeMillis(), List.of())));
                });
        return channels.compose(this::withKernelCountersIfUio);
    }

    /** The host's ends as the agent's listing shows channels: no device use, no complaints. */
    private static AgentSnapshot hostEnds(List<HostChannels.End> ends) {
        return new AgentSnapshot(System.currentTimeMillis(), ends.stream()
                .map(e -> ChannelView.hostEnd(e.offer(), e.className(), e.state(), e.stats())).toList());
    }

    /** Whether nobody in this process answers for an agent (a host-only process). */
    private static boolean noAgentHere(Throwable e) {
        return e instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS;
    }

    private AgentSnapshot remember(AgentSnapshot snapshot) {
        lastAgent = snapshot;
        return snapshot;
    }

    private Future<AgentSnapshot> withKernelCountersIfUio(AgentSnapshot snapshot) {
        return options.kernelCounters() == null ? Future.succeededFuture(snapshot) : withKernelCounters(snapshot);
    }

    /**
     * Adds the kernel's own sysfs attributes of each channel, read on a worker (blocking file I/O); on failure the
     * channels go out without them.
     */
    private Future<AgentSnapshot> withKernelCounters(AgentSnapshot snapshot) {
        return vertx.executeBlocking(() -> options.kernelCounters().read(), false)
                .map(snapshot::withKernel)
                .otherwise(e -> snapshot);
    }

    private Future<JsonObject> devices() {
        List<Future<JsonObject>> states = new ArrayList<>();
        for (String name : options.deviceNames()) {
            states.add(vertx.eventBus().<JsonObject>request(Addresses.deviceState(name), null, quick)
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

    /** The view as it is now; requests that arrive while one is being taken share it. */
    Future<View> current() {
        // Requests that arrive while one view is being taken share it (the history tick takes its own): at 256
        // channels a view is the expensive part of every API call. Shared, so callers only read it or copy.
        if (inFlight != null) {
            return inFlight;
        }
        Future<View> taking = take(channels());
        inFlight = taking;
        taking.onComplete(ar -> inFlight = null);
        return taking;
    }

    /** A view of a snapshot the agent published (the kernel's counters added on uio). */
    Future<View> of(AgentSnapshot published) {
        return take(withKernelCountersIfUio(remember(published)));
    }

    /** A view taken now, not shared: for the tick where nothing publishes. */
    Future<View> fresh() {
        return take(channels());
    }

    /**
     * Channels and devices with their health decided and the summary, in one round: the channels' snapshot and
     * one state request per device handler, in parallel.
     */
    private Future<View> take(Future<AgentSnapshot> channels) {
        Future<JsonObject> devices = devices();
        return Future.join(channels, devices).map(x -> {
            long now = System.currentTimeMillis();
            JsonArray list = StatsJson.channels(channels.result());
            JsonObject devs = devices.result();
            JsonObject summary = rules.annotate(list, devs, now);
            for (int i = 0; i < list.size(); i++) {
                JsonObject c = list.getJsonObject(i);
                JsonObject rates = history.rates(c.getInteger("relid"));
                if (rates != null && c.containsKey("stats")) {
                    c.put("rates", rates);
                }
            }
            return new View(channels.result(), new JsonObject().put("timestamp", now).put("channels", list)
                    .put("devices", devs).put("summary", summary));
        });
    }

    /** {@code view}'s JSON with the simulated host's state as {@code host} (null when there is none). */
    Future<JsonObject> withHost(Future<View> view) {
        Future<JsonObject> hostState = host != null ? host.state().otherwise(e -> new JsonObject().put("error", e.getMessage()))
                : Future.succeededFuture(null);
        return Future.join(view, hostState).map(x -> new JsonObject(new java.util.LinkedHashMap<>(view.result().json().getMap()))
                .put("host", hostState.result())); // shallow: the view itself is shared
    }
}
