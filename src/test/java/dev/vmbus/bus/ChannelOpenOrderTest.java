package dev.vmbus.bus;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.HostComplaints;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.spi.NoSettings;
import dev.vmbus.spi.Reply;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.GuestMemory;
import dev.vmbus.transport.GuestTransport;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.OfferListener;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.RecordedOffers;
import dev.vmbus.transport.shm.ShmGuest;
import dev.vmbus.transport.shm.ShmOptions;
import dev.vmbus.transport.shm.ShmHost;
import dev.vmbus.transport.sim.SimBus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A channel verticle builds its driver on its own context, the one its link's interrupts run on, so no interrupt
 * the host sent during the open can drain the ring (and a reply read the driver) before the verticle stored it:
 * the race behind a heartbeat channel of DashboardScaleTest faulting at its first packet with "this.driver is
 * null". The host writes a packet as soon as the channel is open; the guest's link is wrapped so that a driver
 * attaching off the link's context is recorded and, when that context has a thread of its own, the interrupt is
 * run there at that moment while the attaching thread waits (the ordering the race needed, forced). On sim, on shm,
 * and on a transport that completes its open on another context.
 */
class ChannelOpenOrderTest {
    private static final UUID CLASS = UUID.fromString("0b6c2f1e-6a3d-4e0f-9d7c-5a4e3b2c1d0f");
    private static final int RELID = 5;
    /** How long a forced interleaving waits for the host to get its reply (only a driver built off its context). */
    private static final long FORCED_WAIT_MS = 2000;

    @TempDir
    Path dir;
    private final Vertx vertx = Vertx.vertx();
    private final Context hostContext = vertx.getOrCreateContext();
    private final Queue<Packet> replies = new ConcurrentLinkedQueue<>();
    private final List<ChannelEvent> events = new CopyOnWriteArrayList<>();

    private final DevicePlugin<NoSettings> plugin =
            new OneClassPlugin("order", CLASS, () -> packet -> Future.succeededFuture(Reply.echo()));

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    /** The host's end: as soon as the channel is open it sends one packet, before the guest's driver exists. */
    private final HostTransport.ChannelListener host = new HostTransport.ChannelListener() {
        @Override
        public void opened(ChannelLink link) {
            ChannelDriver.host(link, hostContext, 0, replies::add)
                    .send("first".getBytes(StandardCharsets.US_ASCII), 1, PacketType.DATA_INBAND, 0);
        }

        @Override
        public void closed(int relid, EndReason reason) {
        }
    };

    @ParameterizedTest(name = "{0}, open completed elsewhere: {1}")
    @CsvSource({"sim, false", "shm, false", "sim, true"})
    void theDriverIsBuiltOnTheContextItsInterruptsRunOnAndTheFirstPacketIsAnswered(String transport,
                                                                                   boolean completeElsewhere)
            throws Exception {
        vertx.eventBus().<ChannelEvent>localConsumer(Addresses.CHANNELS, m -> events.add(m.body()));
        LocalCodec.register(vertx);
        Offer offer = new Offer(RELID, CLASS, UUID.randomUUID(), 0, 16384);
        RecordedOffers offers = new RecordedOffers();
        Context guestContext = vertx.getOrCreateContext();
        GuestTransport real;
        if (transport.equals("sim")) {
            SimBus bus = new SimBus(vertx, 4096);
            OnContext.call(hostContext, () -> bus.host().start()
                    .compose(x -> bus.host().offer(offer, host))).await(10, TimeUnit.SECONDS);
            real = bus.guest();
        } else {
            ShmHost shm = new ShmHost(vertx, dir.resolve("shm"));
            OnContext.call(hostContext, () -> shm.start()
                    .compose(x -> shm.offer(offer, host))).await(10, TimeUnit.SECONDS);
            real = new ShmGuest(vertx, new ShmOptions(dir.resolve("shm")), new HostComplaints());
        }
        Watched guest = new Watched(real, completeElsewhere ? vertx.getOrCreateContext() : null);
        OnContext.call(guestContext, () -> guest.start(guestContext, offers)).await(10, TimeUnit.SECONDS);
        Offer offered = offers.next();
        assertEquals(RELID, offered.relid());
        vertx.deployVerticle(new DeviceVerticle("order", plugin.device(null, null))).await(10, TimeUnit.SECONDS);

        vertx.deployVerticle(new ChannelVerticle(guest, offered, plugin)).await(10, TimeUnit.SECONDS);

        ChannelView view = vertx.eventBus().<ChannelView>request(Addresses.channelStats(RELID), null)
                .await(10, TimeUnit.SECONDS).body();
        assertEquals(List.of(), guest.offOwner, "the driver attached to the link off the context its interrupts"
                + " run on; the channel is " + view.state() + " (" + view.reason() + ")");
        Packet reply;
        try {
            reply = await("the reply to the host's first packet").atMost(10, TimeUnit.SECONDS)
                    .until(replies::poll, Objects::nonNull);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("the host's first packet was not answered; events " + events, e);
        }
        assertEquals(1, reply.transactionId());
        assertNull(view.reason(), "the channel ended");
        assertEquals(ChannelState.OPEN, view.state());
        assertTrue(events.stream().noneMatch(ChannelEvent::ended), events.toString());
    }

    /**
     * The real guest transport, its links wrapped to watch where a driver attaches; with {@code elsewhere}, its
     * open completes on that context instead of the owner's (a transport breaking GuestTransport.open's rule).
     */
    private final class Watched implements GuestTransport {
        final GuestTransport real;
        final Context elsewhere;
        final List<String> offOwner = new CopyOnWriteArrayList<>();
        /** The thread of the context the link was opened for, once known. */
        volatile Thread ownerThread;

        Watched(GuestTransport real, Context elsewhere) {
            this.real = real;
            this.elsewhere = elsewhere;
        }

        @Override
        public String name() {
            return real.name();
        }

        @Override
        public Future<Void> start(Context context, OfferListener listener) {
            return real.start(context, listener);
        }

        @Override
        public Future<ChannelLink> open(Offer offer, Context owner) {
            if (Vertx.currentContext() == owner) {
                ownerThread = Thread.currentThread();
            } else {
                owner.runOnContext(v -> ownerThread = Thread.currentThread());
            }
            Future<ChannelLink> opened = real.open(offer, owner).map(link -> new ForcingLink(link, owner));
            if (elsewhere == null) {
                return opened;
            }
            Promise<ChannelLink> late = Promise.promise();
            opened.onComplete(ar -> elsewhere.runOnContext(v -> late.handle(ar)));
            return late.future();
        }

        @Override
        public GuestMemory guestMemory() {
            return real.guestMemory();
        }

        @Override
        public Future<Void> close() {
            return real.close();
        }

        /** A link that notes a driver attaching off {@code owner} and then runs an interrupt on owner at once. */
        private final class ForcingLink implements ChannelLink {
            final ChannelLink link;
            final Context owner;

            ForcingLink(ChannelLink link, Context owner) {
                this.link = link;
                this.owner = owner;
            }

            @Override
            public void interruptHandler(Runnable handler) {
                link.interruptHandler(handler);
                if (Vertx.currentContext() == owner) {
                    return;
                }
                offOwner.add("on " + Thread.currentThread().getName() + " (" + Vertx.currentContext()
                        + "), the link's context " + owner);
                Thread thread = ownerThread;
                if (thread == null || thread == Thread.currentThread()) {
                    return; // one thread: nothing can run on owner until this returns
                }
                // The host's packet is in the ring: an interrupt now, on owner, with this thread held as if it
                // were slow to go on (bounded: a verticle that never stores its driver fails below, not here).
                owner.runOnContext(v -> handler.run());
                try {
                    await("the host's reply while the attaching thread is held")
                            .atMost(FORCED_WAIT_MS, TimeUnit.MILLISECONDS).until(() -> !replies.isEmpty());
                } catch (ConditionTimeoutException e) {
                    // held long enough: the reply check below tells whether the interrupt was answered
                }
            }

            @Override
            public Offer offer() {
                return link.offer();
            }

            @Override
            public MemorySegment memory() {
                return link.memory();
            }

            @Override
            public int headerSize() {
                return link.headerSize();
            }

            @Override
            public List<dev.vmbus.transport.ChannelBuffer> buffers() {
                return link.buffers();
            }

            @Override
            public void signal() {
                link.signal();
            }

            @Override
            public void closedHandler(Consumer<EndReason> handler) {
                link.closedHandler(handler);
            }

            @Override
            public Future<Void> close() {
                return link.close();
            }
        }
    }
}
