package dev.vmbus.cli;

import dev.vmbus.transport.uio.KernelFixtures;
import dev.vmbus.transport.uio.KernelFixtures.Generation;
import dev.vmbus.transport.uio.SimulatedKernel;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vmbus doctor} on each kernel-generation fixture, read as an operator would read it. */
class DoctorCommandTest {
    @TempDir
    Path dir;
    KernelFixtures tree;
    Path conf;
    String text;

    private int doctor(Generation g, String extraTransport, String... more) throws IOException {
        if (tree == null || tree.generation != g) {
            tree = KernelFixtures.create(dir.resolve(g.name()), g);
        }
        conf = tree.config(dir.resolve(g.name() + ".json"), extraTransport);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        String[] argv = new String[3 + more.length];
        argv[0] = "doctor";
        argv[1] = "--conf";
        argv[2] = conf.toString();
        System.arraycopy(more, 0, argv, 3, more.length);
        int code = Vmbus.execute(argv, new PrintStream(bytes, true, StandardCharsets.UTF_8), System.err);
        text = bytes.toString(StandardCharsets.UTF_8);
        return code;
    }

    /** The lines printed for one device, from its header to the next device. */
    private String section(String className) {
        int start = text.indexOf("\n" + className + "  class ");
        assertTrue(start >= 0, "no section for " + className + " in:\n" + text);
        int end = text.indexOf("\n\n", start + 1);
        return text.substring(start + 1, end);
    }

    @Test
    void onStable66EveryIntegrationServiceIsRefusedWithTheReasonAndTheExitStatusSaysSo() throws Exception {
        assertEquals(1, doctor(Generation.STABLE_6_6, null));
        assertTrue(text.startsWith("kernel 6.6.87-generic, page size 4096 (release 6.6.87-generic from "), text);
        assertTrue(text.contains("[no]  unmonitored channels, i.e. every integration service (547fa4ffd799, Linux 6.10)"), text);
        assertTrue(text.contains("uio_hv_generic: loaded"), text);
        for (String ic : new String[] {"heartbeat", "timesync", "shutdown", "kvp", "vss", "fcopy"}) {
            String s = section(ic);
            assertTrue(s.contains("unmonitored (no monitor_id)"), s);
            assertTrue(s.contains("CANNOT SERVE on this kernel: the channel is not monitor-allocated")
                    && s.contains("547fa4ffd799") && s.contains("-ENOTSUPP"), s);
            assertFalse(s.contains("vmbus bind"), "no bind command for what cannot be bound:\n" + s);
            // the probe's monitor_allocated check comes before it allocates anything: no buffers to name
            assertTrue(s.contains("receive/send buffers (uio maps 3, 4): none: hv_uio_probe refuses this unmonitored"
                    + " channel before it allocates them") && !s.contains("binding it makes the kernel allocate"), s);
        }
        assertTrue(section("storvsc").contains("binding it makes the kernel allocate 47 MiB"), "monitored: probed");
        assertTrue(section("fcopy").contains("driver hv_utils"), "6.6 still has the kernel fcopy driver");
        assertTrue(section("storvsc").contains("not served: storvsc is a storage controller"), text);
        assertTrue(section("netvsc").contains("monitored (monitor_id "), text);
        assertTrue(text.contains("heartbeat: cannot be served on this kernel"), text);
        assertTrue(text.contains("result: 6 enabled class(es) cannot be served on this kernel;"
                + " 'vmbus run --transport uio' refuses to start"), text);
    }

    @Test
    void on616EveryIntegrationServiceCanBeBoundAndTheExactCommandsArePrinted() throws Exception {
        assertEquals(0, doctor(Generation.V6_16, null));
        Path drivers = tree.sys().resolve("bus/vmbus/drivers");
        String hb = tree.dev("heartbeat").instance();
        String s = section("heartbeat");
        assertTrue(s.contains("can serve; to bind it:"), s);
        assertTrue(s.contains("vmbus bind heartbeat"), s);
        assertTrue(s.contains("echo 57164f39-9115-4e78-ab55-382f3bd5422d > " + drivers.resolve("uio_hv_generic/new_id")), s);
        assertTrue(s.contains("echo -n " + hb + " > " + drivers.resolve("hv_utils/unbind")), s);
        assertTrue(s.contains("echo -n " + hb + " > " + drivers.resolve("uio_hv_generic/bind")), s);
        String fcopy = section("fcopy");
        assertTrue(fcopy.contains("driver (none)") && !fcopy.contains("/unbind")
                && fcopy.contains("only if new_id did not bind it already"), "fcopy has no driver on 6.10+:\n" + fcopy);
        assertTrue(section("netvsc").contains("not served: netvsc is a network adapter") && text.contains("SSH"), text);
        assertTrue(text.contains("result: every enabled class that is offered can be served"), text);
        // F6: after a reboot every device is back on its kernel driver; doctor says so loudly
        assertTrue(text.contains("  kvp: NOT on uio_hv_generic, so nothing serves it"), text);
        assertTrue(text.contains("WARNING: 6 enabled class(es) offered but NOT on uio_hv_generic"), text);

        // after a bind, doctor says it is served
        new UioBinderRunner(tree).bind("heartbeat");
        assertEquals(0, doctor(Generation.V6_16, null));
        assertTrue(section("heartbeat").contains("ok: bound to uio_hv_generic") && section("heartbeat").contains("(uio0)")
                && section("heartbeat").contains("rings 2 x 2101248 bytes"), section("heartbeat"));
        assertTrue(text.contains("heartbeat: bound to uio_hv_generic"), text);
    }

    // Issue 21's real-guest part: what serving the synthetic NIC through uio needs, and its primary interface.
    @Test
    void theNicSectionSaysWhatServingItNeedsAndWarnsWhenItIsThePrimaryInterface() throws Exception {
        assertEquals(0, doctor(Generation.V6_10, null));
        String net = section("netvsc");
        assertTrue(net.contains("need d062463edf17; 1 offered now: only queues 1 on this kernel")
                && net.contains("CAP_SYS_ADMIN") && net.contains("[yes] not a confidential VM"), net);
        assertTrue(!net.contains("WARNING"), net);

        String instance = tree.dev("netvsc").instance();
        java.nio.file.Files.createDirectories(tree.sys().resolve("class/net/eth0"));
        java.nio.file.Files.createSymbolicLink(tree.sys().resolve("class/net/eth0/device"),
                Path.of("../../../bus/vmbus/devices/" + instance));
        java.nio.file.Files.createDirectories(tree.proc().resolve("net"));
        java.nio.file.Files.writeString(tree.proc().resolve("net/route"), "Iface\tDestination\tGateway\tFlags\n"
                + "eth0\t00000000\t0100A8C0\t0003\neth0\t0000A8C0\t00000000\t0001\n");
        assertEquals(0, doctor(Generation.V6_10, null));
        assertTrue(section("netvsc").contains("WARNING: eth0 is this device and carries the default route"), text);

        java.nio.file.Files.writeString(tree.proc().resolve("net/route"), "Iface\tDestination\tGateway\tFlags\n");
        assertEquals(0, doctor(Generation.V6_16, null));
        assertTrue(section("netvsc").contains("[yes] subchannels"), text);
    }

    // Issue 19 item 3: doctor shows the buffers per device and in total, measured once bound.
    @Test
    void item3_theBufferCostPerDeviceAndInTotalByKernelGeneration() throws Exception {
        assertEquals(0, doctor(Generation.V6_10, null));
        assertTrue(section("heartbeat").contains("binding it makes the kernel allocate 47 MiB (by kernel release) of"
                + " receive/send buffers"), text);
        assertTrue(text.contains("receive/send buffers: 0 MiB held by bound devices; binding the enabled classes not"
                + " yet bound adds 282 MiB; 7.2% of MemTotal 3936 MiB"), text);
        new UioBinderRunner(tree).bind("heartbeat");
        assertEquals(0, doctor(Generation.V6_10, null));
        assertTrue(section("heartbeat").contains("receive/send buffers (uio maps 3, 4): 47 MiB (maps 3 and 4,"
                + " measured) of guest kernel memory"), section("heartbeat"));
        assertTrue(text.contains("47 MiB held by bound devices; binding the enabled classes not yet bound adds 235 MiB"),
                text);
        JsonObject j = json(Generation.V6_10, null);
        assertEquals(47L << 20, j.getJsonObject("buffers").getLong("boundBytes"));

        assertEquals(0, doctor(Generation.V6_16, null));
        assertTrue(section("heartbeat").contains("receive/send buffers (uio maps 3, 4): none when bound"), text);
        assertTrue(section("netvsc").contains("binding it makes the kernel allocate 47 MiB"), "the NIC only from 6.14");
        assertTrue(text.contains("0 MiB held by bound devices; 0.0% of MemTotal"), text);
    }

    // Review F4: before fb1adbd7e50f a rescind of an opened device oopses the guest; no slowChannels override skips it.
    @Test
    void f4_aKernelWithoutTheRescindFixServesNothingAndOnlyStatingTheFixLiftsIt() throws Exception {
        assertEquals(1, doctor(Generation.V6_10, "\"kernel\": { \"release\": \"6.10.9\" }"));
        assertTrue(text.contains("[no]  a rescind of an opened device does not oops the guest (fb1adbd7e50f"), text);
        String s = section("heartbeat");
        assertTrue(s.contains("CANNOT SERVE on this kernel: kernel 6.10.9 is not known to carry fb1adbd7e50f")
                && s.contains("hv_uio_rescind") && s.contains("transport.kernel.rescindSafe=true"), s);

        // a distribution kernel with 547fa4ffd799 backported: stating slowChannels alone does not skip the check
        assertEquals(1, doctor(Generation.V6_10, "\"kernel\": { \"release\": \"5.15.0-1089-azure\","
                + " \"slowChannels\": true }"));
        assertTrue(section("heartbeat").contains("kernel 5.15.0-1089-azure is not known to carry fb1adbd7e50f"), text);
        assertEquals(0, doctor(Generation.V6_10, "\"kernel\": { \"release\": \"5.15.0-1089-azure\","
                + " \"slowChannels\": true, \"rescindSafe\": true }"), text);
        assertTrue(text.contains("[yes] a rescind of an opened device") && text.contains("rescindSafe=true from"
                + " transport.kernel"), text);

        assertEquals(0, doctor(Generation.V6_10, "\"kernel\": { \"release\": \"6.10.10\" }"), "the stable fix");
        assertEquals(true, json(Generation.V6_10, null).getJsonObject("kernel").getBoolean("rescindSafe"));
    }

    // Review F5: on a confidential VM uio maps the decrypted ring pages encrypted; nothing is served, and why is said.
    @Test
    void f5_aConfidentialVmIsDetectedFromCpuFlagsOrTheAttestationDeviceAndRefused() throws Exception {
        assertEquals(0, doctor(Generation.V6_16, null));
        assertTrue(text.contains("confidential VM (SEV-SNP/TDX): no"), text);
        java.nio.file.Files.writeString(tree.proc().resolve("cpuinfo"), "processor\t: 0\nflags\t\t: fpu vme sse2"
                + " hypervisor sev sev_es sev_snp\n");
        assertEquals(1, doctor(Generation.V6_16, null));
        assertTrue(text.contains("confidential VM (SEV-SNP/TDX): YES, the CPU flag sev_snp in "), text);
        assertTrue(section("heartbeat").contains("CANNOT SERVE on this kernel: this is a confidential VM")
                && section("heartbeat").contains("encrypted page-table entries"), text);

        java.nio.file.Files.delete(tree.proc().resolve("cpuinfo"));
        java.nio.file.Files.createDirectories(tree.root.resolve("dev"));
        java.nio.file.Files.createFile(tree.root.resolve("dev/tdx_guest"));
        assertEquals(1, doctor(Generation.V6_16, null));
        assertTrue(text.contains("YES, the guest attestation device " + tree.root.resolve("dev/tdx_guest")), text);
        assertEquals(tree.root.resolve("dev/tdx_guest").toString(), json(Generation.V6_16, null)
                .getJsonObject("kernel").getString("confidential").replace("the guest attestation device ", ""));
    }

    // Review F5, issue 19: an Azure CVM with a paravisor (vTOM SNP, TD-partitioned TDX) hides the native capability:
    // no sev_snp/tdx_guest flag, no /dev/sev-guest. The kernel log says so ("Hyper-V: Isolation Config", "Memory
    // Encryption Features active"); doctor reads it, and says when it could not rather than "no".
    @Test
    void f5_anAzureCvmWithAParavisorIsToldFromTheKernelLogAndAnUnreadableLogIsNotANo() throws Exception {
        assertEquals(0, doctor(Generation.V6_16, null));
        assertTrue(text.contains("confidential VM (SEV-SNP/TDX): no (no sev_snp/tdx_guest CPU flag, no"
                + " sev-guest/tdx_guest device, no SEV-SNP directory in sysfs, no Hyper-V isolation or memory encryption"
                + " in the kernel log)"), text);
        Path kmsg = tree.kernelLog(KernelFixtures.AZURE_SNP_PARAVISOR_LOG);
        assertEquals(1, doctor(Generation.V6_16, null), text);
        assertTrue(text.contains("confidential VM (SEV-SNP/TDX): YES, the kernel log line 'Hyper-V: Isolation Config:"
                + " Group A 0x1, Group B 0xba2' in " + kmsg + " (Hyper-V isolation type 2, SEV-SNP, with a paravisor):"
                + " uio_hv_generic maps the decrypted ring pages encrypted, so NO device is served"), text);
        assertTrue(section("heartbeat").contains("CANNOT SERVE on this kernel: this is a confidential VM (the kernel"
                + " log line 'Hyper-V: Isolation Config"), text);
        assertTrue(section("netvsc").contains("[no]  not a confidential VM (the kernel log line 'Hyper-V: Isolation"
                + " Config"), section("netvsc"));
        assertTrue(json(Generation.V6_16, null).getJsonObject("kernel").getString("confidential")
                .contains("Group B 0xba2"), text);

        tree.kernelLog(KernelFixtures.AZURE_TDX_PARAVISOR_LOG);
        assertEquals(1, doctor(Generation.V6_16, null), text);
        assertTrue(text.contains("YES, the kernel log line 'Hyper-V: Isolation Config: Group A 0x1, Group B 0xbe3' in "
                + kmsg + " (Hyper-V isolation type 3, TDX, with a paravisor)"), text);

        tree.kernelLog(KernelFixtures.NOT_ISOLATED_LOG);
        assertEquals(0, doctor(Generation.V6_16, null), text);
        assertTrue(text.contains("confidential VM (SEV-SNP/TDX): no ("), text);

        java.nio.file.Files.delete(kmsg);
        java.nio.file.Files.createDirectory(kmsg); // cannot be read, even by root
        doctor(Generation.V6_16, null);
        assertTrue(text.contains("confidential VM (SEV-SNP/TDX): NOT KNOWN: the kernel log " + kmsg + " could not be"
                + " read (") && text.contains("an Azure confidential VM with a paravisor shows neither a CPU flag nor a"
                + " device") && text.contains("'systemd-detect-virt --cvm'"), text);
        assertFalse(text.contains("confidential VM (SEV-SNP/TDX): no"), text);
        // the NIC's own line says the same, never "[yes] not a confidential VM" on a log it could not read
        assertTrue(section("netvsc").contains("[?]   not a confidential VM: NOT KNOWN (the kernel log " + kmsg
                + " could not be read ("), section("netvsc"));
        assertFalse(section("netvsc").contains("[yes] not a confidential VM"), section("netvsc"));
        JsonObject k = json(Generation.V6_16, null).getJsonObject("kernel");
        assertEquals(null, k.getString("confidential"));
        assertTrue(k.getString("confidentialUnread").contains("could not be read"), k.encode());
    }

    private JsonObject json(Generation g, String extra) throws IOException {
        doctor(g, extra, "--json");
        return new JsonObject(text);
    }

    @Test
    void on610SubchannelDevicesAreRefusedForTheMissingD062463() throws Exception {
        assertEquals(0, doctor(Generation.V6_10, null), "no enabled class is affected");
        assertTrue(text.contains("[yes] unmonitored channels") && text.contains("[no]  subchannel masking"), text);
        String s = section("storvsc");
        assertTrue(s.contains("1 subchannel(s)") && s.contains("CANNOT SERVE on this kernel: the device has 1"
                + " subchannel(s)") && s.contains("d062463edf17") && s.contains("NULL device_obj"), s);
        assertTrue(section("heartbeat").contains("can serve"), text);
    }

    @Test
    void on64KPagesThePageSizeAndMapOffsetsAreReported() throws Exception {
        assertEquals(0, doctor(Generation.ARM64_64K, null));
        assertTrue(text.startsWith("kernel 6.12.48-64k, page size 65536 (") && text.contains("from "
                + tree.proc().resolve("self/auxv")), text);
        assertTrue(text.contains("[no]  interrupt and monitor pages on a page boundary (09eea7ad0b8e, Linux 6.16);"
                + " the agent reads maps/mapN/addr"), text);
    }

    @Test
    void aStatedBackportChangesTheVerdictAndSaysWhereItCameFrom() throws Exception {
        assertEquals(0, doctor(Generation.STABLE_6_6, "\"kernel\": { \"slowChannels\": true }"));
        assertTrue(text.contains("slowChannels=true from transport.kernel"), text);
        assertTrue(section("heartbeat").contains("can serve"), text);
        assertTrue(section("heartbeat").contains("binding it makes the kernel allocate 47 MiB"), "a backported 547fa4ffd799"
                + " probes it, and 6.6 gives every device the buffers:\n" + section("heartbeat"));
    }

    @Test
    void withoutTheModuleTheCommandsStartWithModprobe() throws Exception {
        tree = KernelFixtures.create(dir.resolve("V6_16"), Generation.V6_16);
        tree.unloadUio();
        assertEquals(0, doctor(Generation.V6_16, null));
        assertTrue(text.contains("uio_hv_generic: NOT loaded (modprobe uio_hv_generic)"), text);
        assertTrue(section("kvp").contains("    modprobe uio_hv_generic\n    vmbus bind kvp"), section("kvp"));
    }

    @Test
    void jsonCarriesTheSameVerdicts() throws Exception {
        assertEquals(1, doctor(Generation.STABLE_6_1, null, "--json"));
        JsonObject j = new JsonObject(text);
        assertEquals("6.1.0-28-amd64", j.getJsonObject("kernel").getString("release"));
        assertEquals(false, j.getJsonObject("kernel").getBoolean("slowChannels"));
        assertEquals(false, j.getBoolean("ok"));
        JsonArray devices = j.getJsonArray("devices");
        assertEquals(8, devices.size());
        JsonObject hb = devices.stream().map(JsonObject.class::cast).filter(d -> d.getString("class").equals("heartbeat"))
                .findFirst().orElseThrow();
        assertEquals("hv_utils", hb.getString("driver"));
        assertEquals(false, hb.getBoolean("monitored"));
        assertEquals("kernel-unmonitored", hb.getJsonArray("reasons").getJsonObject(0).getString("code"));
        assertEquals(0L, hb.getLong("bufferBytes"), "the probe refuses it before allocating: " + hb.encode());
        JsonObject net = devices.stream().map(JsonObject.class::cast).filter(d -> d.getString("class").equals("netvsc"))
                .findFirst().orElseThrow();
        assertEquals(1, net.getJsonArray("subchannels").size());
        assertEquals("class-network", net.getJsonArray("reasons").getJsonObject(0).getString("code"));
        assertTrue(j.getJsonArray("enabledClasses").stream().map(JsonObject.class::cast)
                .allMatch(c -> c.getString("status").equals("cannot_serve")), text);
    }

    // Review F7: the kernel aborts hibernation while any device is on uio_hv_generic; doctor says so before and after.
    @Test
    void f7_doctorSaysThatADeviceOnUioMakesHibernationImpossible() throws Exception {
        assertEquals(0, doctor(Generation.V6_16, null));
        assertTrue(text.contains("hibernation: possible now, but binding heartbeat, timesync, shutdown, vss, kvp, fcopy"
                + " to uio_hv_generic makes it impossible: the kernel aborts hibernation while any device is on"
                + " uio_hv_generic"), text);
        assertTrue(json(Generation.V6_16, null).getJsonObject("hibernation").getBoolean("possible"));

        new UioBinderRunner(tree).bind("heartbeat");
        assertEquals(0, doctor(Generation.V6_16, null));
        assertTrue(text.contains("hibernation: IMPOSSIBLE while 1 device(s) are on uio_hv_generic (heartbeat): the"
                + " kernel aborts hibernation") && text.contains("vmbus_suspend fails the device freeze with -EOPNOTSUPP")
                && text.contains("refuses the host's hibernate requests (HV_E_FAIL)"), text);
        JsonObject h = json(Generation.V6_16, null).getJsonObject("hibernation");
        assertFalse(h.getBoolean("possible"));
        assertEquals(new JsonArray().add("heartbeat"), h.getJsonArray("uioDevices"));
    }

    // Issue 19, done-means: doctor names the other openers of each /dev/uioN (review F8: two consumers of one ring).
    @Test
    void f8_doctorNamesEveryProcessThatHoldsABoundDeviceWithItsPidAndCommand() throws Exception {
        doctor(Generation.V6_16, null);
        new UioBinderRunner(tree).bind("fcopy");
        String fcopy = tree.dev("fcopy").instance();
        String uio = tree.uioOf(fcopy);
        tree.process(300, "bash"); // an unrelated process is no opener
        assertEquals(0, doctor(Generation.V6_16, null));
        assertTrue(section("fcopy").contains("openers of /dev/" + uio + ": none"), section("fcopy"));
        assertFalse(section("heartbeat").contains("openers"), "a device on hv_utils has no uio node: " + section("heartbeat"));

        tree.holdOpen(812, "java", 7, uio);
        tree.holdMapped(4711, "hv_fcopy_uio_d", "/sys/devices/LNXSYSTM:00/VMBUS:00/" + fcopy + "/channels/15/ring");
        assertEquals(0, doctor(Generation.V6_16, null));
        String s = section("fcopy");
        assertTrue(s.contains("opened by pid 812 (java): has /dev/" + uio + " open (fd 7)"), s);
        assertTrue(s.contains("opened by pid 4711 (hv_fcopy_uio_d): maps /sys/devices/LNXSYSTM:00/VMBUS:00/" + fcopy
                + "/channels/15/ring"), s);
        assertTrue(s.contains("WARNING: 2 processes hold /dev/" + uio + ": two consumers of one ring interleave its"
                + " indices"), s);
        assertFalse(s.contains("pid 300"), s);

        JsonObject dev = json(Generation.V6_16, null).getJsonArray("devices").stream().map(JsonObject.class::cast)
                .filter(x -> x.getString("class").equals("fcopy")).findFirst().orElseThrow();
        JsonArray who = dev.getJsonObject("openers").getJsonArray("processes");
        assertEquals(2, who.size(), dev.encode());
        java.util.Map<Long, String> byPid = new java.util.HashMap<>();
        who.stream().map(JsonObject.class::cast).forEach(h -> byPid.put(h.getLong("pid"), h.getString("command")));
        assertEquals(java.util.Map.of(812L, "java", 4711L, "hv_fcopy_uio_d"), byPid, dev.encode());

        tree.exit(812);
        tree.exit(4711);
        assertEquals(0, doctor(Generation.V6_16, null));
        assertTrue(section("fcopy").contains("openers of /dev/" + uio + ": none"), section("fcopy"));
    }

    // Issue 19, done-means: on each kernel-generation fixture doctor prints the buffer cost, the rescind-safety and
    // CVM verdicts, and the other openers, in text and in --json. The NIC is put on uio by the simulated kernel's own
    // writes (a monitored channel: every generation probes it), with a process holding its node.
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(Generation.class)
    void onEveryGenerationDoctorPrintsBufferCostRescindSafetyCvmVerdictAndOpeners(Generation g) throws Exception {
        tree = KernelFixtures.create(dir.resolve(g.name()), g);
        SimulatedKernel kernel = new SimulatedKernel(tree);
        Path drivers = tree.sys().resolve("bus/vmbus/drivers");
        String nic = tree.dev("netvsc").instance();
        kernel.write(drivers.resolve("hv_netvsc/unbind"), nic);
        kernel.write(drivers.resolve("uio_hv_generic/new_id"), dev.vmbus.channel.Guid.format(tree.dev("netvsc").classId()));
        String uio = tree.uioOf(nic);
        tree.holdOpen(812, "dpdk-testpmd", 9, uio);
        boolean rescindSafe = !g.release.equals("6.1.0-28-amd64"); // a Debian release hides its point release

        doctor(g, null);
        String s = section("netvsc");
        assertTrue(s.contains("driver uio_hv_generic (" + uio + ")"), s);
        assertTrue(s.contains("receive/send buffers (uio maps 3, 4): 47 MiB"), g + ": the NIC's buffer cost\n" + s);
        assertTrue(section("heartbeat").contains("receive/send buffers"), g + ": a util device's buffer cost\n" + text);
        assertTrue(text.contains("receive/send buffers: 47 MiB held by bound devices"), g + ": the total\n" + text);
        assertTrue(text.contains((rescindSafe ? "[yes]" : "[no] ") + " a rescind of an opened device does not oops the"
                + " guest (fb1adbd7e50f"), g + ": rescind-safety\n" + text);
        assertTrue(text.contains("confidential VM (SEV-SNP/TDX): no (no sev_snp/tdx_guest CPU flag"), g + ": CVM\n" + text);
        assertTrue(s.contains("opened by pid 812 (dpdk-testpmd): has /dev/" + uio + " open (fd 9)"), g + ": openers\n" + s);

        JsonObject j = json(g, null);
        assertEquals(rescindSafe, j.getJsonObject("kernel").getBoolean("rescindSafe"), g.name());
        assertEquals(null, j.getJsonObject("kernel").getString("confidential"), g.name());
        assertEquals(47L << 20, j.getJsonObject("buffers").getLong("boundBytes"), g.name());
        JsonObject dev = j.getJsonArray("devices").stream().map(JsonObject.class::cast)
                .filter(x -> x.getString("class").equals("netvsc")).findFirst().orElseThrow();
        assertEquals(47L << 20, dev.getLong("bufferBytes"), dev.encode());
        assertEquals("dpdk-testpmd", dev.getJsonObject("openers").getJsonArray("processes").getJsonObject(0)
                .getString("command"), dev.encode());

        java.nio.file.Files.writeString(tree.proc().resolve("cpuinfo"), "flags\t\t: fpu hypervisor tdx_guest\n");
        assertEquals(1, doctor(g, null), g + ": nothing is served on a confidential VM\n" + text);
        assertTrue(text.contains("confidential VM (SEV-SNP/TDX): YES, the CPU flag tdx_guest in "), g + "\n" + text);
    }

    @Test
    void onAMachineWithoutVmbusDoctorSaysSo() throws Exception {
        tree = KernelFixtures.create(dir.resolve("V6_16"), Generation.V6_16);
        KernelFixtures.deleteTreeForTest(tree.sys().resolve("bus/vmbus/devices"));
        assertEquals(1, doctor(Generation.V6_16, null));
        assertTrue(text.startsWith("kernel 6.16.3, page size 4096")
                && text.contains("devices does not exist: this is not a Hyper-V guest"), text);
    }

    // A script reading 'doctor --json' on a machine without VMBus gets JSON too, not the text.
    @Test
    void onAMachineWithoutVmbusDoctorJsonSaysSoInJson() throws Exception {
        tree = KernelFixtures.create(dir.resolve("V6_16"), Generation.V6_16);
        KernelFixtures.deleteTreeForTest(tree.sys().resolve("bus/vmbus/devices"));
        assertEquals(1, doctor(Generation.V6_16, null, "--json"));
        JsonObject j = new JsonObject(text);
        assertEquals(false, j.getBoolean("ok"), text);
        assertEquals("6.16.3", j.getJsonObject("kernel").getString("release"), text);
        assertEquals(4096, j.getJsonObject("kernel").getInteger("pageSize"), text);
        assertEquals(conf.toString(), j.getString("configuration"), text);
        assertEquals(1, j.getJsonArray("problems").size(), text);
        assertTrue(j.getJsonArray("problems").getString(0).contains("devices does not exist: this is not a Hyper-V guest"),
                text);
        assertEquals(0, j.getJsonArray("devices").size(), text);
    }

    /** Drives the binder with the simulated kernel, as an operator running 'vmbus bind' would. */
    private record UioBinderRunner(KernelFixtures tree) {
        void bind(String className) throws IOException {
            Path conf = tree.config(tree.root.resolve("bind.json"), null);
            BindCommand.run(new String[] {"bind", className, "--conf", conf.toString()},
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), true,
                    new SimulatedKernel(tree));
        }
    }
}
