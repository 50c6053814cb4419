package dev.vmbus.transport.uio;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.os.PageSize;
import io.vertx.core.Promise;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sysfs discovery on fixture trees laid out as spec section 5.5 describes. */
class UioDiscoveryTest {
    static final String NET_CLASS = "{f8615163-df3e-46c5-913f-f2d2f965ed0e}\n";
    static final String NET_INSTANCE = "9b0b8bc1-3cb8-4b0b-9ab1-5d8a1e3f0a10";
    static final long PAGE = PageSize.system();

    @TempDir
    Path tmp;

    @Test
    void primaryAndSubchannelsWithSizesFromSysfs() throws Exception {
        SysfsFixture f = new SysfsFixture(tmp);
        Path dev = f.device(NET_INSTANCE, NET_CLASS, "{" + NET_INSTANCE + "}\n", 14, "uio3", 8 * PAGE);
        f.subchannel(dev, 31, 2, 6 * PAGE);
        f.subchannel(dev, 30, 1, 4 * PAGE);
        f.monitored(dev, 14, 5, "uio3");

        UioDiscovery.Scan scan = new UioDiscovery(tmp).scan();

        assertEquals(List.of(), scan.problems());
        UioDevice d = scan.devices().getFirst();
        assertEquals(UUID.fromString(NET_INSTANCE), d.device().instanceId());
        assertEquals(DeviceClass.byName("netvsc").orElseThrow().classId(), d.device().classId());
        assertEquals("uio3", d.uio());
        assertEquals(14, d.device().primaryRelid());
        assertEquals(8 * PAGE, d.map0Size());
        assertEquals(4 * PAGE, d.primaryRingSize());
        assertEquals(List.of(14, 30, 31), d.device().channels().stream().map(UioChannel::relid).toList(), "ordered by index");
        assertEquals(List.of(0, 1, 2), d.device().channels().stream().map(UioChannel::subchannel).toList());
        assertEquals(5, d.device().channel(14).orElseThrow().monitorId());
        assertTrue(d.device().channel(14).orElseThrow().monitored());
        assertFalse(d.device().channel(30).orElseThrow().monitored(), "monitor_id hidden: not monitored");
    }

    @Test
    void oddGuidFormatsAreAccepted() throws Exception {
        SysfsFixture f = new SysfsFixture(tmp);
        // Braces and uppercase with a trailing newline; plain lowercase with spaces; the directory name differs.
        f.device("dev-a", "{57164F39-9115-4E78-AB55-382F3BD5422D}\n", "{FD149E91-82E0-4A7D-AFA6-2A4166CBD7C0}\n",
                1, "uio0", 4 * PAGE);
        f.device("dev-b", "  9527e630-d0ae-497b-adce-e80ab0175caf \n\n", "2dd1ce17-079e-403c-b352-a1921ee207ee",
                2, "uio1", 4 * PAGE);

        UioDiscovery.Scan scan = new UioDiscovery(tmp).scan();

        assertEquals(List.of(), scan.problems());
        assertEquals(DeviceClass.HEARTBEAT.classId(), scan.devices().get(0).device().classId());
        assertEquals(UUID.fromString("fd149e91-82e0-4a7d-afa6-2a4166cbd7c0"), scan.devices().get(0).device().instanceId());
        assertEquals(DeviceClass.TIMESYNC.classId(), scan.devices().get(1).device().classId());
    }

    @Test
    void aDeviceWithoutUioDirectoryIsSkippedWithTheReason() throws Exception {
        SysfsFixture f = new SysfsFixture(tmp);
        f.device("kernel-owned", "{57164f39-9115-4e78-ab55-382f3bd5422d}\n", "{fd149e91-82e0-4a7d-afa6-2a4166cbd7c0}\n",
                1, null, 0);

        UioDiscovery.Scan scan = new UioDiscovery(tmp).scan();

        assertEquals(List.of(), scan.devices());
        assertEquals(1, scan.skipped().size());
        assertTrue(scan.skipped().getFirst().contains("not bound to uio_hv_generic"), scan.skipped().getFirst());
        assertTrue(scan.skipped().getFirst().contains(tmp.resolve("bus/vmbus/devices/kernel-owned/uio").toString()));
    }

    @Test
    void badAttributesAreProblemsNamingTheFileAndOtherDevicesStillWork() throws Exception {
        SysfsFixture f = new SysfsFixture(tmp);
        f.device("good", "{57164f39-9115-4e78-ab55-382f3bd5422d}\n", "{fd149e91-82e0-4a7d-afa6-2a4166cbd7c0}\n",
                1, "uio0", 4 * PAGE);
        Path badGuid = f.device("bad-guid", "{not-a-guid}\n", "{2dd1ce17-079e-403c-b352-a1921ee207ee}\n", 2, "uio1", 4 * PAGE);
        f.device("bad-size", "{0e0b6031-5213-4934-818b-38d90ced39db}\n", "{b6650ff7-33bc-4840-8048-e0676786f393}\n",
                3, "uio2", 4 * PAGE);
        SysfsFixture.write(f.maps("uio2").resolve("map0/size"), "16384\n"); // no 0x prefix
        Path noUioEntry = f.device("empty-uio", "{a9a0f4e7-5a45-4d96-b827-8a841e8c03e6}\n",
                "{242ff919-07db-4180-9c2e-b86cb68c8c55}\n", 4, null, 0);
        Files.createDirectories(noUioEntry.resolve("uio"));

        UioDiscovery.Scan scan = new UioDiscovery(tmp).scan();

        assertEquals(List.of(1), scan.devices().stream().map(d -> d.device().primaryRelid()).toList());
        String all = String.join("\n", scan.problems());
        assertEquals(3, scan.problems().size(), all);
        assertTrue(all.contains(badGuid.resolve("class_id") + " does not hold a GUID: '{not-a-guid}'"), all);
        assertTrue(all.contains(f.maps("uio2").resolve("map0/size") + " does not hold a 0x-prefixed hexadecimal size"), all);
        assertTrue(all.contains(noUioEntry.resolve("uio") + " should hold exactly one uioN entry"), all);
    }

    @Test
    void ringMemoryThatCannotHoldTwoRingsIsRefused() throws Exception {
        SysfsFixture f = new SysfsFixture(tmp);
        f.device("odd", "{57164f39-9115-4e78-ab55-382f3bd5422d}\n", "{fd149e91-82e0-4a7d-afa6-2a4166cbd7c0}\n",
                1, "uio0", 3 * PAGE);

        UioDiscovery.Scan scan = new UioDiscovery(tmp).scan();

        assertEquals(List.of(), scan.devices());
        assertTrue(scan.problems().getFirst().contains("cannot hold two rings"), scan.problems().getFirst());
    }

    @Test
    void noVmbusAtAllIsAClearError() {
        IOException e = assertThrows(IOException.class, () -> new UioDiscovery(tmp).scan());
        assertTrue(e.getMessage().contains(tmp.resolve("bus/vmbus/devices") + " does not exist"), e.getMessage());
        assertTrue(e.getMessage().contains("not a Hyper-V guest"), e.getMessage());
    }

    @Test
    void aLateRingFileIsAwaited() throws Exception {
        SysfsFixture f = new SysfsFixture(tmp);
        Path dev = f.device(NET_INSTANCE, NET_CLASS, NET_INSTANCE, 14, "uio3", 4 * PAGE);
        f.subchannel(dev, 30, 1, 0);
        Path ring = dev.resolve("channels/30/ring");

        Promise<Void> late = Promise.promise();
        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(300); // pacing: late, once the wait has begun
                f.ring(dev, 30, 6 * PAGE);
                late.complete();
            } catch (Exception e) {
                late.fail(e);
            }
        });
        long size = UioDiscovery.awaitRingFile(ring, 5_000);

        late.future().await(5, TimeUnit.SECONDS);
        assertEquals(6 * PAGE, size);
    }

    @Test
    void aRingFileThatNeverAppearsTimesOutWithTheFileNamed() throws Exception {
        Path ring = tmp.resolve("channels/30/ring");
        IOException e = assertThrows(IOException.class, () -> UioDiscovery.awaitRingFile(ring, 100));
        assertTrue(e.getMessage().startsWith(ring + " did not appear within 100 ms"), e.getMessage());
    }

    // Review F2: where a map starts in its page is maps/mapN/addr & (PAGE_SIZE-1); maps/mapN/offset is mem->offs (0).
    @Test
    void f2_theOffsetInThePageComesFromAddrNeverFromOffset() throws Exception {
        SysfsFixture f = new SysfsFixture(tmp);
        f.device(NET_INSTANCE, NET_CLASS, "{" + NET_INSTANCE + "}\n", 14, "uio3", 8 * PAGE);
        f.hyperVPages("uio3", 65536, 0x3000, 0xa000);
        UioDiscovery d = new UioDiscovery(tmp);
        assertEquals(0x3000, d.pageOffset("uio3", 1, 65536));
        assertEquals(0xa000, d.pageOffset("uio3", 2, 65536));
        assertEquals(0, d.pageOffset("uio3", 2, 4096), "a 4 KiB kernel page is the Hyper-V page itself");

        SysfsFixture.write(f.maps("uio3").resolve("map1/addr"), "(null)\n");
        var bad = assertThrows(IOException.class, () -> d.pageOffset("uio3", 1, 65536));
        assertTrue(bad.getMessage().contains("map1/addr does not hold"), bad.getMessage());
        Files.delete(f.maps("uio3").resolve("map1/addr"));
        var none = assertThrows(IOException.class, () -> d.pageOffset("uio3", 1, 65536));
        assertTrue(none.getMessage().contains("cannot be known"), none.getMessage());
        assertEquals(0, d.pageOffset("uio3", 1, 4096));
    }
}
