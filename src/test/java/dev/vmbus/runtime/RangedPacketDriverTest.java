package dev.vmbus.runtime;

import dev.vmbus.channel.ChannelClosedException;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.GpaRanges;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.RingFault;
import dev.vmbus.ring.TransferPageRanges;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicReference;
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

/**
 * Transfer-page, GPA-direct and completion packets through the channel runtime on real contexts over sim: a
 * handler sees each packet's type, flags, transaction id and ranges, completes with the host's id, and a packet the
 * channel refuses fails its send without ending the channel.
 */
class RangedPacketDriverTest {
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int RELID = 4;
    private Vertx vertx;
    private Context hostContext;
    private Context guestContext;
    private SimBus bus;
    private final Promise<ChannelDriver> hostEnd = Promise.promise();
    private final Promise<Offer> offered = Promise.promise();
    private final List<Packet> hostGot = new CopyOnWriteArrayList<>();
    private final Promise<ChannelLink> hostLink = Promise.promise();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        hostContext = vertx.getOrCreateContext();
        guestContext = vertx.getOrCreateContext();
        bus = new SimBus(vertx, 4096);
        HostTransport.ChannelListener host = new HostTransport.ChannelListener() {
            @Override
            public void opened(ChannelLink link) {
                hostLink.complete(link);
                hostEnd.complete(ChannelDriver.host(link, hostContext, 0, hostGot::add));
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

    @Test
    void aHandlerSeesTransferPagesAndCompletesThemWithTheHostsId() throws Exception {
        List<Packet> got = new CopyOnWriteArrayList<>();
        AtomicReference<ChannelDriver> guestRef = new AtomicReference<>();
        ChannelDriver guest = openGuest(8, packet -> {
            got.add(packet);
            // return the slots: a completion echoing the host's transaction id, as netvsc does
            return guestRef.get().send(new byte[] {108, 0, 0, 0, 1, 0, 0, 0}, packet.transactionId(),
                    PacketType.COMP, 0);
        });
        guestRef.set(guest);
        ChannelDriver host = hostEnd.future().await(10, TimeUnit.SECONDS);

        on(hostContext, () -> {
            for (int i = 0; i < 5; i++) {
                TransferPageRanges ranges = new TransferPageRanges().reset(0xCAFE, false).add(1514, i * 2048)
                        .add(60, i * 2048 + 1536);
                host.send(new byte[] {107, 0, 0, 0}, 100 + i, PacketType.DATA_USING_XFER_PAGES, 1, ranges, null);
            }
            return Future.succeededFuture();
        });

        await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 5 && hostGot.size() == 5);
        for (int i = 0; i < 5; i++) {
            Packet p = got.get(i);
            assertEquals(PacketType.DATA_USING_XFER_PAGES, p.type());
            assertTrue(p.completionRequested());
            assertEquals(100 + i, p.transactionId());
            assertEquals(2, p.transferPages().count());
            assertEquals(0xCAFE, p.transferPages().pageSetId());
            assertEquals(i * 2048 + 1536, p.transferPages().byteOffset(1));
            assertEquals(60, p.transferPages().byteCount(1));
            Packet c = hostGot.get(i);
            assertTrue(c.isCompletion());
            assertEquals(100 + i, c.transactionId(), "completed with the host's id");
        }
        assertEquals(ChannelState.OPEN, on(guestContext, () -> Future.succeededFuture(guest.state())));
    }

    @Test
    void gpaDirectGoesUpWithItsRangesAndARefusedPacketLeavesTheChannelOpen() throws Exception {
        ChannelDriver guest = openGuest(8, packet -> Future.succeededFuture());
        GpaRanges ranges = new GpaRanges().addContiguous(0x4_2FF0L, 64).addPage(100, 0, 0x77);

        Future<Void> sent = on(guestContext, () -> Future.succeededFuture(guest.send(new byte[] {1, 2, 3},
                9, PacketType.DATA_USING_GPA_DIRECT, 1, null, ranges)));
        sent.await(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> hostGot.size() == 1);
        Packet p = hostGot.get(0);
        assertEquals(PacketType.DATA_USING_GPA_DIRECT, p.type());
        assertEquals(ranges, p.gpaRanges());
        assertEquals(2, p.gpaRanges().pfnCount(0), "0xFF0 + 64 bytes cross into the next page");

        Future<Void> noFlag = on(guestContext, () -> Future.succeededFuture(guest.send(new byte[1], 1,
                PacketType.DATA_USING_GPA_DIRECT, 0, null, ranges)));
        assertInstanceOf(IllegalArgumentException.class,
                assertThrows(Exception.class, () -> noFlag.await(5, TimeUnit.SECONDS)));
        Future<Void> empty = on(guestContext, () -> Future.succeededFuture(guest.send(new byte[1], 1,
                PacketType.DATA_USING_GPA_DIRECT, 1, null, new GpaRanges())));
        assertInstanceOf(IllegalArgumentException.class,
                assertThrows(Exception.class, () -> empty.await(5, TimeUnit.SECONDS)));
        assertEquals(ChannelState.OPEN, on(guestContext, () -> Future.succeededFuture(guest.state())));
        Future<Void> after = on(guestContext, () -> Future.succeededFuture(guest.send(new byte[1], 2,
                PacketType.COMP, 0)));
        after.await(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> hostGot.size() == 2);
    }

    @Test
    void aHostsMalformedRangesFaultOnlyTheGuestChannelWithTheKind() throws Exception {
        List<EndReason> ends = new CopyOnWriteArrayList<>();
        ChannelDriver guest = openGuest(8, packet -> Future.succeededFuture());
        on(guestContext, () -> {
            guest.endHandler(ends::add);
            return Future.succeededFuture();
        });
        ChannelLink link = hostLink.future().await(10, TimeUnit.SECONDS);
        // transfer pages whose range_cnt claims more ranges than the header holds
        MemorySegment raw = MemorySegment.ofArray(new byte[40]);
        raw.set(LE64, 0, PacketLayout.word0(7, 4, 5, 1));
        raw.set(LE64, 16, 0xCAFEL | 9L << 32);
        raw.set(LE64, 24, 10L);
        on(hostContext, () -> {
            // a second writer on the host's ring, as a hostile host would; the host's driver sends nothing more
            if (new RingWriter(link.rings().rx()).writeRaw(raw, 0, 40) == RingWriter.WRITTEN_SIGNAL) {
                link.signal();
            }
            return Future.succeededFuture();
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> !ends.isEmpty());
        assertEquals(RingFault.Kind.RANGE_COUNT_OVERRUNS_HEADER, ends.get(0).ringFault().kind());
        assertTrue(ends.get(0).toString().contains("range_cnt=9"), ends.get(0).toString());
    }
}
