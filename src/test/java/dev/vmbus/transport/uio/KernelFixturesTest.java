package dev.vmbus.transport.uio;

import dev.vmbus.transport.uio.admin.ServePolicy;
import dev.vmbus.transport.uio.VmbusDevice;
import dev.vmbus.transport.uio.VmbusDevices;

import dev.vmbus.transport.uio.KernelFixtures.Generation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fixtures show what each kernel shows: monitor attributes, drivers, and the uio maps its probe creates. */
class KernelFixturesTest {
    @TempDir
    Path dir;

    @Test
    void integrationServicesShowNoMonitorIdAndControllersDo() throws Exception {
        KernelFixtures f = KernelFixtures.create(dir, Generation.V6_16);
        VmbusDevices.Scan scan = VmbusDevices.scan(f.sys());
        assertEquals(8, scan.devices().size());
        for (VmbusDevice d : scan.devices()) {
            boolean ic = ServePolicy.SUPPORTED.contains(d.classId());
            assertEquals(!ic, d.primary().monitored(), d.className());
            assertEquals(ic ? 0 : 1, d.subchannels().size(), d.className());
            assertEquals(!ic, Files.exists(d.dir().resolve("monitor_id")), d.className());
        }
        assertEquals(null, f.driverOf(f.dev("fcopy").instance()), "no kernel fcopy driver from 6.10");
        KernelFixtures old = KernelFixtures.create(dir.resolve("old"), Generation.STABLE_6_6);
        assertEquals("hv_utils", old.driverOf(old.dev("fcopy").instance()), "hv_utils still serves fcopy on 6.6");
    }

    @Test
    void theProbeMakesMapsWithTheSizesAndOffsetsOfEachGeneration() throws Exception {
        for (Generation g : new Generation[] {Generation.V6_10, Generation.V6_16, Generation.ARM64_64K}) {
            KernelFixtures f = KernelFixtures.create(dir.resolve(g.name()), g);
            SimulatedKernel kernel = new SimulatedKernel(f);
            Path uio = f.sys().resolve("bus/vmbus/drivers/uio_hv_generic");
            String hb = f.dev("heartbeat").instance();
            kernel.write(uio.resolve("new_id"), "57164f39-9115-4e78-ab55-382f3bd5422d");
            kernel.write(f.sys().resolve("bus/vmbus/drivers/hv_utils/unbind"), hb);
            kernel.write(uio.resolve("bind"), hb);
            UioDevice d = new UioDiscovery(f.sys()).device(f.device(hb));
            Path map1 = f.sys().resolve("class/uio").resolve(d.uio()).resolve("maps/map1");
            String size = SysfsAttributes.text(map1.resolve("size"));
            String offset = SysfsAttributes.text(map1.resolve("offset"));
            assertEquals("0x0", offset, "mem->offs, never set by uio_hv_generic (review F2)");
            long inPage = new UioDiscovery(f.sys()).pageOffset(d.uio(), 1, g.pageSize);
            switch (g) {
                case V6_10 -> assertEquals("0x1000/0", size + "/" + inPage);
                case V6_16 -> assertEquals("0x1000/0", size + "/" + inPage);
                default -> assertEquals("0x10000/12288", size + "/" + inPage,
                        "64K page, Hyper-V page inside it at addr & 0xffff");
            }
            assertEquals(2 * (g.pageSize + (2L << 20)), d.map0Size(), "VMBUS_RING_SIZE(SZ_2M) each way (review F14)");
        }
    }

    @Test
    void theProbeRefusesAnUnmonitoredChannelBefore610AndLeavesTheDeviceOnNoDriver() throws Exception {
        KernelFixtures f = KernelFixtures.create(dir, Generation.STABLE_6_6);
        SimulatedKernel kernel = new SimulatedKernel(f);
        String hb = f.dev("heartbeat").instance();
        kernel.write(f.sys().resolve("bus/vmbus/drivers/uio_hv_generic/new_id"), "57164f39-9115-4e78-ab55-382f3bd5422d");
        assertEquals("hv_utils", f.driverOf(hb), "new_id leaves a bound device alone");
        kernel.write(f.sys().resolve("bus/vmbus/drivers/hv_utils/unbind"), hb);
        var refused = assertThrows(java.io.IOException.class,
                () -> kernel.write(f.sys().resolve("bus/vmbus/drivers/uio_hv_generic/bind"), hb));
        assertEquals("Unknown error 524", refused.getMessage());
        assertEquals(null, f.driverOf(hb));
        assertFalse(Files.exists(f.device(hb).resolve("uio")));
        assertTrue(kernel.log.contains("uio_hv_generic/bind " + hb));
    }
}
