package dev.vmbus.testkit;

import dev.vmbus.agent.Agent;
import dev.vmbus.agent.AgentVertx;
import dev.vmbus.bus.Addresses;
import dev.vmbus.bus.ChannelEvent;
import dev.vmbus.bus.DeviceRegistry;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.Offer;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.TransportType;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.transport.HostTransport;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * The agent as {@code vmbus run} builds it on {@code sim}, for a test: the one composition root,
 * {@link Agent}, started with the given handlers and config sections, no dashboard, and a {@link ScriptedHost} as
 * its host end (4 KiB ring headers, {@link #GUEST_MEMORY} of guest memory for GPA-direct packets). It runs on a
 * Vert.x of its own ({@link #start(List, Map)}) or on the caller's ({@link #start(Vertx, List, Map)},
 * {@link #startAsync}, e.g. the one {@code VertxExtension} injects), one agent per Vert.x at a time.
 * {@link #close()} stops the agent (its channels closed) and closes Vert.x only if it made it.
 *
 * <p>Threads: the blocking methods are for a test thread (every wait is bounded by {@link ScriptedHost#TIMEOUT})
 * and fail at once with an {@link IllegalStateException} on an event loop; each has a variant returning a
 * {@link Future} for a test on an event loop ({@code VertxTestContext}): {@link #startAsync}, {@link #openAsync},
 * {@link #stateAsync}, {@link #stateWhen}, {@link #eventWhen}, {@link #closeAsync}. The lifecycle events are
 * collected from the event bus into a concurrent list.
 *
 * <p>It is also the one agent harness of the agent's own tests (tests of the composition root itself, its
 * transports and builder options, call {@link Agent#builder} as {@code vmbus run} does). What those tests
 * need beyond the public kit goes through one narrow, package-private seam, opened only by {@code AgentInternals}
 * in the test sources, so that nothing of it is in the kit's public signatures nor in a plug-in's reach:
 * {@code start(VmbusConfig)}, the whole agent as {@code vmbus run} builds it from a configuration (installed
 * plug-ins, the simulated host, the dashboard), and {@code start(Agent.Builder)}, that agent with the builder's
 * options (handlers, device sections, a host end of the test's), with {@code agent()} to reach them; and a raw host end, a test's own
 * {@code HostTransport.ChannelListener} offered through the {@link ScriptedHost}'s transport on its context.
 */
public final class TestAgent implements AutoCloseable {
    /** Guest memory the host gives the guest: 256 pages that devices allocate GPA-direct pages from. */
    public static final long GUEST_MEMORY = 1 << 20;
    /** Ring header bytes of the sim transport here, whatever the machine's page size (Linux's is a page). */
    static final int RING_HEADER = 4096;
    private static final VmbusConfig CONFIG = ConfigLoader.parse("{\"dashboard\": {\"enabled\": false}}", "test-kit");

    private final Vertx vertx;
    private final boolean ownsVertx;
    private final Agent agent;
    private final ScriptedHost host;
    private final MessageConsumer<ChannelEvent> consumer;
    private final List<LifecycleEvent> events;

    private TestAgent(Vertx vertx, boolean ownsVertx, Agent agent, ScriptedHost host,
                      MessageConsumer<ChannelEvent> consumer, List<LifecycleEvent> events) {
        this.vertx = vertx;
        this.ownsVertx = ownsVertx;
        this.agent = agent;
        this.host = host;
        this.consumer = consumer;
        this.events = events;
    }

    /**
     * The device plug-ins {@link java.util.ServiceLoader} finds on the class path, as {@code vmbus run} finds them
     * (the built-in devices and yours, if its {@code META-INF/services/dev.vmbus.spi.DevicePlugin} names it), with
     * the same checks: two with one name, or two claiming one class, throw. Start an agent with them to test a
     * plug-in exactly as it is installed.
     */
    public static List<DevicePlugin<?>> installed() {
        return DeviceRegistry.load(Map.of(), TransportType.SIM).installed();
    }

    /** The agent with {@code handlers}, each enabled or not as it says by default, on a Vert.x of its own. */
    public static TestAgent start(DevicePlugin<?>... handlers) {
        return start(List.of(handlers), Map.of());
    }

    /**
     * The agent with {@code handlers} configured by {@code devices} (name to section, as under {@code devices} in
     * the config file), on a Vert.x of its own. A bad section throws the registry's
     * {@link IllegalArgumentException}, before anything runs.
     */
    public static TestAgent start(List<? extends DevicePlugin<?>> handlers, Map<String, JsonObject> devices) {
        ScriptedHost.refuseEventLoop("the agent to start");
        Vertx vertx = Vertx.vertx();
        try {
            return start(vertx, true, handlers, devices);
        } catch (RuntimeException | Error e) {
            vertx.close();
            throw e;
        }
    }

    /** As {@link #start(List, Map)}, on {@code vertx}, which {@link #close()} leaves open. */
    public static TestAgent start(Vertx vertx, List<? extends DevicePlugin<?>> handlers, Map<String, JsonObject> devices) {
        ScriptedHost.refuseEventLoop("the agent to start");
        return start(vertx, false, handlers, devices);
    }

    /**
     * As {@link #start(Vertx, List, Map)}, without blocking the caller: the agent is built on a thread of its own
     * (not one of Vert.x's, on which {@link Agent}'s start may not wait); a bad section fails the future with the
     * registry's {@link IllegalArgumentException}. The future completes on that thread.
     */
    public static Future<TestAgent> startAsync(Vertx vertx, List<? extends DevicePlugin<?>> handlers,
                                               Map<String, JsonObject> devices) {
        Promise<TestAgent> started = Promise.promise();
        Thread.ofPlatform().daemon().name("vmbus-testkit-start").start(() -> {
            try {
                started.complete(start(vertx, false, handlers, devices));
            } catch (Throwable e) {
                started.fail(e);
            }
        });
        return started.future();
    }

    private static TestAgent start(Vertx vertx, boolean ownsVertx, List<? extends DevicePlugin<?>> handlers,
                                   Map<String, JsonObject> devices) {
        AtomicReference<ScriptedHost> host = new AtomicReference<>();
        return start(vertx, ownsVertx, Agent.builder(CONFIG).handlers(handlers).devices(devices)
                .simRingHeader(RING_HEADER)
                .hostEnd((context, transport) -> {
                    ScriptedHost h = new ScriptedHost(context, transport, RING_HEADER);
                    host.set(h);
                    return h.start(GUEST_MEMORY);
                }), host);
    }

    /**
     * The agent's own tests' seam (through {@code AgentInternals} in the test sources, never the kit's public API):
     * the whole agent as {@code vmbus run} builds it from {@code config} on a Vert.x of its own, with the plug-ins the
     * ServiceLoader finds, the simulated host the configuration describes as its host end (so {@link #host()} has no
     * scripted host to give) and the dashboard if the configuration enables it ({@link #agent()}).
     */
    static TestAgent start(VmbusConfig config) {
        ScriptedHost.refuseEventLoop("the agent to start");
        return startOwning(Vertx.vertx(), Agent.builder(config));
    }

    /**
     * The agent's own tests' seam (through {@code AgentInternals}): the agent {@code builder} describes (its
     * configuration and options: handlers, device sections, a host end of the test's), on the Vert.x the builder
     * makes when given none, as {@code vmbus run} runs ({@link AgentVertx}: one event loop that the channels and, on
     * sim, the host end share); {@link #close()} stops the agent and closes that Vert.x. {@link #host()} has no
     * scripted host to give. Not for {@code simHostLoop}: the host's own Vert.x closes only in {@link Agent#close()},
     * which a test of that option calls itself.
     */
    static TestAgent start(Agent.Builder builder) {
        ScriptedHost.refuseEventLoop("the agent to start");
        return startOwning(AgentVertx.create(), builder);
    }

    /** Starts {@code builder} on {@code vertx}, which the agent then owns (closed here if the start fails). */
    private static TestAgent startOwning(Vertx vertx, Agent.Builder builder) {
        try {
            return start(vertx, true, builder, new AtomicReference<>());
        } catch (RuntimeException | Error e) {
            vertx.close();
            throw e;
        }
    }

    /** Starts {@code builder} on {@code vertx}; {@code host} holds the scripted host once started, if there is one. */
    private static TestAgent start(Vertx vertx, boolean ownsVertx, Agent.Builder builder,
                                   AtomicReference<ScriptedHost> host) {
        List<LifecycleEvent> events = new CopyOnWriteArrayList<>();
        // registered before the agent deploys, so that no channel's first event is missed
        MessageConsumer<ChannelEvent> consumer = vertx.eventBus().localConsumer(Addresses.CHANNELS,
                m -> events.add(LifecycleEvent.of(m.body())));
        try {
            Agent agent = builder.vertx(vertx).start();
            return new TestAgent(vertx, ownsVertx, agent, host.get(), consumer, events);
        } catch (RuntimeException | Error e) {
            consumer.unregister();
            throw e;
        } catch (Exception e) {
            consumer.unregister();
            throw new AssertionError("the agent did not start: " + e, e);
        }
    }

    public Vertx vertx() {
        return vertx;
    }

    public ScriptedHost host() {
        if (host == null) {
            throw new IllegalStateException("this agent's host end is the simulated host of its configuration"
                    + " or its builder's host end, not a scripted host");
        }
        return host;
    }

    /**
     * The agent's own tests' seam (through {@code AgentInternals} in the test sources, never the kit's public API):
     * the composition root this kit started, for what a plug-in's test has no business with (its dashboard, its
     * simulated host, its registry).
     */
    Agent agent() {
        return agent;
    }

    /** Offers a channel of {@code classId} and waits until the guest has opened it. */
    public ScriptedHost.Channel open(int relid, UUID classId) {
        ScriptedHost.refuseEventLoop("the guest to open channel " + relid);
        return ScriptedHost.await(openAsync(relid, classId), "the guest to open channel " + relid);
    }

    /** As {@link #open(int, UUID)}, without blocking (and without a time limit). */
    public Future<ScriptedHost.Channel> openAsync(int relid, UUID classId) {
        return openAsync(relid, classId, HostTransport.Buffers.NONE);
    }

    /**
     * Offers a channel of {@code classId} that shares a receive and a send buffer of {@code buffers}' sizes, with
     * the default ring size, and waits until the guest has opened it.
     */
    public ScriptedHost.Channel open(int relid, UUID classId, HostTransport.Buffers buffers) {
        ScriptedHost.refuseEventLoop("the guest to open channel " + relid);
        return ScriptedHost.await(openAsync(relid, classId, buffers), "the guest to open channel " + relid);
    }

    /** As {@link #open(int, UUID, HostTransport.Buffers)}, without blocking (and without a time limit). */
    public Future<ScriptedHost.Channel> openAsync(int relid, UUID classId, HostTransport.Buffers buffers) {
        return host().offerAsync(new Offer(relid, classId, UUID.randomUUID(), 0, ScriptedHost.DEFAULT_RING_SIZE), buffers)
                .compose(ScriptedHost.Channel::opened);
    }

    /** Device {@code name}'s state, as the dashboard reads it. Blocks: from an event loop use {@link #stateAsync}. */
    public JsonObject state(String name) {
        return ScriptedHost.await(readState(name), name + "'s state");
    }

    /** As {@link #state}, without blocking. */
    public Future<JsonObject> stateAsync(String name) {
        return readState(name);
    }

    /** Waits for device {@code name}'s state to satisfy {@code condition}; returns it. */
    public JsonObject awaitState(String name, Predicate<JsonObject> condition, String what) {
        return StatePoll.until(vertx, () -> readState(name), condition, what);
    }

    /** As {@link #awaitState}, without blocking: fails with what it last saw after {@link ScriptedHost#TIMEOUT}. */
    public Future<JsonObject> stateWhen(String name, Predicate<JsonObject> condition, String what) {
        return StatePoll.untilAsync(vertx, () -> readState(name), condition, what);
    }

    private Future<JsonObject> readState(String name) {
        return vertx.eventBus().<JsonObject>request(Addresses.deviceState(name), null).map(Message::body);
    }

    /** Waits for the first lifecycle event of channel {@code relid} that puts it in {@code state}. */
    public LifecycleEvent awaitEvent(ChannelState state, int relid) {
        return StatePoll.until(vertx, () -> Future.succeededFuture(event(state, relid)), e -> e != null,
                "channel " + relid + " to be " + ChannelEvent.name(state));
    }

    /** As {@link #awaitEvent}, without blocking: fails after {@link ScriptedHost#TIMEOUT}. */
    public Future<LifecycleEvent> eventWhen(ChannelState state, int relid) {
        return StatePoll.untilAsync(vertx, () -> Future.succeededFuture(event(state, relid)), e -> e != null,
                "channel " + relid + " to be " + ChannelEvent.name(state));
    }

    private LifecycleEvent event(ChannelState state, int relid) {
        for (LifecycleEvent e : events) {
            if (e.state() == state && e.relid() == relid) {
                return e;
            }
        }
        return null;
    }

    /** Every lifecycle event seen so far, oldest first. */
    public List<LifecycleEvent> events() {
        return List.copyOf(events);
    }

    /**
     * Stops the agent (each channel closed, the host told), then closes Vert.x if this kit made it; on the caller's
     * Vert.x the agent's deployments are gone and Vert.x runs on.
     */
    @Override
    public void close() {
        ScriptedHost.refuseEventLoop("the agent to stop");
        try {
            ScriptedHost.await(agent.stop(), "the agent's channels to close");
        } finally {
            consumer.unregister();
            if (ownsVertx) {
                ScriptedHost.await(vertx.close(), "Vert.x to close");
            }
        }
    }

    /** As {@link #close()}, without blocking. */
    public Future<Void> closeAsync() {
        Future<Void> stopped = agent.stop().eventually(consumer::unregister);
        if (!ownsVertx) {
            return stopped;
        }
        return stopped.transform(ar -> ScriptedHost.closeVertx(vertx));
    }
}
