package dev.vmbus.cli;

import dev.vmbus.transport.uio.KernelFixtures;
import dev.vmbus.transport.uio.KernelFixtures.Generation;
import dev.vmbus.transport.uio.SimulatedKernel;
import dev.vmbus.transport.uio.VmbusDevices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vmbus run --transport uio} refuses, with doctor's reasons and before opening anything, what the kernel cannot serve. */
class RunRefusalTest {
    @TempDir
    Path dir;

    private String run(Path conf, int expected) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Vmbus.execute(new String[] {"run", "--conf", conf.toString(), "--no-dashboard"},
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(expected, code, text);
        return text;
    }

    private static long files(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.count();
        }
    }

    @Test
    void onStable66RunRefusesEveryEnabledIntegrationServiceWithTheReason() throws Exception {
        KernelFixtures tree = KernelFixtures.create(dir.resolve("root"), Generation.STABLE_6_6);
        long before = files(tree.root);
        String err = run(tree.config(dir.resolve("c.json"), null), 2);
        assertTrue(err.contains("refusing to start on the uio transport with kernel 6.6.87-generic")
                && err.contains("nothing was opened"), err);
        assertTrue(err.contains("heartbeat (enabled in the configuration) cannot be served on this kernel")
                && err.contains("547fa4ffd799") && err.contains("'vmbus doctor'"), err);
        assertEquals(before, files(tree.root), "nothing was created or removed in the tree");
    }

    // Review F5: on a confidential VM uio_hv_generic maps the decrypted ring pages encrypted. 'vmbus run' refuses
    // with doctor's reason (KernelLimits "kernel-confidential") before it opens, creates or removes anything, both
    // for classes already on uio (bound before the VM was known as one) and for those still on their driver.
    @Test
    void f5_onAConfidentialVmRunRefusesBeforeTouchingAnyDevice() throws Exception {
        Path cpuinfo = dir.resolve("flag/proc/cpuinfo");
        String err = runOnBoundHeartbeat("flag", tree -> Files.writeString(tree.proc().resolve("cpuinfo"),
                "processor\t: 0\nflags\t\t: fpu hypervisor tdx_guest\n"));
        assertTrue(err.contains("refusing to start on the uio transport with kernel 6.16") && err.contains("nothing was"
                + " opened"), err);
        assertTrue(err.contains("heartbeat " + HEARTBEAT + " is bound to uio_hv_generic but cannot be served safely:"
                + " this is a confidential VM (the CPU flag tdx_guest in " + cpuinfo), err);
        assertTrue(err.contains("kvp (enabled in the configuration) cannot be served on this kernel: this is a"
                + " confidential VM"), err);
    }

    // Review F5, issue 19: the same refusal when only the kernel log says so (an Azure TDX CVM with a paravisor: no
    // tdx_guest flag, no /dev/tdx_guest).
    @Test
    void f5_onAnAzureCvmWithAParavisorRunRefusesFromTheKernelLog() throws Exception {
        Path kmsg = dir.resolve("log/dev/kmsg");
        String err = runOnBoundHeartbeat("log", tree -> tree.kernelLog(KernelFixtures.AZURE_TDX_PARAVISOR_LOG));
        assertTrue(err.contains("heartbeat " + HEARTBEAT + " is bound to uio_hv_generic but cannot be served safely:"
                + " this is a confidential VM (the kernel log line 'Hyper-V: Isolation Config: Group A 0x1, Group B"
                + " 0xbe3' in " + kmsg + " (Hyper-V isolation type 3, TDX, with a paravisor)"), err);
    }

    private static final String HEARTBEAT = KernelFixtures.DEVICES.get(0).instance();

    private interface TreeChange {
        void apply(KernelFixtures tree) throws Exception;
    }

    /**
     * 'vmbus run' (expected to exit 2) on a 6.16 tree {@code dir/name} with heartbeat bound to uio_hv_generic first,
     * then {@code change} made; nothing is created or removed in the tree and the binding stays. Returns stderr.
     */
    private String runOnBoundHeartbeat(String name, TreeChange change) throws Exception {
        KernelFixtures tree = KernelFixtures.create(dir.resolve(name), Generation.V6_16);
        Path conf = tree.config(dir.resolve(name + ".json"), null);
        assertEquals(0, BindCommand.run(new String[] {"bind", "heartbeat", "--conf", conf.toString()},
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), true,
                new SimulatedKernel(tree)));
        assertEquals(HEARTBEAT, tree.dev("heartbeat").instance());
        change.apply(tree);
        long before = files(tree.root);
        String err = run(conf, 2);
        assertEquals(before, files(tree.root), "nothing was created or removed in the tree");
        assertEquals(VmbusDevices.UIO_DRIVER, tree.driverOf(HEARTBEAT), "the binding did not change");
        return err;
    }

    // Review F4: a device bound on a kernel without fb1adbd7e50f (here bound while its fix was stated, then the
    // statement gone) is never opened: once opened, a rescind oopses the guest. 'vmbus run' refuses with doctor's
    // reason before it opens, creates or removes anything.
    @Test
    void f4_onAKernelWithoutTheRescindFixRunRefusesEvenABoundDevice() throws Exception {
        KernelFixtures tree = KernelFixtures.create(dir.resolve("root"), Generation.V6_10);
        Path stated = tree.config(dir.resolve("stated.json"), "\"kernel\": { \"release\": \"6.10.9\","
                + " \"rescindSafe\": true }");
        assertEquals(0, BindCommand.run(new String[] {"bind", "heartbeat", "--conf", stated.toString()},
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), true,
                new SimulatedKernel(tree)));
        String heartbeat = tree.dev("heartbeat").instance();
        Path conf = tree.config(dir.resolve("c.json"), "\"kernel\": { \"release\": \"6.10.9\" }");
        long before = files(tree.root);

        String err = run(conf, 2);
        assertTrue(err.contains("refusing to start on the uio transport with kernel 6.10.9") && err.contains("nothing was"
                + " opened"), err);
        assertTrue(err.contains("heartbeat " + heartbeat + " is bound to uio_hv_generic but cannot be served safely:"
                + " kernel 6.10.9 is not known to carry fb1adbd7e50f"), err);
        assertEquals(before, files(tree.root), "nothing was created or removed in the tree");
        assertEquals(VmbusDevices.UIO_DRIVER, tree.driverOf(heartbeat), "the binding did not change");
    }

    @Test
    void f9_aBoundDeviceNoEnabledHandlerServesNeverBlocksStartUpEvenWhenTheKernelCannotServeIt() throws Exception {
        // storvsc bound to uio with --force on 6.16 (a DPDK application's, say), then the same tree seen as a 6.12
        // kernel without d062463: the agent never opens it, so it does not stop start-up (review F9).
        KernelFixtures tree = KernelFixtures.create(dir.resolve("root"), Generation.V6_16);
        Path conf = tree.config(dir.resolve("c.json"), null);
        BindCommand.run(new String[] {"bind", "storvsc", "--force", "--conf", conf.toString()},
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), true, new SimulatedKernel(tree));
        Path older = tree.config(dir.resolve("older.json"), "\"kernel\": { \"release\": \"6.12.40\" }");
        dev.vmbus.config.VmbusConfig config = dev.vmbus.config.ConfigLoader.load(older);
        dev.vmbus.bus.DeviceRegistry registry = dev.vmbus.bus.DeviceRegistry.load(dev.vmbus.bus.DeviceRegistry.sections(config),
                dev.vmbus.config.TransportType.UIO);
        var diagnosis = dev.vmbus.transport.uio.admin.Diagnosis.of(
                dev.vmbus.transport.uio.admin.SystemView.of(config, null, null), registry.enabledClasses());
        var storvsc = diagnosis.devices().stream().filter(r -> r.device().className().equals("storvsc")).findFirst()
                .orElseThrow();
        assertTrue(storvsc.device().onUio() && !storvsc.verdict().kernelReasons().isEmpty(), "unsafe, and bound");
        assertEquals(java.util.List.of(), diagnosis.refusals());
        dev.vmbus.transport.uio.admin.UioRefusal.check(config, registry.enabledClasses()); // does not throw
    }

    @Test
    void anEnabledOfferedClassNotOnUioIsAWarningAtStartUp() throws Exception {
        // F6: after a reboot the devices are back on hv_utils; the agent would start and serve nothing, silently.
        KernelFixtures tree = KernelFixtures.create(dir.resolve("root"), Generation.V6_16);
        dev.vmbus.config.VmbusConfig config = dev.vmbus.config.ConfigLoader.load(tree.config(dir.resolve("c.json"), null));
        dev.vmbus.bus.DeviceRegistry registry = dev.vmbus.bus.DeviceRegistry.load(dev.vmbus.bus.DeviceRegistry.sections(config),
                dev.vmbus.config.TransportType.UIO);
        java.util.List<java.util.logging.LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(
                dev.vmbus.transport.uio.admin.UioRefusal.class.getName());
        log.addHandler(handler);
        try {
            dev.vmbus.transport.uio.admin.UioRefusal.check(config, registry.enabledClasses());
        } finally {
            log.removeHandler(handler);
        }
        assertTrue(records.stream().anyMatch(r -> r.getLevel() == java.util.logging.Level.WARNING
                && r.getMessage().startsWith("kvp is enabled and offered but NOT on uio_hv_generic, so nothing serves it")),
                records.stream().map(java.util.logging.LogRecord::getMessage).toList().toString());
    }
}
