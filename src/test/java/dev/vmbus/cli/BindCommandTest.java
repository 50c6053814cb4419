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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.vmbus.cli.BindFixture.HEARTBEAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vmbus bind} on the kernel-generation fixtures ({@link BindFixture}): the exact writes of spec 5.1, the
 * preflight and its refusals, idempotency, dry runs, the warnings said before the first write, and the refusal of
 * classes that are not integration services. The rollback is {@link BindRollbackTest}, {@code unbind}
 * {@link UnbindCommandTest}, {@code bind --enabled} {@link BindEnabledTest}.
 */
class BindCommandTest {
    @TempDir
    Path dir;
    private BindFixture b;

    @BeforeEach
    void fixture() {
        b = new BindFixture(dir);
    }

    @Test
    void bindAddsTheClassUnbindsFromTheKernelDriverAndBindsToUio() throws Exception {
        b.on(Generation.V6_16, null);
        assertEquals(0, b.run("bind", "heartbeat"));

        assertEquals(List.of("uio_hv_generic/new_id " + HEARTBEAT, "hv_utils/unbind " + b.hb(),
                "uio_hv_generic/bind " + b.hb()), b.kernel.log);
        assertEquals(b.hb(), b.read("hv_utils", "unbind"), "written like echo -n: no newline");
        assertEquals("uio_hv_generic", b.tree.driverOf(b.hb()));
        assertTrue(Files.isDirectory(b.tree.device(b.hb()).resolve("uio")), "the probe made a uio node");
        assertTrue(b.text().contains("heartbeat: 1 device(s) moved to uio_hv_generic"), b.text());
        assertEquals("hv_utils", b.tree.driverOf(b.tree.dev("timesync").instance()), "the other class was left alone");
    }

    @Test
    void bindAcceptsAClassGuidInAnyForm() throws Exception {
        b.on(Generation.V6_10, null);
        assertEquals(0, b.run("bind", "{9527E630-D0AE-497B-ADCE-E80AB0175CAF}"));
        assertEquals("9527e630-d0ae-497b-adce-e80ab0175caf", b.read("uio_hv_generic", "new_id"));
        assertEquals("uio_hv_generic", b.tree.driverOf(b.tree.dev("timesync").instance()));
    }

    @Test
    void bindingTwiceChangesNothingTheSecondTime() throws Exception {
        b.on(Generation.V6_16, null);
        assertEquals(0, b.run("bind", "kvp"));
        Map<String, String> after = b.drivers();
        b.kernel.log.clear();
        b.out.reset();

        assertEquals(0, b.run("bind", "kvp"));
        assertEquals(after, b.drivers());
        assertEquals(List.of("uio_hv_generic/new_id a9a0f4e7-5a45-4d96-b827-8a841e8c03e6"), b.kernel.log,
                "only the new_id, which the kernel answers with EEXIST");
        assertTrue(b.text().contains("already lists") && b.text().contains("already bound to uio_hv_generic")
                && b.text().contains("kvp: 0 device(s) moved"), b.text());
    }

    /** Item 1: on a kernel without 547fa4ffd799 the bind is refused before any write, naming why. */
    @Test
    void item1_onAKernelWithoutSlowChannelsBindRefusesAnUnmonitoredChannelBeforeTouchingIt() throws Exception {
        b.on(Generation.STABLE_6_6, null);
        Map<String, String> before = b.drivers();
        var refused = assertThrows(UioBinder.Refused.class, () -> b.run("bind", "heartbeat"));

        String m = refused.getMessage();
        assertTrue(m.contains("kernel 6.6.87-generic") && m.contains("547fa4ffd799") && m.contains("-ENOTSUPP")
                && m.contains("not monitor-allocated") && m.contains(b.hb()) && m.contains("nothing was changed"), m);
        assertEquals(List.of(), b.kernel.log, "no write at all");
        assertEquals(before, b.drivers());
    }

    @Test
    void dryRunPrintsTheWritesAsCommandsAndWritesNothing() throws Exception {
        b.on(Generation.V6_16, null);
        Path drivers = b.tree.sys().resolve("bus/vmbus/drivers");
        assertEquals(0, BindCommand.run(new String[] {"bind", "heartbeat", "--dry-run", "--conf", b.conf.toString()},
                new PrintStream(b.out, true, StandardCharsets.UTF_8), false, b.kernel));
        assertEquals(List.of(), b.kernel.log);
        assertEquals("hv_utils", b.tree.driverOf(b.hb()));
        String t = b.text();
        assertTrue(t.contains("# kernel 6.16.3"), t);
        assertTrue(t.contains("echo " + HEARTBEAT + " > " + drivers.resolve("uio_hv_generic/new_id")), t);
        assertTrue(t.contains("echo -n " + b.hb() + " > " + drivers.resolve("hv_utils/unbind")), t);
        assertTrue(t.contains("echo -n " + b.hb() + " > " + drivers.resolve("uio_hv_generic/bind")), t);
        assertTrue(t.indexOf("hv_utils/unbind") < t.indexOf("uio_hv_generic/bind"), t);

        // on a kernel that cannot serve it, the dry run refuses with the same reason
        b.on(Generation.STABLE_6_6, null);
        var refused = assertThrows(UioBinder.Refused.class, () -> b.run("bind", "heartbeat", "--dry-run"));
        assertTrue(refused.getMessage().contains("547fa4ffd799"), refused.getMessage());
    }

    /** Item 9: storage, network and unknown classes are refused unless forced, with the risk named. */
    @Test
    void item9_storageNetworkAndUnknownClassesAreRefusedUnlessForced() throws Exception {
        b.on(Generation.V6_16, null);
        Map<String, String> before = b.drivers();
        var storage = assertThrows(UioBinder.Refused.class, () -> b.run("bind", "storvsc"));
        assertTrue(storage.getMessage().contains("storage controller") && storage.getMessage().contains("root file system")
                && storage.getMessage().contains("--force"), storage.getMessage());
        var network = assertThrows(UioBinder.Refused.class, () -> b.run("bind", "netvsc"));
        assertTrue(network.getMessage().contains("SSH") && network.getMessage().contains("devices.netvsc"),
                network.getMessage());
        assertEquals(List.of(), b.kernel.log);
        assertEquals(before, b.drivers());

        // --force moves it, saying the risk as it does
        assertEquals(0, b.run("bind", "netvsc", "--force"));
        assertEquals("uio_hv_generic", b.tree.driverOf(b.tree.dev("netvsc").instance()));
        assertTrue(b.text().contains("--force: moving") && b.text().contains("SSH"), b.text());

        // --force does not override what the kernel cannot do: subchannels without d062463
        b.on(Generation.V6_10, null);
        var sub = assertThrows(UioBinder.Refused.class, () -> b.run("bind", "storvsc", "--force"));
        assertTrue(sub.getMessage().contains("d062463edf17") && sub.getMessage().contains("NULL"), sub.getMessage());
    }

    @Test
    void f5_onAConfidentialVmBindRefusesBeforeWritingAnything() throws Exception {
        b.on(Generation.V6_16, null);
        Files.writeString(b.tree.proc().resolve("cpuinfo"), "flags\t\t: fpu tdx_guest\n");
        var refused = assertThrows(UioBinder.Refused.class, () -> b.run("bind", "heartbeat"));
        assertTrue(refused.getMessage().contains("confidential VM (the CPU flag tdx_guest"), refused.getMessage());
        assertEquals(List.of(), b.kernel.log);
        assertEquals("hv_utils", b.tree.driverOf(b.hb()));
    }

    // Review F5, issue 19: an Azure SNP CVM with a paravisor shows no CPU flag and no attestation device; the kernel
    // log's isolation line is what tells it, and bind refuses on it before writing anything, --force or not.
    @Test
    void f5_onAnAzureCvmWithAParavisorBindRefusesFromTheKernelLogBeforeWritingAnything() throws Exception {
        b.on(Generation.V6_16, null);
        b.tree.kernelLog(dev.vmbus.transport.uio.KernelFixtures.AZURE_SNP_PARAVISOR_LOG);
        for (String[] argv : new String[][] {{"bind", "heartbeat"}, {"bind", "heartbeat", "--force"}}) {
            var refused = assertThrows(UioBinder.Refused.class, () -> b.run(argv));
            assertTrue(refused.getMessage().contains("confidential VM (the kernel log line 'Hyper-V: Isolation Config:"
                    + " Group A 0x1, Group B 0xba2'") && refused.getMessage().contains("SEV-SNP, with a paravisor"),
                    refused.getMessage());
        }
        assertEquals(List.of(), b.kernel.log);
        assertEquals("hv_utils", b.tree.driverOf(b.hb()));
    }

    // Review F4: before fb1adbd7e50f a rescind of an opened device oopses the guest in hv_uio_rescind. bind refuses
    // before it writes, --force does not override the kernel, stating slowChannels alone does not state the fix.
    @Test
    void f4_onAKernelWithoutTheRescindFixBindRefusesBeforeWritingAnythingAndForceDoesNotOverrideIt() throws Exception {
        b.on(Generation.V6_10, "\"kernel\": { \"release\": \"6.10.9\" }");
        for (String[] argv : new String[][] {{"bind", "heartbeat"}, {"bind", "heartbeat", "--force"}}) {
            var refused = assertThrows(UioBinder.Refused.class, () -> b.run(argv));
            assertTrue(refused.getMessage().contains("kernel 6.10.9 is not known to carry fb1adbd7e50f")
                    && refused.getMessage().contains("transport.kernel.rescindSafe=true"), refused.getMessage());
        }
        assertEquals(List.of(), b.kernel.log, "nothing written");
        b.on(Generation.V6_10, "\"kernel\": { \"release\": \"5.15.0-1089-azure\", \"slowChannels\": true }");
        assertTrue(assertThrows(UioBinder.Refused.class, () -> b.run("bind", "heartbeat")).getMessage()
                .contains("fb1adbd7e50f"), "a stated 547fa4ffd799 backport says nothing of the rescind fix");
        assertEquals(List.of(), b.kernel.log, "nothing written");
        assertEquals("hv_utils", b.tree.driverOf(b.hb()));

        b.on(Generation.V6_10, "\"kernel\": { \"release\": \"5.15.0-1089-azure\", \"slowChannels\": true,"
                + " \"rescindSafe\": true }");
        assertEquals(0, b.run("bind", "heartbeat"), b.text());
        assertEquals(VmbusDevices.UIO_DRIVER, b.tree.driverOf(b.hb()));
    }

    // Issue 19 item 3: before 6.14 every bound device costs 31 + 16 MiB of receive and send buffers.
    @Test
    void item3_bindNamesTheBufferCostBeforeItWritesAndRefusesAboveTheShareOfMemTotalWithoutForce() throws Exception {
        b.on(Generation.V6_10, null);
        Files.writeString(b.tree.proc().resolve("meminfo"), "MemTotal:        1048576 kB\n"); // 1 GiB: 10% is 102.4 MiB
        assertEquals(0, b.run("bind", "heartbeat"));
        assertTrue(b.text().contains("binding heartbeat makes kernel 6.10.14 allocate 47 MiB of receive and send buffers")
                && b.text().contains("4.6% of MemTotal 1024 MiB"), b.text());
        assertTrue(b.text().indexOf("allocate 47 MiB") < b.text().indexOf("wrote "), "named before the first write");
        assertEquals(0, b.run("bind", "timesync"));
        assertTrue(b.text().contains("with the 47 MiB of the devices already bound that is 94 MiB"), b.text());

        b.kernel.log.clear();
        var refused = assertThrows(UioBinder.Refused.class, () -> b.run("bind", "shutdown"));
        assertTrue(refused.getMessage().contains("141 MiB, 13.8% of MemTotal 1024 MiB")
                && refused.getMessage().contains("transport.maxBufferPercent (10.0%)")
                && refused.getMessage().contains("--force"), refused.getMessage());
        assertEquals(List.of(), b.kernel.log, "nothing written");
        assertEquals(0, b.run("bind", "shutdown", "--force"));
        assertEquals(VmbusDevices.UIO_DRIVER, b.tree.driverOf(b.tree.dev("shutdown").instance()));

        // the share is configurable
        b.conf = b.tree.config(dir.resolve("vmbus.json"), "\"maxBufferPercent\": 25");
        assertEquals(0, b.run("bind", "kvp"));
        // 6.14 and later give the buffers to the NIC only: binding an integration service costs nothing
        b.on2616();
        assertEquals(0, b.run("bind", "heartbeat"));
        assertTrue(!b.text().contains("receive and send buffers"), b.text());
    }

    // Review F11: timesync leaving hv_utils takes /dev/ptp_hyperv with it.
    @Test
    void f11_bindingTimesyncWarnsThatThePtpClockGoes() throws Exception {
        b.on(Generation.V6_16, null);
        assertEquals(0, b.run("bind", "heartbeat"));
        assertTrue(!b.text().contains("ptp_hyperv"), b.text());
        assertEquals(0, b.run("bind", "timesync"));
        assertTrue(b.text().contains("WARNING: timesync leaves hv_utils, which unregisters the hyperv PTP clock"
                + " (/dev/ptp_hyperv)") && b.text().contains("chronySocket"), b.text());
    }

    // Review F7: bind says, before it writes, that the guest cannot hibernate with the device on uio.
    @Test
    void f7_bindWarnsThatHibernationBecomesImpossible() throws Exception {
        b.on(Generation.V6_16, null);
        assertEquals(0, b.run("bind", "heartbeat"));
        assertTrue(b.text().contains("WARNING: once heartbeat is on uio_hv_generic this guest cannot hibernate until it is"
                + " unbound (review F7): the kernel aborts hibernation"), b.text());
        assertTrue(b.text().indexOf("cannot hibernate") < b.text().indexOf("wrote "), "said before the first write");
        b.out.reset();
        assertEquals(0, b.run("bind", "heartbeat"));
        assertTrue(!b.text().contains("hibernate"), "nothing moves the second time, nothing to warn of: " + b.text());
    }

    @Test
    void clearErrors() throws Exception {
        b.on(Generation.V6_16, null);
        var notRoot = assertThrows(IllegalStateException.class, () -> BindCommand.run(
                new String[] {"bind", "heartbeat", "--conf", b.conf.toString()}, System.out, false, b.kernel));
        assertTrue(notRoot.getMessage().contains("must run as root"), notRoot.getMessage());

        var unknown = assertThrows(IllegalArgumentException.class, () -> b.run("bind", "toaster"));
        assertTrue(unknown.getMessage().contains("'toaster' is neither a device class name"), unknown.getMessage());

        var none = assertThrows(IOException.class, () -> b.run("bind", "balloon"));
        assertTrue(none.getMessage().contains("no device of class balloon"), none.getMessage());

        b.tree.unloadUio();
        var noModule = assertThrows(IOException.class, () -> b.run("bind", "heartbeat"));
        assertTrue(noModule.getMessage().contains("modprobe uio_hv_generic"), noModule.getMessage());

        assertThrows(picocli.CommandLine.ParameterException.class, () -> b.run("bind"));
        assertThrows(picocli.CommandLine.ParameterException.class, () -> b.run("unbind", "kvp", "--force"));
    }
}
