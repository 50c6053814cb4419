package dev.vmbus.transport.uio;

import dev.vmbus.channel.Offer;
import dev.vmbus.os.PageSize;
import dev.vmbus.os.Posix;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.uio.KernelFixtures.Generation;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.RecordedOffers;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** uio maps 3 and 4: which kernels make them for which devices, how they are named and sized, and mapping them. */
class UioBuffersTest {
    static final long PAGE = PageSize.system();
    static final String HEARTBEAT = "{57164f39-9115-4e78-ab55-382f3bd5422d}\n";
    static final String INSTANCE = "{fd149e91-82e0-4a7d-afa6-2a4166cbd7c0}\n";

    @TempDir
    Path tmp;

    @Test
    void everyGenerationHasBuffersWhereItsKernelMakesThem() throws Exception {
        for (Generation g : Generation.values()) {
            KernelFixtures tree = KernelFixtures.create(tmp.resolve(g.name()), g);
            KernelFixtures.Dev nic = tree.dev("netvsc");
            KernelFixtures.Dev heartbeat = tree.dev("heartbeat");
            tree.probedByUio(heartbeat.instance(), 16384);
            tree.probedByUio(nic.instance(), 16384);
            UioDiscovery discovery = new UioDiscovery(tree.sys());
            UioDevice hb = discovery.device(tree.device(heartbeat.instance()));
            UioDevice net = discovery.device(tree.device(nic.instance()));

            assertEquals(List.of(), net.bufferProblems(), g.name());
            UioBufferMap recv = net.buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow();
            UioBufferMap send = net.buffer(ChannelBuffer.Kind.SEND).orElseThrow();
            assertEquals(31L << 20, recv.size(), g.name());
            assertEquals(16L << 20, send.size(), g.name());
            assertEquals(Integer.toUnsignedLong(recv.name().gpadl()) + 1, Integer.toUnsignedLong(send.name().gpadl()));
            assertTrue(recv.name().gpadl() >= 0xE1E10, recv.name().toString());
            // Before 6.14 every bound device gets the 47 MiB; from 6.14 only the NIC.
            assertEquals(g.buffersOnEveryDevice ? 2 : 0, hb.buffers().size(), g.name() + ": " + hb.buffers());
        }
    }

    @Test
    void theFirstGenerationWithBuffersHasFifteenMegabytesEachAndSizesComeFromSysfs() throws Exception {
        SysfsFixture fixture = new SysfsFixture(tmp);
        fixture.device("hb", HEARTBEAT, INSTANCE, 7, "uio0", 8 * PAGE);
        fixture.bufferMap("uio0", 3, "recv:925201", 15L << 20); // 4.16, e7d214642a19: 15 MiB and 15 MiB
        fixture.bufferMap("uio0", 4, "send:925202", 15L << 20);
        UioDevice d = new UioDiscovery(tmp).device(fixture.devices().resolve("hb"));
        assertEquals(List.of(new UioBufferMap(new ChannelBuffer.Name(ChannelBuffer.Kind.RECEIVE, 925201), 15L << 20),
                new UioBufferMap(new ChannelBuffer.Name(ChannelBuffer.Kind.SEND, 925202), 15L << 20)), d.buffers());
    }

    @Test
    void aBufferThatCannotBeUsedIsReportedAndTheDeviceStillServed() throws Exception {
        SysfsFixture fixture = new SysfsFixture(tmp);
        fixture.device("hb", HEARTBEAT, INSTANCE, 7, "uio0", 8 * PAGE);
        fixture.bufferMap("uio0", 3, "recv_4294967295", 1L << 20);
        fixture.bufferMap("uio0", 4, "send:925202", 4095);
        UioDevice d = new UioDiscovery(tmp).device(fixture.devices().resolve("hb"));
        assertEquals(List.of(), d.buffers());
        assertEquals(2, d.bufferProblems().size(), d.bufferProblems().toString());
        assertTrue(d.bufferProblems().get(0).contains("map3/name: buffer name 'recv_4294967295' is not recv:N or"
                + " send:N; the buffer is not used"), d.bufferProblems().get(0));
        assertTrue(d.bufferProblems().get(1).contains("map4/size holds 4095, not a whole number of 4096-byte pages"),
                d.bufferProblems().get(1));
        assertEquals(7, d.device().primaryRelid());
    }

    @Test
    void anOpenChannelMapsTheDevicesBuffersAndUnmapsThemWithItsRing() throws Exception {
        SysfsFixture fixture = new SysfsFixture(tmp);
        fixture.device("hb", HEARTBEAT, INSTANCE, 7, "uio0", 8 * PAGE);
        fixture.bufferMap("uio0", 3, "recv:925201", 64 * 4096);
        fixture.bufferMap("uio0", 4, "send:925202", 32 * 4096);
        try (RandomAccessFile f = new RandomAccessFile(fixture.maps("uio0").resolve("map3/buffer").toFile(), "rw")) {
            f.seek(64 * 4096 - 4);
            f.write(new byte[] {9, 8, 7, 6}); // what the host put at the end of the receive buffer
        }
        FixtureNodes nodes = new FixtureNodes(fixture, false, (d, p) -> { });
        Vertx vertx = Vertx.vertx();
        UioGuest guest = new UioGuest(vertx, new UioOptions(tmp), nodes);
        try {
            Context context = vertx.getOrCreateContext();
            RecordedOffers offers = new RecordedOffers();
            guest.start(context, offers).await(10, TimeUnit.SECONDS);
            Offer offer = offers.next();
            ChannelLink link = OnContext.call(context, () -> guest.open(offer)).await(10, TimeUnit.SECONDS);
            ChannelBuffer recv = link.buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow();
            ChannelBuffer send = link.buffer(ChannelBuffer.Kind.SEND).orElseThrow();
            assertEquals("recv:925201", recv.name().toString());
            assertEquals(925202, send.gpadl());
            assertArrayEquals(new byte[] {9, 8, 7, 6}, recv.read(64 * 4096 - 4, 4));
            assertThrows(ChannelBuffer.OutOfBufferException.class, () -> recv.read(64 * 4096 - 3, 4));
            assertEquals(32 * 4096, send.size());

            link.close().await(10, TimeUnit.SECONDS);
            assertThrows(IllegalStateException.class, () -> recv.read(0, 1), "unmapped with the ring");
        } finally {
            guest.close().await(10, TimeUnit.SECONDS);
            vertx.close().await(10, TimeUnit.SECONDS);
            for (SocketPair p : nodes.pairs.values()) {
                Posix.close(p.host);
            }
        }
    }
}
