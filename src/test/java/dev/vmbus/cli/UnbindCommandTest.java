package dev.vmbus.cli;

import dev.vmbus.transport.uio.KernelFixtures.Generation;
import dev.vmbus.transport.uio.VmbusDevices;
import dev.vmbus.transport.uio.admin.UioBinder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.vmbus.cli.BindFixture.FCOPY;
import static dev.vmbus.cli.BindFixture.HEARTBEAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vmbus unbind}: the device goes back to the driver bind found it on, and nothing is written while a process
 * holds the device or the vmbus service is active ({@link BindFixture}).
 */
class UnbindCommandTest {
    @TempDir
    Path dir;
    private BindFixture b;

    @BeforeEach
    void fixture() {
        b = new BindFixture(dir);
    }

    @Test
    void unbindHandsTheDeviceBackToHvUtils() throws Exception {
        b.on(Generation.V6_16, null);
        b.run("bind", "heartbeat");
        b.kernel.log.clear();
        assertEquals(0, b.run("unbind", "heartbeat"));
        assertEquals(List.of("uio_hv_generic/unbind " + b.hb(), "uio_hv_generic/remove_id " + HEARTBEAT,
                "hv_utils/bind " + b.hb()), b.kernel.log);
        assertEquals("hv_utils", b.tree.driverOf(b.hb()));
        assertTrue(!Files.exists(b.tree.device(b.hb()).resolve("uio")));
    }

    @Test
    void f1_unbindRefusesWhileAnyProcessHoldsTheNodeOrMapsARingNamingItAndWritesNothing() throws Exception {
        b.on(Generation.V6_16, null);
        b.run("bind", "heartbeat");
        String uio = b.tree.uioOf(b.hb());
        b.tree.process(300, "bash"); // an unrelated process is no holder
        b.tree.holdOpen(4242, "java", 7, uio);
        b.kernel.log.clear();

        var open = assertThrows(UioBinder.Refused.class, () -> b.run("unbind", "heartbeat"));
        assertTrue(open.getMessage().contains("pid 4242 (java) has /dev/" + uio + " open (fd 7)")
                && open.getMessage().contains("freed guest memory") && !open.getMessage().contains("pid 300"),
                open.getMessage());
        assertEquals(List.of(), b.kernel.log, "nothing written");
        assertEquals(VmbusDevices.UIO_DRIVER, b.tree.driverOf(b.hb()));

        // the descriptor closed but a ring still mapped (uio keeps the device open through the mapping)
        b.tree.exit(4242);
        b.tree.holdMapped(4243, "dpdk-testpmd", "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/VMBUS:00/" + b.hb() + "/channels/"
                + b.tree.dev("heartbeat").relid() + "/ring");
        var mapped = assertThrows(UioBinder.Refused.class, () -> b.run("unbind", "heartbeat"));
        assertTrue(mapped.getMessage().contains("pid 4243 (dpdk-testpmd) maps /sys/devices/") , mapped.getMessage());
        b.tree.exit(4243);
        b.tree.holdMapped(4244, "vmbus", "/dev/" + uio);
        assertTrue(assertThrows(UioBinder.Refused.class, () -> b.run("unbind", "heartbeat")).getMessage()
                .contains("pid 4244 (vmbus) maps /dev/" + uio));
        assertEquals(List.of(), b.kernel.log, "nothing written");

        b.tree.exit(4244);
        assertEquals(0, b.run("unbind", "heartbeat"), b.text());
        assertEquals("hv_utils", b.tree.driverOf(b.hb()));
    }

    @Test
    void f1_unbindRefusesWhileTheVmbusServiceIsActive() throws Exception {
        b.on(Generation.V6_16, null);
        b.run("bind", "heartbeat");
        b.kernel.log.clear();
        var active = assertThrows(UioBinder.Refused.class, () -> BindCommand.run(new String[] {"unbind", "heartbeat",
                "--conf", b.conf.toString()}, new PrintStream(b.out, true, StandardCharsets.UTF_8), true, b.kernel,
                c -> 0, true));
        assertTrue(active.getMessage().contains("the vmbus service is active"), active.getMessage());
        assertEquals(List.of(), b.kernel.log, "nothing written");
        assertEquals(VmbusDevices.UIO_DRIVER, b.tree.driverOf(b.hb()));
    }

    /**
     * Review F1: the service holds its devices not only while active. A Type=notify agent is "activating" while it
     * opens its channels (until READY=1) and "deactivating" while it closes them after SIGTERM; in both states
     * {@code systemctl is-active} exits 3, so unbind must read the state it prints.
     */
    @Test
    void f1_theServiceCountsAsHoldingItsDevicesWhileStartingAndStoppingToo() {
        for (String holding : List.of("active\n", "reloading\n", "refreshing\n", "activating\n", "deactivating\n")) {
            assertTrue(BindCommand.Unbind.holdsDevices(holding), holding);
        }
        for (String idle : List.of("inactive\n", "failed\n", "maintenance\n", "unknown\n", "")) {
            assertTrue(!BindCommand.Unbind.holdsDevices(idle), idle);
        }
    }

    /**
     * Review F10: unbind puts fcopy back where bind found it. Since 6.10 that is no driver (hv_utils has no fcopy, and
     * hv_fcopy_uio_daemon serves it only on uio); on an older distribution kernel carrying 547fa4ffd799 it is hv_utils;
     * and a device someone else had already put on uio stays there.
     */
    @Test
    void f10_unbindPutsFcopyBackWhereBindFoundIt() throws Exception {
        b.on(Generation.V6_16, null);
        String fcopy = b.tree.dev("fcopy").instance();
        assertEquals(null, b.tree.driverOf(fcopy), "no kernel fcopy driver since 6.10");
        b.run("bind", "fcopy");
        assertEquals("uio_hv_generic", b.tree.driverOf(fcopy), "new_id's driver_attach probed the unbound device");
        assertEquals("none\n", Files.readString(b.tree.run().resolve("bound").resolve(fcopy)), "bind recorded it");
        assertEquals(0, b.run("unbind", "fcopy"));
        assertEquals(null, b.tree.driverOf(fcopy));
        assertTrue(b.text().contains(fcopy + " was on no driver before 'vmbus bind' and is again (hv_utils has no fcopy"
                + " driver since Linux 6.10, and hv_fcopy_uio_daemon serves fcopy only while it is on uio_hv_generic)"),
                b.text());
        assertTrue(!Files.exists(b.tree.run().resolve("bound").resolve(fcopy)), "the record goes with the binding");

        // A 6.6 distribution kernel carrying 547fa4ffd799: fcopy was on hv_utils, and goes back there.
        b.on(Generation.STABLE_6_6, "\"kernel\": { \"slowChannels\": true, \"rescindSafe\": true }");
        b.kernel.slowChannels = true;
        fcopy = b.tree.dev("fcopy").instance();
        assertEquals("hv_utils", b.tree.driverOf(fcopy), "hv_fcopy before 6.10");
        assertEquals(0, b.run("bind", "fcopy"));
        assertEquals("uio_hv_generic", b.tree.driverOf(fcopy));
        b.kernel.log.clear();
        assertEquals(0, b.run("unbind", "fcopy"));
        assertEquals("hv_utils", b.tree.driverOf(fcopy), b.text());
        assertEquals(List.of("uio_hv_generic/unbind " + fcopy, "uio_hv_generic/remove_id " + FCOPY,
                "hv_utils/bind " + fcopy), b.kernel.log);

        // Already on uio before 'vmbus bind' (bound by hand for hv_fcopy_uio_daemon): it stays there.
        b.on(Generation.V6_16, null);
        fcopy = b.tree.dev("fcopy").instance();
        b.kernel.write(b.tree.sys().resolve("bus/vmbus/drivers/uio_hv_generic/new_id"), FCOPY);
        assertEquals("uio_hv_generic", b.tree.driverOf(fcopy));
        assertEquals(0, b.run("bind", "fcopy"));
        b.kernel.log.clear();
        b.out.reset();
        assertEquals(0, b.run("unbind", "fcopy"));
        assertEquals("uio_hv_generic", b.tree.driverOf(fcopy));
        assertEquals(List.of(), b.kernel.log, "nothing written");
        assertTrue(b.text().contains(fcopy + " was on uio_hv_generic before 'vmbus bind'") && b.text().contains(
                "--driver NAME moves it anyway"), b.text());
        assertEquals(0, b.run("unbind", "fcopy", "--driver", "uio_hv_generic"), "--driver: where the operator says");
    }
}
