package dev.vmbus.cli;

import dev.vmbus.transport.uio.KernelFixtures.Generation;
import dev.vmbus.transport.uio.VmbusDevices;
import dev.vmbus.transport.uio.admin.UioBinder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.vmbus.cli.BindFixture.HEARTBEAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vmbus bind} and {@code unbind} undo what they wrote when a step fails: each completed step reversed in
 * order, a device a process holds left on uio and named, and a rollback that itself fails named with the command
 * that repairs it ({@link BindFixture}).
 */
class BindRollbackTest {
    @TempDir
    Path dir;
    private BindFixture b;

    @BeforeEach
    void fixture() {
        b = new BindFixture(dir);
    }

    /** A bind the kernel's probe refuses (an operator wrongly states a backport) leaves every device where it was. */
    @Test
    void aBindTheProbeRefusesOnAPre610KernelLeavesEveryDeviceOnItsOriginalDriver() throws Exception {
        b.on(Generation.STABLE_6_1, "\"kernel\": { \"slowChannels\": true, \"rescindSafe\": true }");
        Map<String, String> before = b.drivers();
        var failed = assertThrows(IOException.class, () -> b.run("bind", "heartbeat"));

        assertTrue(failed.getMessage().contains("Unknown error 524")
                && failed.getMessage().contains("rolled back and every device is on the driver it had"), failed.getMessage());
        assertEquals(before, b.drivers());
        assertEquals(List.of("uio_hv_generic/new_id " + HEARTBEAT, "hv_utils/unbind " + b.hb(),
                "uio_hv_generic/bind " + b.hb(), "hv_utils/bind " + b.hb(), "uio_hv_generic/remove_id " + HEARTBEAT),
                b.kernel.log, "each completed step undone in reverse order");
    }

    @Test
    void aFailureAtAnyStepIsRolledBack() throws Exception {
        b.on(Generation.V6_16, null);
        Map<String, String> before = b.drivers();
        b.kernel.failNext("hv_utils", "unbind", b.hb(), "Input/output error");
        var failed = assertThrows(IOException.class, () -> b.run("bind", "heartbeat"));
        assertTrue(failed.getMessage().contains("Input/output error"), failed.getMessage());
        assertEquals(before, b.drivers());
        assertEquals("uio_hv_generic/remove_id " + HEARTBEAT, b.kernel.log.getLast());

        // a failure in the rollback itself is named with the command that repairs it
        b.kernel.log.clear();
        b.kernel.failNext("uio_hv_generic", "bind", b.hb(), "Input/output error");
        b.kernel.failNext("hv_utils", "bind", b.hb(), "Device or resource busy");
        var stranded = assertThrows(IOException.class, () -> b.run("bind", "heartbeat"));
        assertTrue(stranded.getMessage().contains("NOT on the driver they had")
                && stranded.getMessage().contains("echo -n " + b.hb() + " > "), stranded.getMessage());
    }

    /**
     * Review F1, bind's rollback: a class with two devices; the first is on uio_hv_generic and a process (the running
     * agent's rescan) has opened it when the second one's probe fails. The rollback puts the second back, but leaves
     * the first on uio rather than unbind it from under that process, naming the process, and says where it is.
     */
    @Test
    void f1_bindsRollbackLeavesADeviceAProcessHoldsOnUioNamingTheHolder() throws Exception {
        b.on(Generation.V6_16, null);
        String first = b.tree.dev("kvp").instance();
        String second = b.tree.addDevice("kvp", "5d2e1f04-7b7c-4bd4-9a35-0fa7c0e3b5a1", 17).instance();
        b.kernel.failNext("uio_hv_generic", "bind", second, "Cannot allocate memory"); // hv_uio_probe: no ring pages
        UioBinder.SysfsWriter agentOpensTheFirst = (attribute, value) -> {
            b.kernel.write(attribute, value);
            if (attribute.toString().endsWith("uio_hv_generic/bind") && value.equals(first)) {
                b.tree.holdOpen(4242, "java", 9, b.tree.uioOf(first));
            }
        };
        var failed = assertThrows(IOException.class, () -> BindCommand.run(new String[] {"bind", "kvp", "--conf",
                b.conf.toString()}, new PrintStream(b.out, true, StandardCharsets.UTF_8), true, agentOpensTheFirst));

        String uio = b.tree.uioOf(first);
        assertTrue(b.text().contains("NOT unbinding " + first + " from uio_hv_generic in the rollback: ")
                && b.text().contains("pid 4242 (java) has /dev/" + uio + " open (fd 9)")
                && b.text().contains("freed guest memory"), b.text());
        assertEquals(VmbusDevices.UIO_DRIVER, b.tree.driverOf(first), "left where the process uses it");
        assertEquals("hv_utils", b.tree.driverOf(second), "the device nobody holds is back on its driver");
        assertTrue(!b.kernel.log.contains("uio_hv_generic/unbind " + first), b.kernel.log.toString());
        assertTrue(!b.kernel.log.contains("hv_utils/bind " + first), "no bind of a device still on uio: " + b.kernel.log);
        assertTrue(!b.text().contains("rollback step failed"), b.text());
        String m = failed.getMessage();
        assertTrue(m.contains("Cannot allocate memory") && m.contains("NOT on the driver they had")
                && m.contains(first + " is on uio_hv_generic, was on hv_utils; put it back: echo -n " + first),
                m);
    }

    @Test
    void anUnbindThatFailsPutsTheDeviceBackOnUio() throws Exception {
        b.on(Generation.V6_16, null);
        b.run("bind", "heartbeat");
        b.kernel.log.clear();
        b.kernel.failNext("hv_utils", "bind", b.hb(), "No such device");
        var failed = assertThrows(IOException.class, () -> b.run("unbind", "heartbeat"));
        assertTrue(failed.getMessage().contains("rolled back and every device is on the driver it had"),
                failed.getMessage());
        assertEquals("uio_hv_generic", b.tree.driverOf(b.hb()), "still served rather than on no driver");
    }
}
