package dev.vmbus.bus;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.spi.Device;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.spi.NoSettings;
import dev.vmbus.spi.OutboundPacket;
import dev.vmbus.spi.Reply;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.GuestTransport;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.OfferListener;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.sim.SimBus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The direct line from a channel verticle to its device's verticle (packets one by one without the event bus,
 * issue 19 item 9): the answer goes back on the ring, a reply's action runs once it is there (on the device's
 * context), a device that fails a packet or never answers it faults only that channel, with the reason, and a
 * channel keeps answering packet after packet once an earlier one was answered (no timer left to fault it). The
 * event-bus line beside it: a device verticle that started after its channel opened gets that channel's packets on
 * {@code vmbus.device.<name>} and its replies reach the ring, and its actions run or are skipped, exactly as on the
 * direct line; a bare consumer there still answers with a packet or null (and may ask to hear the packet is written).
 *
 * <p>The handler timeout runs on a {@link HandClock} the test moves on, so an answer of a loaded machine is never
 * late and no test waits for the timeout to pass (HandlerDeadlinesTest runs the deadlines on Vert.x's timer).
 */
class DirectLineTest {
    private static final UUID CLASS = UUID.fromString("8a5a7f8e-2b0c-4c55-9f0e-6d1b3c1d2e01");
    private static final long TIMEOUT_MS = 2000;
    private static final int RING_SIZE = 16384;

    /**
     * A clock only the test moves: timers set on it fire (each on the context that set it) when {@link #advance}
     * passes their time.
     */
    private static final class HandClock implements HandlerDeadlines.Clock {
        private record Timer(long id, long dueNanos, Runnable fire, Context context) {
        }

        private final List<Timer> timers = new ArrayList<>();
        private long now = 1_000_000_000L;
        private long nextId;

        @Override
        public synchronized long nanoTime() {
            return now;
        }

        @Override
        public synchronized long setTimer(long delayMs, Runnable fire) {
            timers.add(new Timer(nextId, now + delayMs * 1_000_000L, fire, Vertx.currentContext()));
            return nextId++;
        }

        @Override
        public synchronized void cancelTimer(long id) {
            timers.removeIf(t -> t.id() == id);
        }

        /** Moves the time on by {@code ms}; returns once every timer that came due has fired. */
        void advance(long ms) throws Exception {
            List<Timer> due = new ArrayList<>();
            synchronized (this) {
                now += ms * 1_000_000L;
                for (Iterator<Timer> i = timers.iterator(); i.hasNext(); ) {
                    Timer t = i.next();
                    if (t.dueNanos() - now <= 0) {
                        due.add(t);
                        i.remove();
                    }
                }
            }
            for (Timer t : due) {
                OnContext.run(t.context(), t.fire()).await(10, TimeUnit.SECONDS);
            }
        }

        /** The timers set and not yet fired nor cancelled. */
        synchronized int pending() {
            return timers.size();
        }
    }

    private final HandClock clock = new HandClock();

    private final Vertx vertx = Vertx.vertx();
    private final SimBus bus = new SimBus(vertx, 4096);
    private final Context hostContext = vertx.getOrCreateContext();
    private final Map<Integer, ChannelDriver> hostEnds = new ConcurrentHashMap<>();
    private final Map<Integer, Queue<Packet>> replies = new ConcurrentHashMap<>();
    private final List<ChannelEvent> events = new CopyOnWriteArrayList<>();
    /** What the devices' actions saw: the relid and whether they ran on their device's own context. */
    private final Queue<String> actions = new ConcurrentLinkedQueue<>();
    /** The relid of each packet the device was handed and will never answer. */
    private final Queue<Integer> hanging = new ConcurrentLinkedQueue<>();

    /**
     * The device of every test, its context remembered as it starts: "echo", "then" (an echo, then an action),
     * "none", "huge" (a packet no ring could hold, then an action: it never reaches the ring), "fail", "hang".
     */
    private Device device() {
        return new Device() {
            private volatile Context context;

            @Override
            public Future<?> start(Vertx v) {
                context = Vertx.currentContext();
                return Future.succeededFuture();
            }

            @Override
            public Future<Reply> handle(Packet packet) {
                String text = new String(packet.payload(), StandardCharsets.US_ASCII).replace("\0", "");
                Runnable action = () -> actions.add(packet.relid()
                        + (Vertx.currentContext() == context ? " on the device" : " elsewhere"));
                return switch (text) {
                    case "echo" -> Future.succeededFuture(Reply.echo());
                    case "then" -> Future.succeededFuture(Reply.echo().then(action));
                    case "huge" -> Future.succeededFuture(Reply.response(packet, new byte[RING_SIZE]).then(action));
                    case "none" -> Future.succeededFuture(Reply.none());
                    case "fail" -> Future.failedFuture("the device refuses 'fail'");
                    case "hang" -> {
                        hanging.add(packet.relid());
                        yield Promise.<Reply>promise().future();
                    }
                    default -> throw new IllegalArgumentException("unexpected " + text);
                };
            }
        };
    }

    private final DevicePlugin<NoSettings> plugin = new OneClassPlugin("direct", CLASS, this::device);
    /**
     * The same device under another name, whose verticle starts only after its channel opened: the channel's
     * attach finds nobody, so its packets go over the event bus ({@code vmbus.device.bus}) to that verticle.
     */
    private final DevicePlugin<NoSettings> late = new OneClassPlugin("bus", CLASS, this::device);

    @BeforeEach
    void start() throws Exception {
        vertx.eventBus().<ChannelEvent>localConsumer(Addresses.CHANNELS, m -> events.add(m.body()));
        LocalCodec.register(vertx);
        GuestTransport guest = bus.guest();
        Context guestContext = vertx.getOrCreateContext();
        on(guestContext, () -> guest.start(guestContext, new OfferListener() {
            @Override
            public void offered(Offer offer) {
            }

            @Override
            public void rescinded(int relid) {
            }
        }));
        on(hostContext, () -> bus.host().start());
        vertx.deployVerticle(new DeviceVerticle("direct", plugin.device(null, null))).await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static void on(Context context, Supplier<Future<Void>> task) throws Exception {
        OnContext.call(context, task).await(10, TimeUnit.SECONDS);
    }

    /** Offers relid {@code relid} and opens it with a channel verticle whose handler timeout is on {@link #clock}. */
    private void open(int relid) throws Exception {
        open(relid, plugin);
    }

    /** As {@link #open(int)}, for {@code handler}'s device. */
    private void open(int relid, DevicePlugin<NoSettings> handler) throws Exception {
        Offer offer = new Offer(relid, CLASS, UUID.randomUUID(), 0, RING_SIZE);
        replies.put(relid, new ConcurrentLinkedQueue<>());
        on(hostContext, () -> bus.host().offer(offer, new HostTransport.ChannelListener() {
            @Override
            public void opened(ChannelLink link) {
                hostEnds.put(relid, ChannelDriver.host(link, hostContext, 0, p -> replies.get(relid).add(p)));
            }

            @Override
            public void closed(int r, EndReason reason) {
            }
        }));
        vertx.deployVerticle(new ChannelVerticle(bus.guest(), offer, handler, 4, TIMEOUT_MS, clock))
                .await(10, TimeUnit.SECONDS);
        await().atMost(10, TimeUnit.SECONDS).until(() -> hostEnds.containsKey(relid));
    }

    private void send(int relid, String text, long id) throws Exception {
        on(hostContext, () -> hostEnds.get(relid).send(text.getBytes(StandardCharsets.US_ASCII), id,
                PacketType.DATA_INBAND, 0));
    }

    private Packet reply(int relid) {
        return await("a reply on relid " + relid).atMost(10, TimeUnit.SECONDS)
                .until(replies.get(relid)::poll, Objects::nonNull);
    }

    private ChannelEvent faulted(int relid) {
        await().atMost(10, TimeUnit.SECONDS).until(() -> events.stream()
                .anyMatch(e -> e.relid() == relid && e.state() == ChannelState.FAULTED));
        return events.stream().filter(e -> e.relid() == relid && e.state() == ChannelState.FAULTED).findFirst().orElseThrow();
    }

    @Test
    void repliesReachTheRingAndAnActionRunsOnTheDeviceAfterItsReply() throws Exception {
        open(1);
        // more packets than the handler timeout could cover if a timer were left armed by an earlier answer
        for (int i = 1; i <= 5; i++) {
            send(1, "echo", i);
            Packet p = reply(1);
            assertEquals(i, p.transactionId());
            assertEquals("echo", new String(p.payload(), StandardCharsets.US_ASCII).replace("\0", ""));
        }
        send(1, "none", 6);
        send(1, "then", 7);
        Packet p = reply(1);
        assertEquals(7, p.transactionId(), "'none' sends nothing back");
        assertEquals("1 on the device", await("the reply's action").atMost(10, TimeUnit.SECONDS)
                .until(actions::poll, Objects::nonNull));
        assertEquals(0, clock.pending(), "every packet answered: no timer");
        clock.advance(TIMEOUT_MS + 1000); // idle past the timeout: an answered packet must not fault it later
        send(1, "echo", 8);
        assertEquals(8, reply(1).transactionId());
        assertTrue(events.stream().noneMatch(e -> e.relid() == 1 && e.ended()), events.toString());
    }

    @Test
    void overTheEventBusADeviceVerticlesRepliesReachTheRingAndItsActionsRunOrAreSkippedAsOnTheDirectLine()
            throws Exception {
        open(1);
        open(2, late);
        vertx.deployVerticle(new DeviceVerticle("bus", late.device(null, null))).await(10, TimeUnit.SECONDS);
        List<String> direct = exchanges(1, "direct");
        List<String> overTheBus = exchanges(2, "bus");
        assertEquals(direct, overTheBus);
        assertTrue(events.stream().noneMatch(ChannelEvent::ended), events.toString());
    }

    /**
     * Drives relid {@code relid}'s device {@code name} through every kind of reply; returns what reached the ring,
     * what the actions saw and how many were skipped, in words that do not name the relid.
     */
    private List<String> exchanges(int relid, String name) throws Exception {
        List<String> seen = new ArrayList<>();
        send(relid, "echo", 1);
        seen.add(onRing(reply(relid)));
        send(relid, "none", 2);
        send(relid, "then", 3);
        seen.add(onRing(reply(relid))); // 'none' sent nothing: this is 3's
        seen.add(await("the reply's action").atMost(10, TimeUnit.SECONDS).until(actions::poll, Objects::nonNull)
                .replaceFirst("^" + relid + " ", "action "));
        send(relid, "huge", 4);
        JsonObject state = await("the skipped action counted").atMost(10, TimeUnit.SECONDS)
                .until(() -> state(name), s -> s.getLong("actionsSkipped") > 0);
        seen.add("skipped " + state.getLong("actionsSkipped"));
        send(relid, "echo", 5);
        seen.add(onRing(reply(relid))); // the refused reply held nothing up
        assertTrue(actions.isEmpty(), "the action of a reply that never reached the ring ran: " + actions);
        return seen;
    }

    private static String onRing(Packet p) {
        return "type " + p.type() + " flags " + p.flags() + " id " + p.transactionId() + " payload "
                + java.util.HexFormat.of().formatHex(p.payload());
    }

    private JsonObject state(String name) throws Exception {
        return vertx.eventBus().<JsonObject>request(Addresses.deviceState(name), null).map(m -> m.body())
                .await(10, TimeUnit.SECONDS);
    }

    @Test
    void aBareConsumerRepliesWithAPacketOrNullAndMayAskToHearThatItIsWritten() throws Exception {
        Queue<String> written = new ConcurrentLinkedQueue<>();
        vertx.eventBus().<Packet>localConsumer(Addresses.device("bare"), m -> {
            Packet p = m.body();
            OutboundPacket echo = OutboundPacket.response(p.payload(), p.transactionId());
            switch (new String(p.payload(), StandardCharsets.US_ASCII).replace("\0", "")) {
                case "echo" -> m.reply(echo);
                case "none" -> m.reply(null);
                case "then" -> m.replyAndRequest(echo).onComplete(ar -> written.add(ar.succeeded() ? "written"
                        : "failed: " + ar.cause()));
                default -> m.reply(new JsonObject().put("not", "a packet"));
            }
        }).completion().await(10, TimeUnit.SECONDS);
        open(6, new OneClassPlugin("bare", CLASS, this::device));
        send(6, "echo", 1);
        assertEquals(1, reply(6).transactionId());
        send(6, "none", 2);
        send(6, "then", 3);
        assertEquals(3, reply(6).transactionId(), "'none' sends nothing back");
        assertEquals("written", await("the channel to say the reply is written").atMost(10, TimeUnit.SECONDS)
                .until(written::poll, Objects::nonNull));
        send(6, "json", 4);
        ChannelEvent e = faulted(6);
        assertEquals(EndReason.Kind.HANDLER_FAILED, e.reason().kind());
        assertTrue(e.reason().text().contains("replied with a io.vertx.core.json.JsonObject instead of an"
                + " OutboundPacket or null"), e.reason().text());
    }

    @Test
    void aDeviceThatFailsAPacketFaultsOnlyThatChannelWithItsReason() throws Exception {
        open(2);
        open(3);
        send(2, "fail", 1);
        ChannelEvent e = faulted(2);
        assertEquals(EndReason.Kind.HANDLER_FAILED, e.reason().kind());
        assertTrue(e.reason().text().contains("the device refuses 'fail'"), e.reason().text());
        send(3, "echo", 2);
        assertEquals(2, reply(3).transactionId());
    }

    @Test
    void aDeviceThatNeverAnswersFaultsTheChannelAfterTheHandlerTimeout() throws Exception {
        open(4);
        open(5);
        send(4, "echo", 1);
        assertEquals(1, reply(4).transactionId());
        send(4, "hang", 2);
        assertEquals(4, await("the device handed the packet").atMost(10, TimeUnit.SECONDS)
                .until(hanging::poll, Objects::nonNull));
        clock.advance(TIMEOUT_MS - 1);
        send(5, "echo", 3);
        assertEquals(3, reply(5).transactionId());
        assertTrue(events.stream().noneMatch(x -> x.ended()), "nothing ends before the timeout: " + events);
        clock.advance(1);
        ChannelEvent e = faulted(4);
        assertEquals(EndReason.Kind.HANDLER_TIMED_OUT, e.reason().kind());
        assertTrue(e.reason().text().contains("did not answer a packet within " + TIMEOUT_MS + " ms"), e.reason().text());
        send(5, "echo", 4);
        assertEquals(4, reply(5).transactionId());
        assertTrue(events.stream().noneMatch(x -> x.relid() == 5 && x.ended()), events.toString());
    }
}
