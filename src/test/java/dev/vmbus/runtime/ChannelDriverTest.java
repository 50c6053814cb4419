package dev.vmbus.runtime;

import dev.vmbus.channel.ChannelClosedException;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.RingWriter;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.OfferListener;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.sim.SimBus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The channel runtime on real contexts over sim: credit, a failing handler, and the end reported once. */
class ChannelDriverTest {
    private static final int RELID = 4;
    private Vertx vertx;
    private Context hostContext;
    private Context guestContext;
    private SimBus bus;
    private final Promise<ChannelDriver> hostEnd = Promise.promise();
    private final Promise<Offer> offered = Promise.promise();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        hostContext = vertx.getOrCreateContext();
        guestContext = vertx.getOrCreateContext();
        bus = new SimBus(vertx, 4096);
        HostTransport.ChannelListener host = new HostTransport.ChannelListener() {
            @Override
            public void opened(ChannelLink link) {
                hostEnd.complete(ChannelDriver.host(link, hostContext, 0, p -> { }));
            }

            @Override
            public void closed(int relid, dev.vmbus.channel.EndReason reason) {
            }
        };
        on(hostContext, () -> bus.host().start()
                .compose(x -> bus.host().offer(new Offer(RELID, DeviceClass.HEARTBEAT.classId(), UUID.randomUUID(), 0, 16384), host)));
        bus.guest().start(guestContext, new OfferListener() {
            @Override
            public void offered(Offer offer) {
                offered.complete(offer);
            }

            @Override
            public void rescinded(int relid) {
            }
        });
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private <T> T on(Context context, Supplier<Future<T>> task) throws Exception {
        return OnContext.call(context, task).await(10, TimeUnit.SECONDS);
    }

    private ChannelDriver openGuest(int credit, PacketHandler handler) throws Exception {
        Offer offer = offered.future().await(10, TimeUnit.SECONDS);
        return on(guestContext, () -> bus.guest().open(offer)
                .map(link -> ChannelDriver.guest(link, guestContext, 0, credit, handler)));
    }

    private void hostSends(int count) throws Exception {
        ChannelDriver host = hostEnd.future().await(10, TimeUnit.SECONDS);
        on(hostContext, () -> {
            for (int i = 1; i <= count; i++) {
                host.send(new byte[] {(byte) i}, i, PacketType.DATA_INBAND, 0);
            }
            return Future.succeededFuture();
        });
    }

    @Test
    void noMoreThanTheCreditIsWithTheHandlerAndTheRestWaitsInTheRing() throws Exception {
        List<Packet> got = new CopyOnWriteArrayList<>();
        List<Promise<Void>> answers = new CopyOnWriteArrayList<>();
        AtomicInteger outstanding = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        ChannelDriver guest = openGuest(4, packet -> {
            got.add(packet);
            most.accumulateAndGet(outstanding.incrementAndGet(), Math::max);
            Promise<Void> answer = Promise.promise();
            answers.add(answer);
            return answer.future().onComplete(ar -> outstanding.decrementAndGet());
        });

        hostSends(20);
        await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 4);
        // The host has written all 20: the 16 beyond the credit are still in the guest's inbound ring, unread.
        await().atMost(Duration.ofSeconds(10)).until(() -> on(guestContext,
                () -> Future.succeededFuture(guest.stats().inbound().bytesToRead())) == 16 * RingWriter.requiredSpace(1));
        assertEquals(4, (int) on(guestContext, () -> Future.succeededFuture(guest.inFlight())));

        // Answer whatever is outstanding until all 20 went through, in order.
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            guestContext.runOnContext(v -> answers.forEach(a -> a.tryComplete()));
            return got.size() == 20 && outstanding.get() == 0;
        });
        assertTrue(most.get() <= 4, "at most the credit was outstanding, saw " + most.get());
        for (int i = 0; i < 20; i++) {
            assertEquals(i + 1, got.get(i).transactionId(), "in ring order");
        }
        assertEquals(0L, (long) on(guestContext, () -> Future.succeededFuture(guest.stats().inbound().bytesToRead())));
    }

    @Test
    void aFailedHandlerEndsTheChannelOnceWithItsReasonAndLaterSendsFail() throws Exception {
        EndReason timedOut = EndReason.of(EndReason.Kind.HANDLER_TIMED_OUT, "handler 'x' did not answer");
        List<EndReason> ends = new CopyOnWriteArrayList<>();
        ChannelDriver guest = openGuest(8, packet -> Future.failedFuture(new HandlerFailure(timedOut)));
        on(guestContext, () -> {
            guest.endHandler(ends::add);
            return Future.succeededFuture();
        });

        hostSends(3); // three failures in a row: the first ends the channel, the others find it ended
        await().atMost(Duration.ofSeconds(10)).until(() -> !ends.isEmpty());
        assertEquals(ChannelState.FAULTED, on(guestContext, () -> Future.succeededFuture(guest.state())));
        Future<Void> send = on(guestContext,
                () -> Future.succeededFuture(guest.send(new byte[1], 1, PacketType.DATA_INBAND, 0)));
        ChannelClosedException e = assertInstanceOf(ChannelClosedException.class,
                assertThrows(Exception.class, () -> send.await(5, TimeUnit.SECONDS)));
        assertEquals(timedOut, e.reason());
        on(guestContext, () -> guest.close()); // closing a faulted channel keeps saying why it ended
        assertEquals(List.of(timedOut), ends, "the end is reported once");
        assertEquals(timedOut, on(guestContext, () -> Future.succeededFuture(guest.reason())));
    }

    @Test
    void aHostRescindEndsTheGuestRescindedWithTheTransportsReason() throws Exception {
        List<EndReason> ends = new CopyOnWriteArrayList<>();
        ChannelDriver guest = openGuest(8, packet -> Future.succeededFuture());
        on(guestContext, () -> {
            guest.endHandler(ends::add);
            return Future.succeededFuture();
        });
        on(hostContext, () -> bus.host().rescind(RELID));
        await().atMost(Duration.ofSeconds(10)).until(() -> !ends.isEmpty());
        assertEquals(EndReason.Kind.HOST_RESCINDED, ends.get(0).kind());
        assertEquals(ChannelState.RESCINDED, on(guestContext, () -> Future.succeededFuture(guest.state())));
        assertEquals(1, ends.size());
    }
}
