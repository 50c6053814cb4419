package dev.vmbus.transport.uio;

import dev.vmbus.os.Posix;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.ChannelRings;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.channel.VmbusChannel;
import dev.vmbus.os.PageSize;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.RingLayout;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.RecordedOffers;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The FFM mapping and the 4-byte interrupt protocol on real files, a real socket pair and a real EIO. */
class UioInterruptTest {
    static final long PAGE = PageSize.system();
    static final String HEARTBEAT = "{57164f39-9115-4e78-ab55-382f3bd5422d}\n";
    static final String INSTANCE = "{fd149e91-82e0-4a7d-afa6-2a4166cbd7c0}\n";

    @TempDir
    Path tmp;
    SysfsFixture fixture;
    FixtureNodes nodes;
    Vertx vertx;
    Context context;
    UioGuest guest;
    final RecordedOffers offers = new RecordedOffers();
    Path device;

    @BeforeEach
    void setUp() throws Exception {
        fixture = new SysfsFixture(tmp);
        device = fixture.device("hb", HEARTBEAT, INSTANCE, 7, "uio0", 8 * PAGE);
        nodes = new FixtureNodes(fixture, false, (d, p) -> { });
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (guest != null) {
            guest.close().await(10, TimeUnit.SECONDS);
        }
        vertx.close().await(10, TimeUnit.SECONDS);
        for (SocketPair p : nodes.pairs.values()) {
            Posix.close(p.host);
        }
    }

    private Offer startGuest() throws Exception {
        guest = new UioGuest(vertx, new UioOptions(tmp), nodes);
        guest.start(context, offers).await(10, TimeUnit.SECONDS);
        Offer offer = offers.next();
        return offer;
    }

    private ChannelLink open(Offer offer) throws Exception {
        return open(offer, reason -> { });
    }

    /**
     * Opens on the owner and sets the closed handler in the same callback that receives the link, so an end that
     * follows at once (EIO on the first read) cannot slip in before the handler is there.
     */
    private ChannelLink open(Offer offer, Consumer<EndReason> closedHandler) throws Exception {
        Promise<ChannelLink> link = Promise.promise();
        context.runOnContext(v -> guest.open(offer).onComplete(ar -> {
            if (ar.succeeded()) {
                ar.result().closedHandler(closedHandler);
                link.complete(ar.result());
            } else {
                link.fail(ar.cause());
            }
        }));
        return link.future().await(10, TimeUnit.SECONDS);
    }

    private static int u32(MemorySegment ring, long offset) {
        return ring.get(ValueLayout.JAVA_INT, offset);
    }

    @Test
    void mmapIsSharedWithTheFileAndSelectsByOffset() throws Exception {
        Path file = tmp.resolve("maps");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), PAGE); // map 1 of a uio device starts here
            ch.write(ByteBuffer.wrap(new byte[1]), 3 * PAGE - 1);
        }
        try (Arena arena = Arena.ofShared()) {
            MemorySegment map1 = Posix.map(file, PAGE, PAGE, arena);
            assertEquals(PAGE, map1.byteSize());
            assertEquals(0, map1.address() % PAGE, "mmap returns page-aligned memory");
            assertArrayEquals(new byte[] {1, 2, 3, 4}, map1.asSlice(0, 4).toArray(ValueLayout.JAVA_BYTE));
            map1.set(ValueLayout.JAVA_BYTE, 100, (byte) 42);
        }
        assertEquals(42, Files.readAllBytes(file)[(int) PAGE + 100], "MAP_SHARED: the write reached the file");
        var e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> Posix.map(tmp.resolve("missing"), 0, PAGE, Arena.global()));
        assertTrue(e.getMessage().contains("missing") && e.getMessage().contains("errno 2"), e.getMessage());
    }

    @Test
    void interruptsDrainWithMaskUnmaskRecheckAndSignalsAreFourByteWrites() throws Exception {
        Offer offer = startGuest();
        assertEquals(7, offer.relid());
        assertEquals((int) (4 * PAGE), offer.ringSize(), "ring size = map0 size / 2");
        ChannelLink link = open(offer);

        // The kernel had not initialised the fresh file, so the guest did (feature_bits 1 on both rings).
        Arena arena = Arena.ofShared();
        MemorySegment memory = Posix.map(device.resolve("channels/7/ring"), 0, 8 * PAGE, arena);
        ChannelRings rings = ChannelRings.of(memory, (int) PAGE);
        assertEquals(1, u32(rings.tx().header(), RingLayout.FEATURE_BITS_OFFSET));
        assertEquals(1, u32(rings.rx().header(), RingLayout.FEATURE_BITS_OFFSET));

        SocketPair pair = nodes.pairs.get("uio0");
        AtomicInteger count = new AtomicInteger();
        VmbusChannel host = VmbusChannel.host(offer, rings, () -> {
            // An older kernel's ISR masks the guest's RX ring before waking userspace (spec section 8.2).
            rings.rx().header().set(ValueLayout.JAVA_INT, RingLayout.INTERRUPT_MASK_OFFSET, 1);
            pair.interrupt(count.incrementAndGet());
        }, 0);

        Queue<Packet> received = new ConcurrentLinkedQueue<>();
        Queue<Integer> maskWhileDraining = new ConcurrentLinkedQueue<>();
        ChannelDriver driver = OnContext.supply(context, () -> ChannelDriver.guest(link, context, 0, p -> {
            maskWhileDraining.add(u32(rings.rx().header(), RingLayout.INTERRUPT_MASK_OFFSET));
            received.add(p);
            if (p.transactionId() == 1) {
                // While the guest drains with RX masked, the host writes again: the ring is not empty and the
                // mask is set, so it does not interrupt. Only the re-check after unmasking can find this.
                host.sendPacket(new byte[] {2}, 0, 1, 2, PacketType.DATA_INBAND, 0);
            }
        })).await(5, TimeUnit.SECONDS);

        host.sendPacket(new byte[] {1}, 0, 1, 1, PacketType.DATA_INBAND, 0);
        assertEquals(1, count.get(), "empty ring, mask clear: the host interrupted once");

        assertEquals(1, await("packet 1").atMost(5, TimeUnit.SECONDS).until(received::poll, Objects::nonNull)
                .transactionId());
        assertEquals(2, await("packet 2, found by the re-check after unmask").atMost(5, TimeUnit.SECONDS)
                .until(received::poll, Objects::nonNull).transactionId());
        assertEquals(1, await("the mask seen while draining").atMost(5, TimeUnit.SECONDS)
                .until(maskWhileDraining::poll, Objects::nonNull), "masked while draining");
        assertEquals(1, count.get(), "the second packet needed no interrupt");
        await("the kernel's mask cleared by the guest's unmask").atMost(5, TimeUnit.SECONDS)
                .pollInterval(5, TimeUnit.MILLISECONDS)
                .until(() -> u32(rings.rx().header(), RingLayout.INTERRUPT_MASK_OFFSET) == 0);

        // Guest to host: an empty TX ring with the host's mask clear is signalled with write(1), 4 bytes.
        context.runOnContext(v -> driver.send(new byte[] {9}, 99, PacketType.DATA_INBAND, 0));
        assertEquals(1, pair.readFromGuest());
        Packet sent = host.nextPacket();
        assertEquals(99, sent.transactionId());

        // After idling unmasked, the next host packet interrupts again and is delivered.
        host.commit();
        host.sendPacket(new byte[] {3}, 0, 1, 3, PacketType.DATA_INBAND, 0);
        assertEquals(2, count.get());
        assertEquals(3, await("packet 3").atMost(5, TimeUnit.SECONDS).until(received::poll, Objects::nonNull)
                .transactionId());
        arena.close();
    }

    @Test
    void monitoredChannelsAreKickedThroughTheInterruptAndMonitorPages() throws Exception {
        fixture.monitored(device, 7, 33, "uio0");
        Offer offer = startGuest();
        ChannelLink link = open(offer);

        context.runOnContext(v -> link.signal());

        Path intPage = fixture.maps("uio0").resolve("map1/page");
        Path monitorPage = fixture.maps("uio0").resolve("map2/page");
        await("the kick in the monitor page").atMost(5, TimeUnit.SECONDS).pollInterval(5, TimeUnit.MILLISECONDS)
                .until(() -> Files.readAllBytes(monitorPage)[16] != 0);
        byte[] ints = Files.readAllBytes(intPage);
        assertEquals(1 << 7, ints[2048] & 0xFF, "bit relid 7 of the send half");
        byte[] monitor = Files.readAllBytes(monitorPage);
        // trigger_group[1].pending (offset 8 + 8) bit 1 (33 % 32)
        assertEquals(2, monitor[16]);
        assertEquals(0, monitor[8], "group 0 untouched");
    }

    @Test
    void endOfFileOnTheLineIsARescind() throws Exception {
        Offer offer = startGuest();
        Queue<EndReason> closed = new ConcurrentLinkedQueue<>();
        ChannelLink link = open(offer, closed::add);

        nodes.pairs.get("uio0").shutdownHost();

        assertEquals(7, await("the rescind").atMost(5, TimeUnit.SECONDS).until(offers.rescinds::poll, Objects::nonNull));
        EndReason reason = await("the close").atMost(5, TimeUnit.SECONDS).until(closed::poll, Objects::nonNull);
        assertEquals(EndReason.Kind.HOST_RESCINDED, reason.kind());
        assertTrue(reason.text().contains("end of file"), reason.text());
        context.runOnContext(v -> link.close());
    }

    @Test
    void eioOnTheLineIsARescind() throws Exception {
        nodes.hangUp = true; // the "device" is a pty whose slave is gone: read fails with a real EIO
        Offer offer = startGuest();
        Queue<EndReason> closed = new ConcurrentLinkedQueue<>();
        String reason = null;
        try {
            open(offer, closed::add);
        } catch (TimeoutException e) {
            throw e;
        } catch (Exception e) {
            reason = e.getMessage(); // lost before the link was handed out
        }
        if (reason == null) {
            reason = await("the close").atMost(5, TimeUnit.SECONDS).until(closed::poll, Objects::nonNull).text();
        }
        assertEquals(7, await("the rescind").atMost(5, TimeUnit.SECONDS).until(offers.rescinds::poll, Objects::nonNull));
        assertTrue(reason.contains("rescinded by the host") && reason.contains("EIO"), reason);
    }

    @Test
    void aSubchannelIsOfferedOnceItsLateRingFileAppearsAndMapsFromIt() throws Exception {
        fixture.subchannel(device, 40, 1, 0); // the channel directory exists, its ring file not yet
        vertx.setTimer(300, id -> { // late: after the first scans
            try {
                fixture.ring(device, 40, 6 * PAGE);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        // rescans every 100 ms instead of the default 2 s: the late file is found on a rescan, not 2 s later
        guest = new UioGuest(vertx, new UioOptions(tmp).withRescanIntervalMs(100), nodes);
        guest.start(context, offers).await(10, TimeUnit.SECONDS);
        Offer primary = offers.next();
        Offer sub = offers.next();
        assertEquals(7, primary.relid());
        assertEquals(40, sub.relid());
        assertEquals(1, sub.subchannel());
        assertEquals((int) (3 * PAGE), sub.ringSize(), "size from the subchannel's own ring file");
        ChannelLink link = open(sub);
        assertEquals(6 * PAGE, link.memory().byteSize());
        assertEquals(1, u32(link.rings().rx().header(), RingLayout.FEATURE_BITS_OFFSET));
    }

    /**
     * Kernel review F12: the last close of a device's {@code /dev/uioN} runs the kernel's GPADL teardown, which waits
     * uninterruptibly for the host. While one device's close waits (here for good, until the test lets it go), every
     * other device's interrupts still arrive, and the close finishes once the host answers.
     */
    @Test
    void f12_aDeviceCloseThatWaitsOnTheHostNeverHoldsAnotherDevicesInterrupts() throws Exception {
        fixture.device("ts", "{9527e630-d0ae-497b-adce-e80ab0175caf}\n", "{2dd1ce17-079e-403c-b352-a1921ee207ee}\n",
                8, "uio1", 8 * PAGE);
        AtomicBoolean hostAcknowledges = new AtomicBoolean();
        nodes.slowClose.put("uio0", hostAcknowledges);
        try {
            Offer first = startGuest();
            Offer second = offers.next();
            Offer hb = first.relid() == 7 ? first : second;
            Offer ts = first.relid() == 7 ? second : first;
            ChannelLink closing = open(hb);
            ChannelLink serving = open(ts);
            AtomicInteger heard = new AtomicInteger();
            serving.interruptHandler(heard::incrementAndGet);

            context.runOnContext(v -> closing.close());
            await("the heartbeat's last close began").atMost(10, TimeUnit.SECONDS)
                    .until(() -> nodes.closing.contains("uio0"));
            SocketPair uio1 = nodes.pairs.get("uio1");
            for (int count = 1; count <= 3; count++) {
                uio1.interrupt(count);
                int want = count;
                await("interrupt " + count + " of uio1 while uio0's close waits on the host").atMost(10, TimeUnit.SECONDS)
                        .pollInterval(5, TimeUnit.MILLISECONDS).until(() -> heard.get() >= want);
            }
            assertTrue(!nodes.closedBy.containsKey("uio0"), "uio0's close is still waiting for the host");

            hostAcknowledges.set(true);
            await("uio0 closed once the host acknowledged").atMost(10, TimeUnit.SECONDS)
                    .until(() -> nodes.closedBy.containsKey("uio0"));
            String closer = nodes.closedBy.get("uio0");
            assertTrue(!closer.equals("vmbus-uio-interrupts") && !closer.equals("vmbus-uio-kicks"),
                    "closed on a thread of its own, not " + closer);
            uio1.interrupt(4);
            await("uio1 still served").atMost(10, TimeUnit.SECONDS).until(() -> heard.get() >= 4);
        } finally {
            hostAcknowledges.set(true); // never leave a close waiting
        }
    }
}
