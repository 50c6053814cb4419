package dev.vmbus.cli;

import dev.vmbus.transport.uio.KernelFixtures;
import dev.vmbus.transport.uio.KernelFixtures.Generation;
import dev.vmbus.transport.uio.SimulatedKernel;
import dev.vmbus.transport.uio.VmbusDevices;
import dev.vmbus.transport.uio.admin.UioBinder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vmbus bind} / {@code unbind} on the kernel-generation fixtures, with {@link SimulatedKernel} doing what
 * the kernel does with each write: the exact writes of spec 5.1, the preflight, the rollback, idempotency, dry
 * runs and the refusal of classes that are not integration services.
 */
class BindCommandTest {
    static final String HEARTBEAT = "57164f39-9115-4e78-ab55-382f3bd5422d";
    static final String FCOPY = "34d14be3-dee4-41c8-9ae7-6b174977c192";

    @TempDir
    Path dir;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    KernelFixtures tree;
    SimulatedKernel kernel;
    Path conf;

    private int trees;

    /** A fresh tree of generation {@code g} (a test that calls this twice gets two trees). */
    private void on(Generation g, String extraTransport) throws IOException {
        trees++;
        tree = KernelFixtures.create(dir.resolve(trees == 1 ? "root" : "root" + trees), g);
        kernel = new SimulatedKernel(tree);
        conf = tree.config(dir.resolve("vmbus.json"), extraTransport);
    }

    private int run(String... argv) throws IOException {
        String[] full = new String[argv.length + 2];
        System.arraycopy(argv, 0, full, 0, argv.length);
        full[argv.length] = "--conf";
        full[argv.length + 1] = conf.toString();
        return BindCommand.run(full, new PrintStream(out, true, StandardCharsets.UTF_8), true, kernel);
    }

    private String text() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private Map<String, String> drivers() throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        for (KernelFixtures.Dev d : KernelFixtures.DEVICES) {
            m.put(d.className(), tree.driverOf(d.instance()));
        }
        return m;
    }

    private String hb() {
        return tree.dev("heartbeat").instance();
    }

    private String read(String driver, String attr) throws IOException {
        return Files.readString(tree.sys().resolve("bus/vmbus/drivers/" + driver + "/" + attr));
    }

    @Test
    void bindAddsTheClassUnbindsFromTheKernelDriverAndBindsToUio() throws Exception {
        on(Generation.V6_16, null);
        assertEquals(0, run("bind", "heartbeat"));

        assertEquals(List.of("uio_hv_generic/new_id " + HEARTBEAT, "hv_utils/unbind " + hb(),
                "uio_hv_generic/bind " + hb()), kernel.log);
        assertEquals(hb(), read("hv_utils", "unbind"), "written like echo -n: no newline");
        assertEquals("uio_hv_generic", tree.driverOf(hb()));
        assertTrue(Files.isDirectory(tree.device(hb()).resolve("uio")), "the probe made a uio node");
        assertTrue(text().contains("heartbeat: 1 device(s) moved to uio_hv_generic"), text());
        assertEquals("hv_utils", tree.driverOf(tree.dev("timesync").instance()), "the other class was left alone");
    }

    @Test
    void bindAcceptsAClassGuidInAnyForm() throws Exception {
        on(Generation.V6_10, null);
        assertEquals(0, run("bind", "{9527E630-D0AE-497B-ADCE-E80AB0175CAF}"));
        assertEquals("9527e630-d0ae-497b-adce-e80ab0175caf", read("uio_hv_generic", "new_id"));
        assertEquals("uio_hv_generic", tree.driverOf(tree.dev("timesync").instance()));
    }

    @Test
    void bindingTwiceChangesNothingTheSecondTime() throws Exception {
        on(Generation.V6_16, null);
        assertEquals(0, run("bind", "kvp"));
        Map<String, String> after = drivers();
        kernel.log.clear();
        out.reset();

        assertEquals(0, run("bind", "kvp"));
        assertEquals(after, drivers());
        assertEquals(List.of("uio_hv_generic/new_id a9a0f4e7-5a45-4d96-b827-8a841e8c03e6"), kernel.log,
                "only the new_id, which the kernel answers with EEXIST");
        assertTrue(text().contains("already lists") && text().contains("already bound to uio_hv_generic")
                && text().contains("kvp: 0 device(s) moved"), text());
    }

    /** Item 1: on a kernel without 547fa4ffd799 the bind is refused before any write, naming why. */
    @Test
    void item1_onAKernelWithoutSlowChannelsBindRefusesAnUnmonitoredChannelBeforeTouchingIt() throws Exception {
        on(Generation.STABLE_6_6, null);
        Map<String, String> before = drivers();
        var refused = assertThrows(UioBinder.Refused.class, () -> run("bind", "heartbeat"));

        String m = refused.getMessage();
        assertTrue(m.contains("kernel 6.6.87-generic") && m.contains("547fa4ffd799") && m.contains("-ENOTSUPP")
                && m.contains("not monitor-allocated") && m.contains(hb()) && m.contains("nothing was changed"), m);
        assertEquals(List.of(), kernel.log, "no write at all");
        assertEquals(before, drivers());
    }

    /** A bind the kernel's probe refuses (an operator wrongly states a backport) leaves every device where it was. */
    @Test
    void aBindTheProbeRefusesOnAPre610KernelLeavesEveryDeviceOnItsOriginalDriver() throws Exception {
        on(Generation.STABLE_6_1, "\"kernel\": { \"slowChannels\": true, \"rescindSafe\": true }");
        Map<String, String> before = drivers();
        var failed = assertThrows(IOException.class, () -> run("bind", "heartbeat"));

        assertTrue(failed.getMessage().contains("Unknown error 524")
                && failed.getMessage().contains("rolled back and every device is on the driver it had"), failed.getMessage());
        assertEquals(before, drivers());
        assertEquals(List.of("uio_hv_generic/new_id " + HEARTBEAT, "hv_utils/unbind " + hb(),
                "uio_hv_generic/bind " + hb(), "hv_utils/bind " + hb(), "uio_hv_generic/remove_id " + HEARTBEAT),
                kernel.log, "each completed step undone in reverse order");
    }

    @Test
    void aFailureAtAnyStepIsRolledBack() throws Exception {
        on(Generation.V6_16, null);
        Map<String, String> before = drivers();
        kernel.failNext("hv_utils", "unbind", hb(), "Input/output error");
        var failed = assertThrows(IOException.class, () -> run("bind", "heartbeat"));
        assertTrue(failed.getMessage().contains("Input/output error"), failed.getMessage());
        assertEquals(before, drivers());
        assertEquals("uio_hv_generic/remove_id " + HEARTBEAT, kernel.log.getLast());

        // a failure in the rollback itself is named with the command that repairs it
        kernel.log.clear();
        kernel.failNext("uio_hv_generic", "bind", hb(), "Input/output error");
        kernel.failNext("hv_utils", "bind", hb(), "Device or resource busy");
        var stranded = assertThrows(IOException.class, () -> run("bind", "heartbeat"));
        assertTrue(stranded.getMessage().contains("NOT on the driver they had")
                && stranded.getMessage().contains("echo -n " + hb() + " > "), stranded.getMessage());
    }

    @Test
    void dryRunPrintsTheWritesAsCommandsAndWritesNothing() throws Exception {
        on(Generation.V6_16, null);
        Path drivers = tree.sys().resolve("bus/vmbus/drivers");
        assertEquals(0, BindCommand.run(new String[] {"bind", "heartbeat", "--dry-run", "--conf", conf.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), false, kernel));
        assertEquals(List.of(), kernel.log);
        assertEquals("hv_utils", tree.driverOf(hb()));
        String t = text();
        assertTrue(t.contains("# kernel 6.16.3"), t);
        assertTrue(t.contains("echo " + HEARTBEAT + " > " + drivers.resolve("uio_hv_generic/new_id")), t);
        assertTrue(t.contains("echo -n " + hb() + " > " + drivers.resolve("hv_utils/unbind")), t);
        assertTrue(t.contains("echo -n " + hb() + " > " + drivers.resolve("uio_hv_generic/bind")), t);
        assertTrue(t.indexOf("hv_utils/unbind") < t.indexOf("uio_hv_generic/bind"), t);

        // on a kernel that cannot serve it, the dry run refuses with the same reason
        on(Generation.STABLE_6_6, null);
        var refused = assertThrows(UioBinder.Refused.class, () -> run("bind", "heartbeat", "--dry-run"));
        assertTrue(refused.getMessage().contains("547fa4ffd799"), refused.getMessage());
    }

    /** Item 9: storage, network and unknown classes are refused unless forced, with the risk named. */
    @Test
    void item9_storageNetworkAndUnknownClassesAreRefusedUnlessForced() throws Exception {
        on(Generation.V6_16, null);
        Map<String, String> before = drivers();
        var storage = assertThrows(UioBinder.Refused.class, () -> run("bind", "storvsc"));
        assertTrue(storage.getMessage().contains("storage controller") && storage.getMessage().contains("root file system")
                && storage.getMessage().contains("--force"), storage.getMessage());
        var network = assertThrows(UioBinder.Refused.class, () -> run("bind", "netvsc"));
        assertTrue(network.getMessage().contains("SSH") && network.getMessage().contains("devices.netvsc"),
                network.getMessage());
        assertEquals(List.of(), kernel.log);
        assertEquals(before, drivers());

        // --force moves it, saying the risk as it does
        assertEquals(0, run("bind", "netvsc", "--force"));
        assertEquals("uio_hv_generic", tree.driverOf(tree.dev("netvsc").instance()));
        assertTrue(text().contains("--force: moving") && text().contains("SSH"), text());

        // --force does not override what the kernel cannot do: subchannels without d062463
        on(Generation.V6_10, null);
        var sub = assertThrows(UioBinder.Refused.class, () -> run("bind", "storvsc", "--force"));
        assertTrue(sub.getMessage().contains("d062463edf17") && sub.getMessage().contains("NULL"), sub.getMessage());
    }

    @Test
    void unbindHandsTheDeviceBackToHvUtils() throws Exception {
        on(Generation.V6_16, null);
        run("bind", "heartbeat");
        kernel.log.clear();
        assertEquals(0, run("unbind", "heartbeat"));
        assertEquals(List.of("uio_hv_generic/unbind " + hb(), "uio_hv_generic/remove_id " + HEARTBEAT,
                "hv_utils/bind " + hb()), kernel.log);
        assertEquals("hv_utils", tree.driverOf(hb()));
        assertTrue(!Files.exists(tree.device(hb()).resolve("uio")));
    }

    @Test
    void f1_unbindRefusesWhileAnyProcessHoldsTheNodeOrMapsARingNamingItAndWritesNothing() throws Exception {
        on(Generation.V6_16, null);
        run("bind", "heartbeat");
        String uio = tree.uioOf(hb());
        tree.process(300, "bash"); // an unrelated process is no holder
        tree.holdOpen(4242, "java", 7, uio);
        kernel.log.clear();

        var open = assertThrows(UioBinder.Refused.class, () -> run("unbind", "heartbeat"));
        assertTrue(open.getMessage().contains("pid 4242 (java) has /dev/" + uio + " open (fd 7)")
                && open.getMessage().contains("freed guest memory") && !open.getMessage().contains("pid 300"),
                open.getMessage());
        assertEquals(List.of(), kernel.log, "nothing written");
        assertEquals(VmbusDevices.UIO_DRIVER, tree.driverOf(hb()));

        // the descriptor closed but a ring still mapped (uio keeps the device open through the mapping)
        tree.exit(4242);
        tree.holdMapped(4243, "dpdk-testpmd", "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/VMBUS:00/" + hb() + "/channels/"
                + tree.dev("heartbeat").relid() + "/ring");
        var mapped = assertThrows(UioBinder.Refused.class, () -> run("unbind", "heartbeat"));
        assertTrue(mapped.getMessage().contains("pid 4243 (dpdk-testpmd) maps /sys/devices/") , mapped.getMessage());
        tree.exit(4243);
        tree.holdMapped(4244, "vmbus", "/dev/" + uio);
        assertTrue(assertThrows(UioBinder.Refused.class, () -> run("unbind", "heartbeat")).getMessage()
                .contains("pid 4244 (vmbus) maps /dev/" + uio));
        assertEquals(List.of(), kernel.log, "nothing written");

        tree.exit(4244);
        assertEquals(0, run("unbind", "heartbeat"), text());
        assertEquals("hv_utils", tree.driverOf(hb()));
    }

    /**
     * Review F1, bind's rollback: a class with two devices; the first is on uio_hv_generic and a process (the running
     * agent's rescan) has opened it when the second one's probe fails. The rollback puts the second back, but leaves
     * the first on uio rather than unbind it from under that process, naming the process, and says where it is.
     */
    @Test
    void f1_bindsRollbackLeavesADeviceAProcessHoldsOnUioNamingTheHolder() throws Exception {
        on(Generation.V6_16, null);
        String first = tree.dev("kvp").instance();
        String second = tree.addDevice("kvp", "5d2e1f04-7b7c-4bd4-9a35-0fa7c0e3b5a1", 17).instance();
        kernel.failNext("uio_hv_generic", "bind", second, "Cannot allocate memory"); // hv_uio_probe: no ring pages
        UioBinder.SysfsWriter agentOpensTheFirst = (attribute, value) -> {
            kernel.write(attribute, value);
            if (attribute.toString().endsWith("uio_hv_generic/bind") && value.equals(first)) {
                tree.holdOpen(4242, "java", 9, tree.uioOf(first));
            }
        };
        var failed = assertThrows(IOException.class, () -> BindCommand.run(new String[] {"bind", "kvp", "--conf",
                conf.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8), true, agentOpensTheFirst));

        String uio = tree.uioOf(first);
        assertTrue(text().contains("NOT unbinding " + first + " from uio_hv_generic in the rollback: ")
                && text().contains("pid 4242 (java) has /dev/" + uio + " open (fd 9)")
                && text().contains("freed guest memory"), text());
        assertEquals(VmbusDevices.UIO_DRIVER, tree.driverOf(first), "left where the process uses it");
        assertEquals("hv_utils", tree.driverOf(second), "the device nobody holds is back on its driver");
        assertTrue(!kernel.log.contains("uio_hv_generic/unbind " + first), kernel.log.toString());
        assertTrue(!kernel.log.contains("hv_utils/bind " + first), "no bind of a device still on uio: " + kernel.log);
        assertTrue(!text().contains("rollback step failed"), text());
        String m = failed.getMessage();
        assertTrue(m.contains("Cannot allocate memory") && m.contains("NOT on the driver they had")
                && m.contains(first + " is on uio_hv_generic, was on hv_utils; put it back: echo -n " + first),
                m);
    }

    @Test
    void f1_unbindRefusesWhileTheVmbusServiceIsActive() throws Exception {
        on(Generation.V6_16, null);
        run("bind", "heartbeat");
        kernel.log.clear();
        var active = assertThrows(UioBinder.Refused.class, () -> BindCommand.run(new String[] {"unbind", "heartbeat",
                "--conf", conf.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8), true, kernel,
                c -> 0, true));
        assertTrue(active.getMessage().contains("the vmbus service is active"), active.getMessage());
        assertEquals(List.of(), kernel.log, "nothing written");
        assertEquals(VmbusDevices.UIO_DRIVER, tree.driverOf(hb()));
    }

    @Test
    void f5_onAConfidentialVmBindRefusesBeforeWritingAnything() throws Exception {
        on(Generation.V6_16, null);
        Files.writeString(tree.proc().resolve("cpuinfo"), "flags\t\t: fpu tdx_guest\n");
        var refused = assertThrows(UioBinder.Refused.class, () -> run("bind", "heartbeat"));
        assertTrue(refused.getMessage().contains("confidential VM (the CPU flag tdx_guest"), refused.getMessage());
        assertEquals(List.of(), kernel.log);
        assertEquals("hv_utils", tree.driverOf(hb()));
    }

    // Issue 19 item 3: before 6.14 every bound device costs 31 + 16 MiB of receive and send buffers.
    @Test
    void item3_bindNamesTheBufferCostBeforeItWritesAndRefusesAboveTheShareOfMemTotalWithoutForce() throws Exception {
        on(Generation.V6_10, null);
        Files.writeString(tree.proc().resolve("meminfo"), "MemTotal:        1048576 kB\n"); // 1 GiB: 10% is 102.4 MiB
        assertEquals(0, run("bind", "heartbeat"));
        assertTrue(text().contains("binding heartbeat makes kernel 6.10.14 allocate 47 MiB of receive and send buffers")
                && text().contains("4.6% of MemTotal 1024 MiB"), text());
        assertTrue(text().indexOf("allocate 47 MiB") < text().indexOf("wrote "), "named before the first write");
        assertEquals(0, run("bind", "timesync"));
        assertTrue(text().contains("with the 47 MiB of the devices already bound that is 94 MiB"), text());

        kernel.log.clear();
        var refused = assertThrows(UioBinder.Refused.class, () -> run("bind", "shutdown"));
        assertTrue(refused.getMessage().contains("141 MiB, 13.8% of MemTotal 1024 MiB")
                && refused.getMessage().contains("transport.maxBufferPercent (10.0%)")
                && refused.getMessage().contains("--force"), refused.getMessage());
        assertEquals(List.of(), kernel.log, "nothing written");
        assertEquals(0, run("bind", "shutdown", "--force"));
        assertEquals(VmbusDevices.UIO_DRIVER, tree.driverOf(tree.dev("shutdown").instance()));

        // the share is configurable
        conf = tree.config(dir.resolve("vmbus.json"), "\"maxBufferPercent\": 25");
        assertEquals(0, run("bind", "kvp"));
        // 6.14 and later give the buffers to the NIC only: binding an integration service costs nothing
        on2616();
        assertEquals(0, run("bind", "heartbeat"));
        assertTrue(!text().contains("receive and send buffers"), text());
    }

    private void on2616() throws IOException {
        out.reset();
        tree = KernelFixtures.create(dir.resolve("root616"), Generation.V6_16);
        kernel = new SimulatedKernel(tree);
        conf = tree.config(dir.resolve("vmbus616.json"), null);
    }

    // Review F11: timesync leaving hv_utils takes /dev/ptp_hyperv with it.
    @Test
    void f11_bindingTimesyncWarnsThatThePtpClockGoes() throws Exception {
        on(Generation.V6_16, null);
        assertEquals(0, run("bind", "heartbeat"));
        assertTrue(!text().contains("ptp_hyperv"), text());
        assertEquals(0, run("bind", "timesync"));
        assertTrue(text().contains("WARNING: timesync leaves hv_utils, which unregisters the hyperv PTP clock"
                + " (/dev/ptp_hyperv)") && text().contains("chronySocket"), text());
    }

    // Review F7: bind says, before it writes, that the guest cannot hibernate with the device on uio.
    @Test
    void f7_bindWarnsThatHibernationBecomesImpossible() throws Exception {
        on(Generation.V6_16, null);
        assertEquals(0, run("bind", "heartbeat"));
        assertTrue(text().contains("WARNING: once heartbeat is on uio_hv_generic this guest cannot hibernate until it is"
                + " unbound (review F7): the kernel aborts hibernation"), text());
        assertTrue(text().indexOf("cannot hibernate") < text().indexOf("wrote "), "said before the first write");
        out.reset();
        assertEquals(0, run("bind", "heartbeat"));
        assertTrue(!text().contains("hibernate"), "nothing moves the second time, nothing to warn of: " + text());
    }

    @Test
    void anUnbindThatFailsPutsTheDeviceBackOnUio() throws Exception {
        on(Generation.V6_16, null);
        run("bind", "heartbeat");
        kernel.log.clear();
        kernel.failNext("hv_utils", "bind", hb(), "No such device");
        var failed = assertThrows(IOException.class, () -> run("unbind", "heartbeat"));
        assertTrue(failed.getMessage().contains("rolled back and every device is on the driver it had"),
                failed.getMessage());
        assertEquals("uio_hv_generic", tree.driverOf(hb()), "still served rather than on no driver");
    }

    /**
     * Review F10: unbind puts fcopy back where bind found it. Since 6.10 that is no driver (hv_utils has no fcopy, and
     * hv_fcopy_uio_daemon serves it only on uio); on an older distribution kernel carrying 547fa4ffd799 it is hv_utils;
     * and a device someone else had already put on uio stays there.
     */
    @Test
    void f10_unbindPutsFcopyBackWhereBindFoundIt() throws Exception {
        on(Generation.V6_16, null);
        String fcopy = tree.dev("fcopy").instance();
        assertEquals(null, tree.driverOf(fcopy), "no kernel fcopy driver since 6.10");
        run("bind", "fcopy");
        assertEquals("uio_hv_generic", tree.driverOf(fcopy), "new_id's driver_attach probed the unbound device");
        assertEquals("none\n", Files.readString(tree.run().resolve("bound").resolve(fcopy)), "bind recorded it");
        assertEquals(0, run("unbind", "fcopy"));
        assertEquals(null, tree.driverOf(fcopy));
        assertTrue(text().contains(fcopy + " was on no driver before 'vmbus bind' and is again (hv_utils has no fcopy"
                + " driver since Linux 6.10, and hv_fcopy_uio_daemon serves fcopy only while it is on uio_hv_generic)"),
                text());
        assertTrue(!Files.exists(tree.run().resolve("bound").resolve(fcopy)), "the record goes with the binding");

        // A 6.6 distribution kernel carrying 547fa4ffd799: fcopy was on hv_utils, and goes back there.
        on(Generation.STABLE_6_6, "\"kernel\": { \"slowChannels\": true, \"rescindSafe\": true }");
        kernel.slowChannels = true;
        fcopy = tree.dev("fcopy").instance();
        assertEquals("hv_utils", tree.driverOf(fcopy), "hv_fcopy before 6.10");
        assertEquals(0, run("bind", "fcopy"));
        assertEquals("uio_hv_generic", tree.driverOf(fcopy));
        kernel.log.clear();
        assertEquals(0, run("unbind", "fcopy"));
        assertEquals("hv_utils", tree.driverOf(fcopy), text());
        assertEquals(List.of("uio_hv_generic/unbind " + fcopy, "uio_hv_generic/remove_id " + FCOPY,
                "hv_utils/bind " + fcopy), kernel.log);

        // Already on uio before 'vmbus bind' (bound by hand for hv_fcopy_uio_daemon): it stays there.
        on(Generation.V6_16, null);
        fcopy = tree.dev("fcopy").instance();
        kernel.write(tree.sys().resolve("bus/vmbus/drivers/uio_hv_generic/new_id"), FCOPY);
        assertEquals("uio_hv_generic", tree.driverOf(fcopy));
        assertEquals(0, run("bind", "fcopy"));
        kernel.log.clear();
        out.reset();
        assertEquals(0, run("unbind", "fcopy"));
        assertEquals("uio_hv_generic", tree.driverOf(fcopy));
        assertEquals(List.of(), kernel.log, "nothing written");
        assertTrue(text().contains(fcopy + " was on uio_hv_generic before 'vmbus bind'") && text().contains(
                "--driver NAME moves it anyway"), text());
        assertEquals(0, run("unbind", "fcopy", "--driver", "uio_hv_generic"), "--driver: where the operator says");
    }

    @Test
    void clearErrors() throws Exception {
        on(Generation.V6_16, null);
        var notRoot = assertThrows(IllegalStateException.class, () -> BindCommand.run(
                new String[] {"bind", "heartbeat", "--conf", conf.toString()}, System.out, false, kernel));
        assertTrue(notRoot.getMessage().contains("must run as root"), notRoot.getMessage());

        var unknown = assertThrows(IllegalArgumentException.class, () -> run("bind", "toaster"));
        assertTrue(unknown.getMessage().contains("'toaster' is neither a device class name"), unknown.getMessage());

        var none = assertThrows(IOException.class, () -> run("bind", "balloon"));
        assertTrue(none.getMessage().contains("no device of class balloon"), none.getMessage());

        tree.unloadUio();
        var noModule = assertThrows(IOException.class, () -> run("bind", "heartbeat"));
        assertTrue(noModule.getMessage().contains("modprobe uio_hv_generic"), noModule.getMessage());

        assertThrows(picocli.CommandLine.ParameterException.class, () -> run("bind"));
        assertThrows(picocli.CommandLine.ParameterException.class, () -> run("unbind", "kvp", "--force"));
    }

    private int bindEnabled(List<List<String>> ran) throws IOException {
        return BindCommand.run(new String[] {"bind", "--enabled", "--stop-daemons", "--conf", conf.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), true, kernel, c -> {
                    ran.add(c);
                    return 0;
                });
    }

    @Test
    void bindEnabledPutsEveryEnabledOfferedClassBackOnUioAsAtBootAndStopsOnlyThoseClassesDaemons() throws Exception {
        // A fresh tree is what a reboot leaves: every device back on its kernel driver, no new_id.
        on(Generation.V6_16, null);
        io.vertx.core.json.JsonObject c = new io.vertx.core.json.JsonObject(Files.readString(conf));
        c.getJsonObject("devices").put("vss", new io.vertx.core.json.JsonObject().put("enabled", false));
        Files.writeString(conf, c.encode());
        List<List<String>> ran = new java.util.ArrayList<>();

        assertEquals(0, bindEnabled(ran), text());
        Map<String, String> d = drivers();
        for (String ic : new String[] {"heartbeat", "timesync", "shutdown", "kvp", "fcopy"}) {
            assertEquals(VmbusDevices.UIO_DRIVER, d.get(ic), ic + " in " + d + "\n" + text());
        }
        assertEquals("hv_utils", d.get("vss"), "a disabled class stays where it is: " + d);
        assertEquals(List.of(List.of("systemctl", "stop", "--no-block", "hv-kvp-daemon.service", "hypervkvpd.service"),
                List.of("systemctl", "stop", "--no-block", "hv-fcopy-daemon.service", "hypervfcopyd.service")), ran,
                "only the daemons of classes on uio; vss keeps hv-vss-daemon");

        // The unit runs it at every start, restarts too: the second time writes nothing.
        int writes = kernel.log.size();
        out.reset();
        ran.clear();
        assertEquals(0, bindEnabled(ran), text());
        assertEquals(writes, kernel.log.size(), "idempotent: " + kernel.log);
        assertTrue(text().contains("kvp: on uio_hv_generic already"), text());
        assertEquals(2, ran.size(), ran.toString());
    }

    @Test
    void bindEnabledLeavesWhatTheKernelCannotServeOnItsDriverAndItsDaemonRunning() throws Exception {
        on(Generation.STABLE_6_6, null);
        List<List<String>> ran = new java.util.ArrayList<>();
        assertEquals(0, bindEnabled(ran), text());
        assertEquals(List.of(), kernel.log, "nothing written");
        assertEquals(List.of(), ran, "no daemon stopped");
        assertTrue(text().contains("kvp: NOT bound, cannot be served on this kernel"), text());
    }

    @Test
    void bindTakesAClassOrEnabledAndStopDaemonsOnlyWithEnabled() throws Exception {
        on(Generation.V6_16, null);
        assertThrows(picocli.CommandLine.ParameterException.class, () -> run("bind"));
        assertThrows(picocli.CommandLine.ParameterException.class, () -> run("bind", "kvp", "--enabled"));
        assertThrows(picocli.CommandLine.ParameterException.class, () -> run("bind", "kvp", "--stop-daemons"));
        assertEquals(List.of(), kernel.log);
    }
}
