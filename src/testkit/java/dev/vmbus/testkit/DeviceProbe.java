package dev.vmbus.testkit;

import dev.vmbus.bus.Addresses;
import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.bus.DeviceVerticle;
import dev.vmbus.bus.LocalCodec;
import dev.vmbus.spi.OutboundPacket;
import dev.vmbus.spi.Reply;
import dev.vmbus.channel.Packet;
import dev.vmbus.config.TransportType;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.ring.PacketType;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * One device run by the framework with no channel under it: the test plays the channel verticle, sending packets
 * to {@code vmbus.device.<name>} exactly as a channel does and taking the answers. For a reply with an action the
 * probe tells the device it is written, as the channel does once the packet is on the ring (after
 * {@link #onReplyWritten}), or that it never will be, as a channel that closed first does ({@link #failReplyWrites}). Faster than a whole agent, and it
 * lets a test stand at the moment a reply reaches the ring.
 *
 * <p>Threads: the blocking methods are for a test thread (each waits at most {@link ScriptedHost#TIMEOUT}) and fail
 * at once with an {@link IllegalStateException} on an event loop; each has a variant returning a {@link Future} for a
 * test on an event loop ({@code VertxTestContext}): {@link #ofAsync}, {@link #sendAsync}, {@link #replyAsync},
 * {@link #exchangeAsync}, {@link #negotiateAsync}, {@link #stateAsync}, {@link #stateWhen}, {@link #closeAsync}. The
 * device runs on its own Vert.x context.
 */
public final class DeviceProbe implements AutoCloseable {
    /** The relid every packet arrives on. */
    public static final int RELID = 9;
    /** The transaction id {@link #exchange} sends and expects echoed. */
    public static final long TRANSACTION_ID = 77;

    private final Vertx vertx;
    /** True when the probe made {@link #vertx} (and so closes it); false for the caller's. */
    private final boolean ownsVertx;
    private final String deploymentId;
    private final String name;
    private final DeliveryOptions timeout = new DeliveryOptions().setSendTimeout(ScriptedHost.TIMEOUT.toMillis());
    private volatile Runnable onReplyWritten = () -> { };
    private volatile boolean failReplyWrites;

    private DeviceProbe(Vertx vertx, boolean ownsVertx, String name, String deploymentId) {
        this.vertx = vertx;
        this.ownsVertx = ownsVertx;
        this.name = name;
        this.deploymentId = deploymentId;
    }

    /** Runs {@code device} under the name {@code name}, on a Vert.x of its own. */
    public static DeviceProbe of(String name, Device device) {
        ScriptedHost.refuseEventLoop("device '" + name + "' to start");
        return started(deploy(Vertx.vertx(), true, name, device), name);
    }

    /** Runs {@code device} on the caller's {@code vertx} ({@link #close} undeploys it and leaves {@code vertx} open). */
    public static DeviceProbe of(Vertx vertx, String name, Device device) {
        ScriptedHost.refuseEventLoop("device '" + name + "' to start");
        return started(ofAsync(vertx, name, device), name);
    }

    /**
     * As {@link #of(Vertx, String, Device)}, without blocking: completes once the device has started, on a context
     * of {@code vertx}.
     */
    public static Future<DeviceProbe> ofAsync(Vertx vertx, String name, Device device) {
        return deploy(vertx, false, name, device);
    }

    /**
     * Runs the device {@code handler} makes from {@code config} (its section, without {@code enabled}) on {@code sim};
     * a bad section throws the handler's {@link IllegalArgumentException}, before anything runs.
     */
    public static <S> DeviceProbe of(DevicePlugin<S> handler, JsonObject config) {
        ScriptedHost.refuseEventLoop("device '" + handler.name() + "' to start");
        Device device = make(handler, config);
        return started(deploy(Vertx.vertx(), true, handler.name(), device), handler.name());
    }

    /** As {@link #of(DevicePlugin, JsonObject)}, on the caller's {@code vertx}. */
    public static <S> DeviceProbe of(Vertx vertx, DevicePlugin<S> handler, JsonObject config) {
        ScriptedHost.refuseEventLoop("device '" + handler.name() + "' to start");
        Device device = make(handler, config);
        return started(deploy(vertx, false, handler.name(), device), handler.name());
    }

    /**
     * As {@link #of(Vertx, DevicePlugin, JsonObject)}, without blocking; a bad section fails the future with the
     * handler's {@link IllegalArgumentException}.
     */
    public static <S> Future<DeviceProbe> ofAsync(Vertx vertx, DevicePlugin<S> handler, JsonObject config) {
        try {
            return deploy(vertx, false, handler.name(), make(handler, config));
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
    }

    /** Makes the device as the registry does: its settings bound from {@code config}, on {@code sim}. */
    private static <S> Device make(DevicePlugin<S> handler, JsonObject config) {
        DeviceContext context = new DeviceContext(handler.name(), config.copy(), TransportType.SIM);
        return handler.device(handler.settings(context), context);
    }

    /** Deploys {@code device} on {@code vertx}; when the probe owns {@code vertx}, a failure closes it first. */
    private static Future<DeviceProbe> deploy(Vertx vertx, boolean owns, String name, Device device) {
        Future<DeviceProbe> probe;
        try {
            LocalCodec.register(vertx);
            probe = vertx.deployVerticle(new DeviceVerticle(name, device)).map(id -> new DeviceProbe(vertx, owns, name, id));
        } catch (RuntimeException e) {
            probe = Future.failedFuture(e);
        }
        return !owns ? probe : probe.recover(e -> ScriptedHost.closeVertx(vertx).transform(closed -> Future.failedFuture(e)));
    }

    private static DeviceProbe started(Future<DeviceProbe> probe, String name) {
        return ScriptedHost.await(probe, "device '" + name + "' to start");
    }

    public Vertx vertx() {
        return vertx;
    }

    /** Runs (on the test thread, inside {@link #send}) when a reply with an action is "written", before the action may start. */
    public DeviceProbe onReplyWritten(Runnable hook) {
        onReplyWritten = hook;
        return this;
    }

    /** From now on, a reply with an action never reaches the "ring" (as when its channel closed first). */
    public DeviceProbe failReplyWrites(boolean fail) {
        failReplyWrites = fail;
        return this;
    }

    /**
     * Sends an in-band packet as a host would; returns the device's reply, or empty when it sent none. Blocks: from a
     * Vert.x event loop (a {@code VertxTestContext} test, a verticle) use {@link #sendAsync}.
     */
    public Optional<OutboundPacket> send(byte[] payload, long transactionId) throws Exception {
        ScriptedHost.refuseEventLoop(name + " to answer a packet"); // before anything is sent
        return answered(ScriptedHost.await(request(payload, transactionId), name + " to answer a packet"));
    }

    /**
     * As {@link #send}, without blocking: completes with the reply (or empty), on the Vert.x context the probe's
     * request was made from; {@link #onReplyWritten} then runs there too.
     */
    public Future<Optional<OutboundPacket>> sendAsync(byte[] payload, long transactionId) {
        return request(payload, transactionId).map(this::answered);
    }

    private Future<Message<Object>> request(byte[] payload, long transactionId) {
        Packet p = new Packet(RELID, PacketType.DATA_INBAND, 0, transactionId, payload.clone());
        return vertx.eventBus().request(Addresses.device(name), p, timeout);
    }

    private Optional<OutboundPacket> answered(Message<Object> answer) {
        if (!(answer.body() instanceof DeviceVerticle.Answer device)) {
            throw new AssertionError("the device answered with a "
                    + (answer.body() == null ? "null" : answer.body().getClass().getName()));
        }
        if (!(device.reply() instanceof Reply.Send send)) {
            return Optional.empty();
        }
        if (send.afterWrite() != null) { // reply, then act: say so as the channel does once it is written
            if (failReplyWrites) {
                device.written(new IllegalStateException("channel " + RELID + " closed before the reply was written"));
            } else {
                onReplyWritten.run(); // before the channel says so: the action cannot have started yet
                device.written(null);
            }
        }
        return Optional.of(send.packet());
    }

    /** Sends and returns the reply; fails the test when the device sends none. */
    public OutboundPacket reply(byte[] payload, long transactionId) throws Exception {
        return replied(send(payload, transactionId));
    }

    /** As {@link #reply}, without blocking: fails with an {@link AssertionError} when the device sends none. */
    public Future<OutboundPacket> replyAsync(byte[] payload, long transactionId) {
        return sendAsync(payload, transactionId).map(this::replied);
    }

    private OutboundPacket replied(Optional<OutboundPacket> reply) {
        return reply.orElseThrow(() -> new AssertionError(name + " sent no reply"));
    }

    /**
     * Sends with {@link #TRANSACTION_ID} and returns the reply's payload, checking that it answers the way Linux's
     * drivers do: in-band, flags 0, the transaction id echoed.
     */
    public byte[] exchange(byte[] payload) throws Exception {
        return echoed(reply(payload, TRANSACTION_ID));
    }

    /** As {@link #exchange}, without blocking: fails with the same {@link AssertionError}s. */
    public Future<byte[]> exchangeAsync(byte[] payload) {
        return replyAsync(payload, TRANSACTION_ID).map(DeviceProbe::echoed);
    }

    private static byte[] echoed(OutboundPacket out) {
        if (out.transactionId() != TRANSACTION_ID || out.flags() != 0 || out.type() != PacketType.DATA_INBAND) {
            throw new AssertionError("a reply must echo the transaction id, in-band, flags 0: " + out);
        }
        return out.payload();
    }

    /** Negotiates as OpenVMM's host would with these service versions; returns the reply. */
    public IcMessage negotiate(List<IcVersion> hostServiceVersions) throws Exception {
        return new IcMessage(reply(Packets.negotiation(hostServiceVersions), 0).payload());
    }

    /** As {@link #negotiate}, without blocking. */
    public Future<IcMessage> negotiateAsync(List<IcVersion> hostServiceVersions) {
        return replyAsync(Packets.negotiation(hostServiceVersions), 0).map(out -> new IcMessage(out.payload()));
    }

    /** The device's state, as the dashboard reads it. Blocks: from an event loop use {@link #stateAsync}. */
    public JsonObject state() throws Exception {
        return ScriptedHost.await(readState(), name + "'s state");
    }

    /** As {@link #state}, without blocking. */
    public Future<JsonObject> stateAsync() {
        return readState();
    }

    /** Waits for the state to satisfy {@code condition}; returns it. */
    public JsonObject awaitState(Predicate<JsonObject> condition, String what) {
        return StatePoll.until(vertx, this::readState, condition, what);
    }

    /** As {@link #awaitState}, without blocking: fails with what it last saw after {@link ScriptedHost#TIMEOUT}. */
    public Future<JsonObject> stateWhen(Predicate<JsonObject> condition, String what) {
        return StatePoll.untilAsync(vertx, this::readState, condition, what);
    }

    private Future<JsonObject> readState() {
        return vertx.eventBus().<JsonObject>request(Addresses.deviceState(name), null, timeout).map(Message::body);
    }

    /** Stops the device: closes the probe's own Vert.x, or undeploys it from the caller's. */
    @Override
    public void close() {
        ScriptedHost.refuseEventLoop("Vert.x to close");
        ScriptedHost.await(closeAsync(), "Vert.x to close");
    }

    /** As {@link #close}, without blocking. */
    public Future<Void> closeAsync() {
        return ownsVertx ? ScriptedHost.closeVertx(vertx) : vertx.undeploy(deploymentId);
    }
}
