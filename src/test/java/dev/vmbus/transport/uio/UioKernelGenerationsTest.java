package dev.vmbus.transport.uio;

import dev.vmbus.channel.ChannelClosedException;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.channel.RingUnmappedException;
import dev.vmbus.channel.SendStatus;
import dev.vmbus.channel.VmbusChannel;
import dev.vmbus.ring.PacketType;
import dev.vmbus.os.PageSize;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.OfferListener;
import dev.vmbus.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The uio channel behaviour per kernel generation (issue 10, items 2 to 8), each on the fixture of the kernel it
 * concerns ({@link KernelGenerations}, {@link FixtureKernel}): real ring files, a real socket pair standing for
 * {@code /dev/uioN}, the real transport and channel driver.
 */
class UioKernelGenerationsTest {
    static final long PAGE = PageSize.system();
    static final String FCOPY = "{34d14be3-dee4-41c8-9ae7-6b174977c192}\n";
    static final UUID INSTANCE = UUID.fromString("eb765408-105f-49b6-b4aa-c123b64d17d4");
    static final int PRIMARY = 7;

    @TempDir
    Path tmp;
    SysfsFixture fixture;
    Path device;
    FixtureKernel kernel;
    FixtureNodes nodes;
    Vertx vertx;
    Context context;
    UioGuest guest;
    final Map<Integer, Offer> offers = new ConcurrentHashMap<>();
    final Queue<Integer> rescinds = new ConcurrentLinkedQueue<>();
    final Map<Integer, Queue<Packet>> received = new ConcurrentHashMap<>();
    final List<Offer> offerLog = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        fixture = new SysfsFixture(tmp);
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (kernel != null) {
            kernel.release(); // never leave a kick sleeping
        }
        if (guest != null) {
            guest.close().await(10, TimeUnit.SECONDS);
        }
        vertx.close().await(10, TimeUnit.SECONDS);
        if (kernel != null) {
            kernel.close();
        }
    }

    /** A device with an unmonitored primary on {@code uio0}, simulated as {@code generation}'s kernel. */
    private void device(KernelFeatures generation, long map0Size) throws Exception {
        device = fixture.device(INSTANCE.toString(), FCOPY, "{" + INSTANCE + "}\n", PRIMARY, "uio0", map0Size);
        kernel = new FixtureKernel(generation);
        kernel.primary(PRIMARY, device.resolve("channels/" + PRIMARY + "/ring"), map0Size, false);
        nodes = new FixtureNodes(fixture, false, (d, pair) -> kernel.opened(pair));
    }

    /** An unmonitored subchannel the kernel opened (ring file, initialised, RX masked). */
    private void subchannel(int relid, int index) throws Exception {
        fixture.subchannel(device, relid, index, 6 * PAGE);
        kernel.subchannel(relid, device.resolve("channels/" + relid + "/ring"), 6 * PAGE, false);
    }

    private void startGuest(UioOptions options) throws Exception {
        guest = new UioGuest(vertx, options, nodes);
        guest.start(context, new OfferListener() {
            @Override
            public void offered(Offer offer) {
                offerLog.add(offer);
                offers.put(offer.relid(), offer);
            }

            @Override
            public void rescinded(int relid) {
                offers.remove(relid);
                rescinds.add(relid);
            }
        }).await(10, TimeUnit.SECONDS);
    }

    private UioOptions options(KernelFeatures generation) {
        return new UioOptions(tmp).withRescanIntervalMs(50).withKernel(generation);
    }

    private ChannelLink open(Offer offer) throws Exception {
        return OnContext.call(context, () -> guest.open(offer)).await(10, TimeUnit.SECONDS);
    }

    /**
     * Opens a channel as the agent's channel verticle does: a driver that drains on every interrupt, made in the
     * callback that receives the link (on the owner), so nothing the kernel does at once reaches the link before it.
     */
    private ChannelDriver drive(Offer offer) throws Exception {
        Queue<Packet> queue = received.computeIfAbsent(offer.relid(), r -> new ConcurrentLinkedQueue<>());
        return OnContext.call(context, () -> guest.open(offer).map(link -> ChannelDriver.guest(link, context, 0,
                queue::add))).await(10, TimeUnit.SECONDS);
    }

    private Offer awaitOffer(int relid) {
        await().atMost(Duration.ofSeconds(10)).until(() -> offers.containsKey(relid));
        return offers.get(relid);
    }

    private static void hostSends(VmbusChannel host, long id) {
        host.sendPacket(new byte[] {(byte) id}, 0, 1, id, PacketType.DATA_INBAND, 0);
    }

    private void onContext(Runnable task) throws Exception {
        OnContext.run(context, task).await(10, TimeUnit.SECONDS);
    }

    /** The next packet received on {@code relid}, waiting up to 5 s. */
    private Packet nextOn(int relid) {
        return await("a packet on relid " + relid).atMost(5, TimeUnit.SECONDS).until(received.get(relid)::poll, Objects::nonNull);
    }

    /** The next rescinded relid, waiting up to 5 s. */
    private int nextRescind() {
        return await("a rescind").atMost(5, TimeUnit.SECONDS).until(rescinds::poll, Objects::nonNull);
    }

    /** Proves scans ran after the first one: a device hot-added later is offered. */
    private void awaitALaterScan() throws Exception {
        UUID other = UUID.fromString("fd149e91-82e0-4a7d-afa6-2a4166cbd7c0");
        fixture.device(other.toString(), "{57164f39-9115-4e78-ab55-382f3bd5422d}\n", "{" + other + "}\n", 9, "uio5",
                8 * PAGE);
        awaitOffer(9);
    }

    // Item 2: before d062463edf17, a subchannel must never be unmasked: the host's interrupt oopses the guest.
    @Test
    void item2_onA610KernelBeforeD062463ASubchannelIsNeverUnmaskedSoTheHostCannotOopsTheGuest() throws Exception {
        device(KernelGenerations.V6_10, 8 * PAGE);
        subchannel(40, 1);
        startGuest(options(KernelGenerations.V6_10));
        // Serve everything offered, as VmbusVerticle does.
        drive(awaitOffer(PRIMARY));
        awaitALaterScan();
        if (offers.containsKey(40)) {
            drive(offers.get(40));
        }

        VmbusChannel primaryHost = kernel.host(PRIMARY);
        VmbusChannel subHost = kernel.host(40);
        hostSends(primaryHost, 1);
        hostSends(subHost, 2);

        assertEquals(1, nextOn(PRIMARY).transactionId(), "the primary is served");
        assertEquals(List.of(), kernel.oopses, "the host interrupted a subchannel on a kernel without d062463edf17");
        assertEquals(1, kernel.rxMask(40), "the subchannel's RX ring stays masked, as the kernel left it");
        assertTrue(offerLog.stream().noneMatch(o -> o.relid() == 40), "the subchannel is not offered: " + offerLog);
        Offer sub = new Offer(40, UUID.fromString("34d14be3-dee4-41c8-9ae7-6b174977c192"), INSTANCE, 1, (int) (3 * PAGE));
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> open(sub));
        assertTrue(refused.getMessage().contains("d062463edf17"), refused.getMessage());
    }

    // Item 3: without d062463edf17 a subchannel's write(1) reaches the primary only; with it one write(1) serves
    // every unmonitored channel of the device, so kicks are coalesced, never one write per channel.
    @Test
    void item3_withD062463OneWriteKicksEveryChannelAndConcurrentKicksAreCoalesced() throws Exception {
        device(KernelGenerations.D062463, 8 * PAGE);
        subchannel(40, 1);
        subchannel(41, 2);
        startGuest(options(KernelGenerations.D062463));
        ChannelDriver primary = drive(awaitOffer(PRIMARY));
        ChannelDriver sub1 = drive(awaitOffer(40));
        ChannelDriver sub2 = drive(awaitOffer(41));
        assertEquals(0, kernel.writes());

        kernel.hold(); // the first write sleeps in the kernel; what is asked for meanwhile must merge
        onContext(() -> { // all three asked for while the kernel holds
            primary.send(new byte[] {1}, 1, PacketType.DATA_INBAND, 0);
            sub1.send(new byte[] {2}, 2, PacketType.DATA_INBAND, 0);
            sub2.send(new byte[] {3}, 3, PacketType.DATA_INBAND, 0);
        });
        kernel.release();

        await().atMost(Duration.ofSeconds(10)).until(() -> kernel.signalled(PRIMARY) > 0 && kernel.signalled(40) > 0
                && kernel.signalled(41) > 0);
        assertEquals(2, kernel.host(40).nextPacket().transactionId(), "subchannel 40's packet is on its ring");
        assertTrue(kernel.writes() < 3, "three kicks of one device were " + kernel.writes() + " write(1) calls");
    }

    @Test
    void item3_onA610KernelASubchannelIsRefusedBecauseItsKickWouldOnlyReachThePrimary() throws Exception {
        device(KernelGenerations.V6_10, 8 * PAGE);
        subchannel(40, 1);
        startGuest(options(KernelGenerations.V6_10));
        drive(awaitOffer(PRIMARY));
        awaitALaterScan();
        Offer sub = new Offer(40, UUID.fromString("34d14be3-dee4-41c8-9ae7-6b174977c192"), INSTANCE, 1, (int) (3 * PAGE));
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> drive(sub));
        assertTrue(refused.getMessage().contains("reaches the primary only"), refused.getMessage());
        assertEquals(0, kernel.signalled(40));
    }

    // Items 1 and 3 on stable 6.6: write(1) never signals there, so only a monitored channel is served, and it is
    // kicked through the interrupt and monitor pages alone; an unmonitored one is refused with the reason.
    @Test
    void stable66_aMonitoredChannelIsKickedThroughThePagesAndAnUnmonitoredOneIsRefused() throws Exception {
        device = fixture.device(INSTANCE.toString(), FCOPY, "{" + INSTANCE + "}\n", PRIMARY, "uio0", 8 * PAGE);
        fixture.monitored(device, PRIMARY, 33, "uio0");
        kernel = new FixtureKernel(KernelGenerations.STABLE_6_6);
        kernel.primary(PRIMARY, device.resolve("channels/" + PRIMARY + "/ring"), 8 * PAGE, true);
        nodes = new FixtureNodes(fixture, false, (d, pair) -> kernel.opened(pair));
        startGuest(options(KernelGenerations.STABLE_6_6));
        ChannelDriver driver = drive(awaitOffer(PRIMARY));
        UUID other = UUID.fromString("fd149e91-82e0-4a7d-afa6-2a4166cbd7c0");
        fixture.device(other.toString(), "{57164f39-9115-4e78-ab55-382f3bd5422d}\n", "{" + other + "}\n", 9, "uio5",
                8 * PAGE);

        context.runOnContext(v -> driver.send(new byte[] {1}, 1, PacketType.DATA_INBAND, 0));
        Path monitorPage = fixture.maps("uio0").resolve("map2/page");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.readAllBytes(monitorPage)[16] == 2);
        assertEquals(1 << PRIMARY, Files.readAllBytes(fixture.maps("uio0").resolve("map1/page"))[2048] & 0xFF);
        assertEquals(0, kernel.writes(), "no write(1): on this kernel it would only unmask");

        Offer unmonitored = new Offer(9, UUID.fromString("57164f39-9115-4e78-ab55-382f3bd5422d"), other, 0,
                (int) (4 * PAGE));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            IllegalStateException refused = assertThrows(IllegalStateException.class, () -> open(unmonitored));
            assertTrue(refused.getMessage().contains("547fa4ffd799"), refused.getMessage());
        });
        assertTrue(offerLog.stream().noneMatch(o -> o.relid() == 9), "refused, so never offered: " + offerLog);
    }

    // Review F5 at the transport: on a confidential VM uio_hv_generic maps the decrypted ring pages encrypted. A device
    // the agent finds on uio after it started (bound later, say) is refused at the scan, never offered nor mapped.
    @Test
    void f5_onAConfidentialVmAChannelFoundOnUioIsRefusedAtTheScanAndNeverOffered() throws Exception {
        refusedAtTheScan(KernelGenerations.D062463.withConfidential("the CPU flag tdx_guest in /proc/cpuinfo"),
                "channel " + PRIMARY + " of uio0 is not served: this is a confidential VM (the CPU flag tdx_guest");
    }

    /** On a guest with {@code cvm}'s features, opening the primary fails saying {@code why}; it is never offered. */
    private void refusedAtTheScan(KernelFeatures cvm, String why) throws Exception {
        device(cvm, 8 * PAGE);
        startGuest(options(cvm));
        Offer primary = new Offer(PRIMARY, UUID.fromString("34d14be3-dee4-41c8-9ae7-6b174977c192"), INSTANCE, 0,
                (int) (4 * PAGE));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            IllegalStateException refused = assertThrows(IllegalStateException.class, () -> open(primary));
            assertTrue(refused.getMessage().contains(why), refused.getMessage());
        });
        assertEquals(List.of(), offerLog, "refused, so never offered");
    }

    // Review F5, issue 19: the features detected from an Azure SNP CVM with a paravisor (its kernel log, no CPU flag,
    // no device) refuse a channel at the scan the same way.
    @Test
    void f5_anAzureCvmWithAParavisorToldByTheKernelLogIsRefusedAtTheScan(@TempDir Path root)
            throws Exception {
        KernelFixtures tree = KernelFixtures.create(root, KernelFixtures.Generation.V6_16);
        tree.kernelLog(KernelFixtures.AZURE_SNP_PARAVISOR_LOG);
        refusedAtTheScan(KernelFeatures.detect(tree.proc(), tree.sys(), root.resolve("dev"), KernelFeatures.Overrides.NONE),
                "is not served: this is a confidential VM (the kernel log line 'Hyper-V: Isolation Config: Group A 0x1,"
                + " Group B 0xba2'");
    }

    // Item 4: on the first EIO the rings are unmapped at once; every later access fails on its own context.
    @Test
    void item4_theFirstEioUnmapsTheRingAtOnceAndLaterAccessesFailCleanly() throws Exception {
        device(KernelGenerations.D062463, 8 * PAGE);
        startGuest(options(KernelGenerations.D062463));
        ChannelDriver driver = drive(awaitOffer(PRIMARY));
        ChannelLink link = driver.link();
        hostSends(kernel.host(PRIMARY), 1);
        assertEquals(1, nextOn(PRIMARY).transactionId());

        kernel.rescind(); // the kernel may free the ring pages from here on; nobody closes the link

        await().atMost(Duration.ofSeconds(10)).until(() -> !link.memory().scope().isAlive());
        assertEquals(PRIMARY, nextRescind());
        assertThrows(ChannelClosedException.class, () -> OnContext.call(context,
                () -> driver.send(new byte[] {1}, 5, PacketType.DATA_INBAND, 0)).await(5, TimeUnit.SECONDS), "send");
        assertThrows(RingUnmappedException.class, () -> OnContext.run(context,
                () -> driver.stats()).await(5, TimeUnit.SECONDS), "the snapshot"); // what the dashboard's snapshot reads
        assertEquals(SendStatus.NO_DEVICE, OnContext.supply(context, // a ring write
                () -> driver.writeRaw(MemorySegment.ofArray(new byte[32]), 0, 32)).await(5, TimeUnit.SECONDS),
                "the channel is gone: nothing is written");
        assertThrows(IllegalStateException.class, () -> link.memory().get(ValueLayout.JAVA_INT, 0));
    }

    // Item 5: a rescinded device registered again with the same instance GUID (here on a new uioN) is served.
    @Test
    void item5_aRescindedDeviceReofferedWithTheSameInstanceIsServedAgain() throws Exception {
        device(KernelGenerations.D062463, 8 * PAGE);
        startGuest(options(KernelGenerations.D062463));
        drive(awaitOffer(PRIMARY));
        kernel.rescind();
        assertEquals(PRIMARY, nextRescind());

        // The kernel unregisters the device and registers the re-offer at once: same instance, uio1. Atomic, so no
        // scan ever sees the instance missing.
        SysfsFixture.write(fixture.maps("uio1").resolve("map0/size"), "0x" + Long.toHexString(8 * PAGE) + "\n");
        Files.move(device.resolve("uio/uio0"), device.resolve("uio/uio1"), StandardCopyOption.ATOMIC_MOVE);

        await().atMost(Duration.ofSeconds(10)).until(() -> offerLog.stream().filter(o -> o.relid() == PRIMARY).count() == 2);
        ChannelDriver again = drive(offers.get(PRIMARY));
        received.get(PRIMARY).clear();
        hostSends(kernel.host(PRIMARY), 3);
        assertEquals(3, nextOn(PRIMARY).transactionId(), "served on uio1");
        assertTrue(nodes.pairs.containsKey("uio1"));
        assertEquals(PRIMARY, again.offer().relid());
    }

    /**
     * Host servicing, again and again: each rescind of the device (its registration lost, nobody closing the link)
     * closes its {@code /dev/uioN} and unmaps its ring and pages, and each re-offer on the next uioN is served; after
     * four rounds this process maps no more of the device's files than after the first, and every lost uioN's
     * interrupt line was closed (the kernel frees a device only at its last close).
     */
    @Test
    void item5_rescindsAndReoffersOneAfterAnotherLeaveNothingOfTheLostDevicesOpen() throws Exception {
        device(KernelGenerations.D062463, 8 * PAGE);
        startGuest(options(KernelGenerations.D062463));
        drive(awaitOffer(PRIMARY));
        Map<String, Integer> afterFirst = null;
        for (int round = 1; round <= 4; round++) {
            String lost = "uio" + (round - 1);
            String next = "uio" + round;
            kernel.rescind();
            assertEquals(PRIMARY, nextRescind());
            try {
                await(lost + "'s interrupt line closed").atMost(Duration.ofSeconds(10))
                        .until(() -> nodes.closedBy.containsKey(lost));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError(lost + " not closed; closed: " + nodes.closedBy + "; opened: " + nodes.pairs.keySet(), e);
            }
            SysfsFixture.write(fixture.maps(next).resolve("map0/size"), "0x" + Long.toHexString(8 * PAGE) + "\n");
            Files.move(device.resolve("uio/" + lost), device.resolve("uio/" + next), StandardCopyOption.ATOMIC_MOVE);
            int offered = round + 1;
            await("re-offer " + round).atMost(Duration.ofSeconds(10))
                    .until(() -> offerLog.stream().filter(o -> o.relid() == PRIMARY).count() == offered);
            drive(offers.get(PRIMARY));
            received.get(PRIMARY).clear();
            hostSends(kernel.host(PRIMARY), 10 + round);
            assertEquals(10 + round, nextOn(PRIMARY).transactionId(), "served on " + next);
            if (round == 1) {
                afterFirst = mappedUnder(tmp);
            }
        }
        assertEquals(afterFirst, mappedUnder(tmp), "this process's mappings of the fixture's files, after the first"
                + " re-offer and after the fourth");
        assertEquals(List.of("uio0", "uio1", "uio2", "uio3"), nodes.closedBy.keySet().stream().sorted().toList());
    }

    /** Lines of this process's {@code maps} naming a file under {@code dir}, by its path there. */
    private static Map<String, Integer> mappedUnder(Path dir) throws java.io.IOException {
        Map<String, Integer> byPath = new java.util.TreeMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            int at = line.indexOf(dir.toString());
            if (at >= 0) {
                byPath.merge(line.substring(at + dir.toString().length()), 1, Integer::sum);
            }
        }
        return byPath;
    }

    // Item 6: a subchannel without its ring file never holds up a scan; it is offered once the file is there.
    @Test
    void item6_aSubchannelWithoutItsRingFileNeverBlocksAScan() throws Exception {
        device(KernelGenerations.D062463, 8 * PAGE);
        fixture.subchannel(device, 40, 1, 0); // vmbus_open failed: no ring file
        fixture.subchannel(device, 41, 2, 0);
        startGuest(options(KernelGenerations.D062463).withRingWaitMs(600_000));
        awaitOffer(PRIMARY);
        awaitALaterScan();

        subchannel(40, 1); // the kernel opened it after all
        assertEquals(1, awaitOffer(40).subchannel());
        assertTrue(!offers.containsKey(41), "41 still has no ring file");
    }

    // Item 7 and review F2: maps 1 and 2 start at maps/mapN/addr & (PAGE_SIZE-1) inside their (64 KiB) page, not at
    // the mapping base, and maps/mapN/offset (mem->offs, always 0 for uio_hv_generic) is not where.
    @Test
    void item7_on64KibPagesTheMonitorKickWritesTheHyperVPagesAtTheirPublishedOffsets() throws Exception {
        KernelFeatures k = KernelGenerations.PAGES_64K;
        long map0 = 4L * k.pageSize(); // two rings of a 64 KiB header page and a 64 KiB data page
        device = fixture.device(INSTANCE.toString(), FCOPY, "{" + INSTANCE + "}\n", PRIMARY, "uio0", map0);
        SysfsFixture.write(device.resolve("channels/" + PRIMARY + "/monitor_id"), "33\n");
        fixture.hyperVPages("uio0", k.pageSize(), 0x3000, 0x1800);
        nodes = new FixtureNodes(fixture, false, (d, pair) -> { });
        startGuest(options(k));
        ChannelLink link = open(awaitOffer(PRIMARY));

        onContext(link::signal);

        byte[] interruptPage = Files.readAllBytes(fixture.maps("uio0").resolve("map1/page"));
        byte[] monitorPage = Files.readAllBytes(fixture.maps("uio0").resolve("map2/page"));
        assertEquals(1 << PRIMARY, interruptPage[0x3000 + 2048] & 0xFF, "bit relid 7 of the send half, at the offset");
        assertEquals(2, monitorPage[0x1800 + 16], "trigger_group[1].pending bit 1 (33 % 32), at the offset");
        assertEquals(0, interruptPage[2048], "nothing written at the mapping base");
        assertEquals(0, monitorPage[16], "nothing written at the mapping base");
        assertEquals(k.pageSize(), link.headerSize(), "ring headers are one kernel page (hv_ringbuffer_init)");
    }

    // Item 8: a write(1) can sleep on a kernel mutex; it never runs on an event loop.
    @Test
    void item8_aKickThatSleepsInTheKernelNeverStallsTheEventLoop() throws Exception {
        device(KernelGenerations.D062463, 8 * PAGE);
        startGuest(options(KernelGenerations.D062463));
        ChannelDriver driver = drive(awaitOffer(PRIMARY));

        kernel.hold(); // another device is opening: uio_write sleeps
        context.runOnContext(v -> driver.send(new byte[] {1}, 1, PacketType.DATA_INBAND, 0));
        onContext(() -> { }); // the loop turned
        assertEquals(0, kernel.signalled(PRIMARY), "the kick is still asleep in the kernel");

        kernel.release();
        await().atMost(Duration.ofSeconds(10)).until(() -> kernel.signalled(PRIMARY) == 1);
        assertEquals(1, kernel.host(PRIMARY).nextPacket().transactionId());
    }
}
