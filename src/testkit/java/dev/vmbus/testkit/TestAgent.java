package dev.vmbus.testkit;

import dev.vmbus.bus.Addresses;
import dev.vmbus.bus.ChannelEvent;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.bus.DeviceRegistry;
import dev.vmbus.bus.LocalCodec;
import dev.vmbus.bus.VmbusVerticle;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.Offer;
import dev.vmbus.config.TransportType;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.sim.SimBus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * The agent as {@code vmbus run} builds it on {@code sim}, for a test: a Vert.x instance, the sim transport with a
 * {@link ScriptedHost} at its host end, a {@link DeviceRegistry} of the given handlers and config sections, and the
 * {@link VmbusVerticle} that opens a channel for every offer a handler claims, and {@link #GUEST_MEMORY} of guest
 * memory for GPA-direct packets. {@link #close()} ends it all.
 *
 * <p>Threads: for a test thread (every wait is bounded by {@link ScriptedHost#TIMEOUT}); the lifecycle events are
 * collected from the event bus into a concurrent list.
 */
public final class TestAgent implements AutoCloseable {
    /** Guest memory the host gives the guest: 256 pages that devices allocate GPA-direct pages from. */
    public static final long GUEST_MEMORY = 1 << 20;

    private final Vertx vertx;
    private final DeviceRegistry registry;
    private final ScriptedHost host;
    private final List<ChannelEvent> events = new CopyOnWriteArrayList<>();

    private TestAgent(DeviceRegistry registry) {
        this.registry = registry;
        this.vertx = Vertx.vertx();
        try {
            LocalCodec.register(vertx);
            vertx.eventBus().<ChannelEvent>localConsumer(Addresses.CHANNELS, m -> events.add(m.body()));
            SimBus bus = new SimBus(vertx, 4096);
            host = new ScriptedHost(vertx, bus);
            host.guestMemory(GUEST_MEMORY);
            ScriptedHost.await(vertx.deployVerticle(new VmbusVerticle(bus.guest(), registry)), "the agent to start");
        } catch (RuntimeException | AssertionError e) {
            vertx.close();
            throw e;
        }
    }

    /** The agent with {@code handlers}, each enabled or not as it says by default. */
    public static TestAgent start(DevicePlugin<?>... handlers) {
        return start(List.of(handlers), Map.of());
    }

    /**
     * The agent with {@code handlers} configured by {@code devices} (name to section, as under {@code devices} in
     * the config file). A bad section throws the registry's {@link IllegalArgumentException}, before anything runs.
     */
    public static TestAgent start(List<? extends DevicePlugin<?>> handlers, Map<String, JsonObject> devices) {
        return new TestAgent(DeviceRegistry.of(handlers, devices, TransportType.SIM));
    }

    public Vertx vertx() {
        return vertx;
    }

    public DeviceRegistry registry() {
        return registry;
    }

    public ScriptedHost host() {
        return host;
    }

    /** Offers a channel of {@code classId} and waits until the guest has opened it. */
    public ScriptedHost.Channel open(int relid, UUID classId) {
        return host.offer(relid, classId).awaitOpen();
    }

    /**
     * Offers a channel of {@code classId} that shares a receive and a send buffer of {@code buffers}' sizes, with
     * the default ring size, and waits until the guest has opened it.
     */
    public ScriptedHost.Channel open(int relid, UUID classId, HostTransport.Buffers buffers) {
        return host.offer(new Offer(relid, classId, UUID.randomUUID(), 0, ScriptedHost.DEFAULT_RING_SIZE), buffers)
                .awaitOpen();
    }

    /** Device {@code name}'s state, as the dashboard reads it. Blocks: from an event loop use {@link #stateAsync}. */
    public JsonObject state(String name) throws Exception {
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

    private Future<JsonObject> readState(String name) {
        return vertx.eventBus().<JsonObject>request(Addresses.deviceState(name), null).map(Message::body);
    }

    /** Waits for the first lifecycle event of channel {@code relid} that puts it in {@code state}. */
    public ChannelEvent awaitEvent(ChannelState state, int relid) {
        return StatePoll.until(vertx, () -> Future.succeededFuture(event(state, relid)), e -> e != null,
                "channel " + relid + " to be " + ChannelEvent.name(state));
    }

    private ChannelEvent event(ChannelState state, int relid) {
        for (ChannelEvent e : events) {
            if (e.state() == state && e.relid() == relid) {
                return e;
            }
        }
        return null;
    }

    /** Every lifecycle event seen so far, oldest first. */
    public List<ChannelEvent> events() {
        return List.copyOf(events);
    }

    /** Closes Vert.x and with it everything that runs on it. */
    @Override
    public void close() {
        ScriptedHost.await(vertx.close(), "Vert.x to close");
    }
}
