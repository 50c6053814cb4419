package dev.vmbus.cli;

import dev.vmbus.transport.uio.KernelFixtures.Generation;
import dev.vmbus.transport.uio.VmbusDevices;
import io.vertx.core.Promise;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vmbus bind --enabled --stop-daemons}, as the unit runs it at every start: every enabled class the kernel can
 * serve back on uio, only those classes' daemons stopped, nothing written the second time ({@link BindFixture}).
 */
class BindEnabledTest {
    @TempDir
    Path dir;
    private BindFixture b;

    @BeforeEach
    void fixture() {
        b = new BindFixture(dir);
    }

    @Test
    void bindEnabledPutsEveryEnabledOfferedClassBackOnUioAsAtBootAndStopsOnlyThoseClassesDaemons() throws Exception {
        // A fresh tree is what a reboot leaves: every device back on its kernel driver, no new_id.
        b.on(Generation.V6_16, null);
        io.vertx.core.json.JsonObject c = new io.vertx.core.json.JsonObject(Files.readString(b.conf));
        c.getJsonObject("devices").put("vss", new io.vertx.core.json.JsonObject().put("enabled", false));
        Files.writeString(b.conf, c.encode());
        List<List<String>> ran = new java.util.ArrayList<>();

        assertEquals(0, b.bindEnabled(ran), b.text());
        Map<String, String> d = b.drivers();
        for (String ic : new String[] {"heartbeat", "timesync", "shutdown", "kvp", "fcopy"}) {
            assertEquals(VmbusDevices.UIO_DRIVER, d.get(ic), ic + " in " + d + "\n" + b.text());
        }
        assertEquals("hv_utils", d.get("vss"), "a disabled class stays where it is: " + d);
        assertEquals(List.of(List.of("systemctl", "stop", "--no-block", "hv-kvp-daemon.service", "hypervkvpd.service"),
                List.of("systemctl", "stop", "--no-block", "hv-fcopy-daemon.service", "hypervfcopyd.service")), ran,
                "only the daemons of classes on uio; vss keeps hv-vss-daemon");

        // The unit runs it at every start, restarts too: the second time writes nothing.
        int writes = b.kernel.log.size();
        b.out.reset();
        ran.clear();
        assertEquals(0, b.bindEnabled(ran), b.text());
        assertEquals(writes, b.kernel.log.size(), "idempotent: " + b.kernel.log);
        assertTrue(b.text().contains("kvp: on uio_hv_generic already"), b.text());
        assertEquals(2, ran.size(), ran.toString());
    }

    @Test
    void bindEnabledLeavesWhatTheKernelCannotServeOnItsDriverAndItsDaemonRunning() throws Exception {
        b.on(Generation.STABLE_6_6, null);
        List<List<String>> ran = new java.util.ArrayList<>();
        assertEquals(0, b.bindEnabled(ran), b.text());
        assertEquals(List.of(), b.kernel.log, "nothing written");
        assertEquals(List.of(), ran, "no daemon stopped");
        assertTrue(b.text().contains("kvp: NOT bound, cannot be served on this kernel"), b.text());
    }

    // Issue 19 item 2 / F6: a class only --force could bind (netvsc) is bound again at boot, as that --force accepted.
    @Test
    void f6_aClassBoundWithForceIsBoundAgainAtBootAsTheForceAcceptedItAndARefusedClassStopsNoOther() throws Exception {
        b.on(Generation.V6_16, null);
        b.enable("netvsc");
        String nic = b.tree.dev("netvsc").instance();
        List<List<String>> ran = new java.util.ArrayList<>();

        // Without a recorded --force: netvsc is refused, loudly, and every other enabled class is bound all the same.
        assertEquals(1, b.bindEnabled(ran), b.text());
        assertTrue(b.text().contains("WARNING: netvsc: NOT bound") && b.text().contains("(--force moves it anyway)"),
                b.text());
        assertEquals("hv_netvsc", b.drivers().get("netvsc"));
        assertEquals(VmbusDevices.UIO_DRIVER, b.drivers().get("kvp"), b.text());

        // The operator decides: bind netvsc --force. What it accepted is recorded on disk.
        assertEquals(0, b.run("bind", "netvsc", "--force"), b.text());
        String record = "forced/" + dev.vmbus.channel.DeviceClass.byName("netvsc").orElseThrow().classId() + ".json";
        io.vertx.core.json.JsonObject r = new io.vertx.core.json.JsonObject(Files.readString(b.stateDir().resolve(record)));
        assertEquals(new io.vertx.core.json.JsonArray().add("class-network"), r.getJsonObject("devices").getJsonArray(nic),
                r.encode());

        // A reboot: every binding is gone, the record is not. The boot's bind --enabled puts netvsc back.
        b.reboot(Generation.V6_16);
        b.enable("netvsc");
        assertEquals("hv_netvsc", b.drivers().get("netvsc"));
        ran.clear();
        assertEquals(0, b.bindEnabled(ran), b.text());
        assertEquals(VmbusDevices.UIO_DRIVER, b.drivers().get("netvsc"), b.text());
        assertEquals(VmbusDevices.UIO_DRIVER, b.drivers().get("heartbeat"), b.text());
        assertTrue(b.text().contains("netvsc: 1 device(s) moved to uio_hv_generic, as 'vmbus bind netvsc --force' of ")
                && b.text().contains("accepted: moving " + nic), b.text());
        int writes = b.kernel.log.size();
        assertEquals(0, b.bindEnabled(ran), b.text());
        assertEquals(writes, b.kernel.log.size(), "idempotent: " + b.kernel.log);

        // A new NIC the operator never accepted: refused with the reason; the accepted one and the rest still bound.
        b.reboot(Generation.V6_16);
        b.enable("netvsc");
        String second = "000d3a6e-4548-000d-3a6e-4548000d3a6f";
        b.tree.addDevice("netvsc", second, 17);
        assertEquals(1, b.bindEnabled(ran), b.text());
        assertTrue(b.text().contains("WARNING: netvsc: NOT bound") && b.text().contains("a device it did not move")
                && b.text().contains("'vmbus bind netvsc --force' accepts it"), b.text());
        assertEquals("hv_netvsc", b.tree.driverOf(nic), "nothing of the class moved: " + b.text());
        assertEquals(VmbusDevices.UIO_DRIVER, b.drivers().get("fcopy"), b.text());

        // Something the kernel cannot do (now a confidential VM) is refused whatever was accepted.
        b.reboot(Generation.V6_16);
        b.enable("netvsc");
        Files.writeString(b.tree.proc().resolve("cpuinfo"), "flags\t\t: fpu sev_snp\n");
        assertEquals(0, b.bindEnabled(ran), b.text());
        assertTrue(b.text().contains("netvsc: NOT bound, cannot be served on this kernel: this is a confidential VM"),
                b.text());
        assertEquals("hv_netvsc", b.tree.driverOf(nic));

        // unbind ends the decision: the next boot leaves netvsc on hv_netvsc.
        b.reboot(Generation.V6_16);
        b.enable("netvsc");
        assertEquals(0, b.bindEnabled(ran), b.text());
        assertEquals(0, b.run("unbind", "netvsc"), b.text());
        assertTrue(Files.exists(b.stateDir().resolve("forced")) && Files.notExists(b.stateDir().resolve(record)),
                "unbind removes " + record);
        b.reboot(Generation.V6_16);
        b.enable("netvsc");
        assertEquals(1, b.bindEnabled(ran), b.text());
        assertEquals("hv_netvsc", b.drivers().get("netvsc"), b.text());
    }

    // Issue 19 item 2 with item 3: on 6.10 to 6.13 the buffers of every bound device can pass maxBufferPercent, and
    // the share the operator accepted with --force holds at boot whatever order the classes are bound in.
    @Test
    void f6_theBufferShareAForceAcceptedIsReboundAtBootAndALargerOneIsRefused() throws Exception {
        b.on(Generation.V6_10, null);
        Files.writeString(b.tree.proc().resolve("meminfo"), "MemTotal:        1048576 kB\n"); // 10% is 102.4 MiB
        assertEquals(0, b.run("bind", "kvp"));
        assertEquals(0, b.run("bind", "fcopy"));
        assertThrows(dev.vmbus.transport.uio.admin.UioBinder.Refused.class, () -> b.run("bind", "heartbeat"));
        assertEquals(0, b.run("bind", "heartbeat", "--force"), b.text()); // 141 MiB, 13.8%

        // After a reboot the unit binds heartbeat first: its --force covers the 13.8% the three reach, in any order.
        b.reboot(Generation.V6_10);
        Files.writeString(b.tree.proc().resolve("meminfo"), "MemTotal:        1048576 kB\n");
        io.vertx.core.json.JsonObject c = new io.vertx.core.json.JsonObject(Files.readString(b.conf));
        for (String off : new String[] {"timesync", "shutdown", "vss"}) {
            c.getJsonObject("devices").put(off, new io.vertx.core.json.JsonObject().put("enabled", false));
        }
        Files.writeString(b.conf, c.encode());
        List<List<String>> ran = new java.util.ArrayList<>();
        assertEquals(0, b.bindEnabled(ran), b.text());
        for (String ic : new String[] {"heartbeat", "kvp", "fcopy"}) {
            assertEquals(VmbusDevices.UIO_DRIVER, b.drivers().get(ic), ic + ": " + b.text());
        }

        // A class enabled since, which would take the buffers past what was accepted, is refused; the rest is bound.
        b.reboot(Generation.V6_10);
        Files.writeString(b.tree.proc().resolve("meminfo"), "MemTotal:        1048576 kB\n");
        c = new io.vertx.core.json.JsonObject(Files.readString(b.conf));
        for (String off : new String[] {"timesync", "shutdown"}) {
            c.getJsonObject("devices").put(off, new io.vertx.core.json.JsonObject().put("enabled", false));
        }
        Files.writeString(b.conf, c.encode());
        assertEquals(1, b.bindEnabled(ran), b.text());
        assertTrue(b.text().contains("above the 13.8% that the 'vmbus bind --force' recorded in"), b.text());
        assertEquals(3, b.drivers().values().stream().filter(VmbusDevices.UIO_DRIVER::equals).count(), b.text());
        Map<String, String> now = b.drivers();
        List<String> left = java.util.stream.Stream.of("heartbeat", "kvp", "fcopy", "vss")
                .filter(ic -> !VmbusDevices.UIO_DRIVER.equals(now.get(ic))).toList();
        assertEquals(1, left.size(), b.text());
        assertTrue(b.text().contains("WARNING: " + left.getFirst() + ": NOT bound"), b.text());
    }

    @Test
    void bindTakesAClassOrEnabledAndStopDaemonsOnlyWithEnabled() throws Exception {
        b.on(Generation.V6_16, null);
        assertThrows(picocli.CommandLine.ParameterException.class, () -> b.run("bind"));
        assertThrows(picocli.CommandLine.ParameterException.class, () -> b.run("bind", "kvp", "--enabled"));
        assertThrows(picocli.CommandLine.ParameterException.class, () -> b.run("bind", "kvp", "--stop-daemons"));
        assertEquals(List.of(), b.kernel.log);
    }

    /**
     * Audit of F8 at boot: the unit queues the daemons' stop ({@code --no-block}, it runs inside the unit's start), so
     * hv_fcopy_uio_daemon, holding fcopy's node where something bound it at boot, may still hold it when the agent
     * opens it next and is refused. bind waits until the daemon lets go; it returns only then.
     */
    @Test
    void stopDaemonsWaitsUntilTheStoppedDaemonLetsGoOfTheNodeSoTheAgentStartingNextFindsItFree() throws Exception {
        b.on(Generation.V6_16, null);
        assertEquals(0, b.run("bind", "fcopy"), b.text()); // a distribution's udev rule, before the unit starts
        String uio = b.tree.uioOf(b.tree.dev("fcopy").instance());
        b.tree.holdOpen(812, "hv_fcopy_uio_d", 4, uio);
        Path daemon = b.tree.proc().resolve("812");
        assertTrue(Files.exists(daemon), "the fixture's daemon holds " + uio);
        Promise<Void> stopped = Promise.promise();
        Thread exiting = Thread.ofVirtual().unstarted(() -> {
            try {
                stopped.future().await(60, TimeUnit.SECONDS);
                Thread.sleep(300); // pacing: systemd stops the daemon a while after systemctl --no-block returned
                b.tree.exit(812);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        exiting.start();
        b.out.reset();

        int code = b.bindEnabled(c -> {
            if (c.contains("hv-fcopy-daemon.service")) {
                stopped.tryComplete();
            }
            return 0;
        }, java.time.Duration.ofSeconds(60));
        boolean heldOnReturn = Files.exists(daemon);
        exiting.join(java.time.Duration.ofSeconds(30));
        assertEquals(0, code, b.text());
        assertTrue(!heldOnReturn, "bind returned while pid 812 still held /dev/" + uio + ": the agent would refuse it\n"
                + b.text());
        assertTrue(b.text().contains("fcopy: its devices are free after"), b.text());
    }

    @Test
    void stopDaemonsSaysLoudlyWhichProcessStillHoldsADeviceWhenItDoesNotLetGo() throws Exception {
        b.on(Generation.V6_16, null);
        assertEquals(0, b.run("bind", "fcopy"), b.text());
        String uio = b.tree.uioOf(b.tree.dev("fcopy").instance());
        b.tree.holdOpen(812, "hv_fcopy_uio_d", 4, uio);
        b.out.reset();

        assertEquals(1, b.bindEnabled(c -> 0, java.time.Duration.ofMillis(200)), b.text());
        assertTrue(b.text().contains("WARNING: fcopy: still held") && b.text().contains("the agent will refuse it")
                && b.text().contains("pid 812 (hv_fcopy_uio_d) has /dev/" + uio + " open (fd 4)"), b.text());
        assertTrue(b.text().contains("kvp: on uio_hv_generic"), "the other classes are bound all the same: " + b.text());
    }
}
