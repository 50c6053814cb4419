package dev.vmbus.cli;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.transport.uio.KernelFixtures.Generation;
import dev.vmbus.transport.uio.VmbusDevices;
import dev.vmbus.transport.uio.admin.UioBinder;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vmbus bind netvsc --device X} on a VM with two synthetic NICs: eth0 carries the default route (the operator's
 * SSH), eth1 is given to {@code uio_hv_generic}. Only the chosen NIC moves, by interface name or by instance GUID,
 * through its own {@code driver_override} where the kernel has it (no {@code new_id}, so a NIC offered later, eth0
 * offered again among them, can only go to hv_netvsc), else by DPDK's documented flow ({@code new_id}, then that
 * device's unbind and bind); the choice is recorded, so that the boot's {@code bind --enabled} binds that NIC again
 * and leaves eth0 alone; doctor says which NIC is served, what holds it, and that the other stays by the operator's
 * choice ({@link BindFixture}, with the kernel's side played by {@code SimulatedKernel}).
 */
class BindDeviceTest {
    private static final String NETVSC = DeviceClass.NETVSC.classId().toString();
    private static final String SECOND = "000d3a6e-4548-000d-3a6e-4548000d3a6f";

    @TempDir
    Path dir;
    private BindFixture b;
    private String eth0;

    @BeforeEach
    void fixture() {
        b = new BindFixture(dir);
    }

    /** A V6_16 VM with netvsc enabled and two NICs: eth0 (the tree's, with the default route) and eth1. */
    private void twoNics() throws Exception {
        b.on(Generation.V6_16, null);
        vmWithTwoNics();
    }

    /** What the VM offers after every boot: the second NIC and both interfaces, netvsc enabled in the config. */
    private void vmWithTwoNics() throws Exception {
        b.enable("netvsc");
        eth0 = b.tree.dev("netvsc").instance();
        b.tree.addDevice("netvsc", SECOND, 17);
        b.tree.netInterface("eth0", eth0);
        b.tree.netInterface("eth1", SECOND);
        b.tree.defaultRoute("eth0");
    }

    private Path drivers() {
        return b.tree.sys().resolve("bus/vmbus/drivers");
    }

    private JsonObject record() throws Exception {
        return new JsonObject(Files.readString(b.stateDir().resolve("forced/" + NETVSC + ".json")));
    }

    @Test
    void bindByInterfaceNameMovesOnlyThatNicAndRecordsTheChoice() throws Exception {
        twoNics();
        assertEquals(0, b.run("bind", "netvsc", "--device", "eth1", "--force"), b.text());
        assertEquals(VmbusDevices.UIO_DRIVER, b.tree.driverOf(SECOND), b.text());
        assertEquals("hv_netvsc", b.tree.driverOf(eth0), "eth0, never chosen, stays: " + b.text());
        assertEquals(List.of(SECOND + "/driver_override uio_hv_generic", "hv_netvsc/unbind " + SECOND,
                "uio_hv_generic/bind " + SECOND), b.kernel.log, "only eth1's writes, and no new_id");
        assertEquals(VmbusDevices.UIO_DRIVER, b.tree.overrideOf(SECOND));
        assertNull(b.tree.overrideOf(eth0));
        assertTrue(b.text().contains("netvsc: 1 device(s) moved to uio_hv_generic (only eth1 (" + SECOND + ");"),
                b.text());
        assertTrue(b.text().contains("eth0 (" + eth0 + ") stays on hv_netvsc (not chosen by --device)"), b.text());
        assertFalse(b.text().contains("eth0 is this device and carries"), b.text());
        JsonObject r = record();
        assertEquals(new JsonObject().put(SECOND, "eth1"), r.getJsonObject("selected"), r.encode());
        assertEquals(List.of(SECOND), new ArrayList<>(r.getJsonObject("devices").fieldNames()), r.encode());
        assertFalse(Files.exists(b.tree.sys().resolve("class/net/eth1")), "hv_netvsc's eth1 went with the NIC");
        assertTrue(Files.exists(b.tree.sys().resolve("class/net/eth0")));

        // Again: nothing to move, nothing written, and eth0 still untouched.
        int writes = b.kernel.log.size();
        assertEquals(0, b.run("bind", "netvsc", "--device", SECOND, "--force"), b.text());
        assertEquals(List.of(), b.kernel.log.subList(writes, b.kernel.log.size()));
        assertEquals("hv_netvsc", b.tree.driverOf(eth0));
    }

    @Test
    void bindByInstanceGuidMovesOnlyThatNicAndNamesItsInterface() throws Exception {
        twoNics();
        assertEquals(0, b.run("bind", "netvsc", "--device", "{" + SECOND.toUpperCase(Locale.ROOT) + "}", "--force"),
                b.text());
        assertEquals(VmbusDevices.UIO_DRIVER, b.tree.driverOf(SECOND), b.text());
        assertEquals("hv_netvsc", b.tree.driverOf(eth0), b.text());
        assertEquals(List.of(SECOND + "/driver_override uio_hv_generic", "hv_netvsc/unbind " + SECOND,
                "uio_hv_generic/bind " + SECOND), b.kernel.log);
        assertEquals(new JsonObject().put(SECOND, "eth1"), record().getJsonObject("selected"));
    }

    @Test
    void dryRunPrintsExactlyTheWritesOfTheChosenNicAndWritesNothing() throws Exception {
        twoNics();
        assertEquals(0, b.run("bind", "netvsc", "--device", "eth1", "--force", "--dry-run"), b.text());
        assertEquals(List.of(), b.kernel.log);
        assertFalse(Files.exists(b.stateDir().resolve("forced")), "a dry run records nothing");
        Path uio = drivers().resolve(VmbusDevices.UIO_DRIVER);
        List<String> writes = Arrays.stream(b.text().split("\n")).filter(l -> l.startsWith("  echo ")).toList();
        assertEquals(List.of("  echo -n uio_hv_generic > " + b.tree.device(SECOND).resolve("driver_override"),
                "  echo -n " + SECOND + " > " + drivers().resolve("hv_netvsc/unbind"),
                "  echo -n " + SECOND + " > " + uio.resolve("bind")), writes, b.text());
        assertTrue(b.text().contains("# vmbus bind netvsc --device eth1 (" + SECOND + ") would write, in this order:"),
                b.text());
        assertTrue(b.text().contains("  # eth0 (" + eth0 + ") stays on hv_netvsc (not chosen by --device)"), b.text());
    }

    @Test
    void whatNamesNoDeviceOfTheClassIsRefusedBeforeAnyWrite() throws Exception {
        twoNics();
        b.tree.pciInterface("eth2", "0000:00:02.0");
        UioBinder.Refused e = assertThrows(UioBinder.Refused.class,
                () -> b.run("bind", "netvsc", "--device", "eth7", "--device", b.hb(), "--device", "eth2", "--device",
                        "11111111-2222-3333-4444-555555555555", "--force"));
        assertTrue(e.getMessage().contains("'eth7' names no device"), e.getMessage());
        assertTrue(e.getMessage().contains(b.hb() + " is a heartbeat device"), e.getMessage());
        assertTrue(e.getMessage().contains("eth2's device 0000:00:02.0 is not a VMBus device"), e.getMessage());
        assertTrue(e.getMessage().contains("11111111-2222-3333-4444-555555555555 names no device"), e.getMessage());
        assertTrue(e.getMessage().contains("nothing was changed"), e.getMessage());

        assertThrows(picocli.CommandLine.ParameterException.class,
                () -> b.run("bind", "--enabled", "--device", "eth1"));
        assertEquals(List.of(), b.kernel.log, "nothing written");
        assertFalse(Files.exists(b.stateDir().resolve("forced")));

        // netvsc stays a --force class with --device too.
        e = assertThrows(UioBinder.Refused.class, () -> b.run("bind", "netvsc", "--device", "eth1"));
        assertTrue(e.getMessage().contains("(--force moves it anyway)"), e.getMessage());
        assertEquals(List.of(), b.kernel.log);
    }

    @Test
    void withoutDriverOverrideTheNewIdFlowStaysAndDryRunPrintsIt() throws Exception {
        twoNics();
        b.tree.withoutDriverOverride();
        assertEquals(0, b.run("bind", "netvsc", "--device", "eth1", "--force", "--dry-run"), b.text());
        Path uio = drivers().resolve(VmbusDevices.UIO_DRIVER);
        assertEquals(List.of("  echo " + NETVSC + " > " + uio.resolve("new_id"),
                "  echo -n " + SECOND + " > " + drivers().resolve("hv_netvsc/unbind"),
                "  echo -n " + SECOND + " > " + uio.resolve("bind")),
                Arrays.stream(b.text().split("\n")).filter(l -> l.startsWith("  echo ")).toList(), b.text());
        assertEquals(0, b.run("bind", "netvsc", "--device", "eth1", "--force"), b.text());
        assertEquals(List.of("uio_hv_generic/new_id " + NETVSC, "hv_netvsc/unbind " + SECOND,
                "uio_hv_generic/bind " + SECOND), b.kernel.log);
        assertEquals("hv_netvsc", b.tree.driverOf(eth0));

        // What new_id risks, and why the override flow exists: hv_netvsc loaded again after uio_hv_generic, and
        // eth0 rescinded and offered again by the host, goes to uio_hv_generic with the class's new_id.
        b.kernel.registeredLast("hv_netvsc");
        b.tree.rescind(eth0);
        assertEquals(VmbusDevices.UIO_DRIVER, b.kernel.offer("netvsc", eth0, 16));

        int writes = b.kernel.log.size();
        assertEquals(0, b.run("unbind", "netvsc", "--device", "eth1"), b.text());
        assertEquals(List.of("uio_hv_generic/unbind " + SECOND, "hv_netvsc/bind " + SECOND),
                b.kernel.log.subList(writes, b.kernel.log.size()), "new_id stays while eth0's NIC is on uio");
    }

    @Test
    void withDriverOverrideANicOfferedLaterOrOfferedAgainGoesToHvNetvsc() throws Exception {
        twoNics();
        assertEquals(0, b.run("bind", "netvsc", "--device", "eth1", "--force"), b.text());
        assertTrue(b.text().contains("each chosen device is bound through its driver_override, not "), b.text());
        // hv_netvsc registered after uio_hv_generic (reloaded), so the driver core tries uio first for a new device.
        b.kernel.registeredLast("hv_netvsc");
        b.tree.rescind(eth0);
        assertEquals("hv_netvsc", b.kernel.offer("netvsc", eth0, 16), "eth0 offered again: " + b.kernel.log);
        assertTrue(Files.exists(b.tree.sys().resolve("class/net/eth0")), "the operator's interface is back");
        String third = "000d3a6e-4548-000d-3a6e-4548000d3a70";
        assertEquals("hv_netvsc", b.kernel.offer("netvsc", third, 18), "a hot-added NIC: " + b.kernel.log);
        assertEquals(VmbusDevices.UIO_DRIVER, b.tree.driverOf(SECOND));
        assertFalse(b.kernel.log.stream().anyMatch(w -> w.contains("new_id")), b.kernel.log.toString());
    }

    @Test
    void withDriverOverrideAnotherNicOnNoDriverNeitherRefusesTheBindNorFollowsIt() throws Exception {
        twoNics();
        b.kernel.write(drivers().resolve("hv_netvsc/unbind"), eth0);
        assertEquals(0, b.run("bind", "netvsc", "--device", "eth1", "--force"), b.text());
        assertEquals(VmbusDevices.UIO_DRIVER, b.tree.driverOf(SECOND), b.text());
        assertNull(b.tree.driverOf(eth0), "eth0's NIC stays on no driver, for its own driver to take: " + b.kernel.log);
        b.kernel.write(drivers().resolve("hv_netvsc/bind"), eth0);
        assertEquals("hv_netvsc", b.tree.driverOf(eth0));
    }

    @Test
    void anotherNicOfTheClassOnNoDriverIsRefusedBecauseNewIdWouldTakeItToo() throws Exception {
        twoNics();
        b.tree.withoutDriverOverride();
        b.kernel.write(drivers().resolve("hv_netvsc/unbind"), eth0);
        int writes = b.kernel.log.size();
        UioBinder.Refused e = assertThrows(UioBinder.Refused.class,
                () -> b.run("bind", "netvsc", "--device", "eth1", "--force"));
        assertTrue(e.getMessage().contains(eth0 + " (on no driver)") && e.getMessage().contains("driver_attach"),
                e.getMessage());
        assertEquals(writes, b.kernel.log.size(), "nothing written: " + b.kernel.log);
        assertNull(b.tree.driverOf(eth0));
        assertEquals("hv_netvsc", b.tree.driverOf(SECOND));
    }

    @Test
    void aFailedBindOfTheChosenNicsPutsEveryMovedOneBackWithItsOverrideAndRecordsNothing() throws Exception {
        twoNics();
        String third = "000d3a6e-4548-000d-3a6e-4548000d3a70";
        b.tree.addDevice("netvsc", third, 18);
        b.tree.netInterface("eth2", third);
        // An override the operator set on eth1 before (pinning it to hv_netvsc) is put back, not cleared.
        b.kernel.write(b.tree.device(SECOND).resolve("driver_override"), "hv_netvsc\n");
        b.kernel.failNext(VmbusDevices.UIO_DRIVER, "bind", third, "Input/output error");
        java.io.IOException failed = assertThrows(java.io.IOException.class,
                () -> b.run("bind", "netvsc", "--device", "eth1", "--device", "eth2", "--force"));
        assertTrue(failed.getMessage().contains("Input/output error"), failed.getMessage());
        assertEquals("hv_netvsc", b.tree.driverOf(SECOND), "eth1 moved, then back: " + b.kernel.log);
        assertEquals("hv_netvsc", b.tree.driverOf(third), b.kernel.log.toString());
        assertEquals("hv_netvsc", b.tree.driverOf(eth0), b.kernel.log.toString());
        assertFalse(b.kernel.log.stream().anyMatch(w -> w.contains(eth0)), "eth0 never written: " + b.kernel.log);
        assertEquals("hv_netvsc", b.tree.overrideOf(SECOND), b.kernel.log.toString());
        assertNull(b.tree.overrideOf(third), b.kernel.log.toString());
        assertTrue(failed.getMessage().contains("every device is on the driver it had"), failed.getMessage());
        assertFalse(b.kernel.log.stream().anyMatch(w -> w.contains("_id")), "no new_id, no remove_id: " + b.kernel.log);
        assertFalse(Files.exists(b.stateDir().resolve("forced/" + NETVSC + ".json")));
    }

    @Test
    void aFailedBindWithoutDriverOverrideRemovesTheClassIdItAdded() throws Exception {
        twoNics();
        b.tree.withoutDriverOverride();
        b.kernel.failNext(VmbusDevices.UIO_DRIVER, "bind", SECOND, "Input/output error");
        assertThrows(java.io.IOException.class, () -> b.run("bind", "netvsc", "--device", "eth1", "--force"));
        assertEquals("hv_netvsc", b.tree.driverOf(SECOND), b.kernel.log.toString());
        assertTrue(b.kernel.log.contains("uio_hv_generic/remove_id " + NETVSC), b.kernel.log.toString());
    }

    @Test
    void unbindOfOneNicLeavesTheOtherOnUioAndTheClassIdAndNarrowsTheRecord() throws Exception {
        twoNics();
        assertEquals(0, b.run("bind", "netvsc", "--force"), b.text());
        assertEquals(VmbusDevices.UIO_DRIVER, b.tree.driverOf(eth0));
        assertEquals(VmbusDevices.UIO_DRIVER, b.tree.driverOf(SECOND));
        int writes = b.kernel.log.size();

        assertEquals(0, b.run("unbind", "netvsc", "--device", SECOND), b.text());
        assertEquals(List.of("uio_hv_generic/unbind " + SECOND, "hv_netvsc/bind " + SECOND),
                b.kernel.log.subList(writes, b.kernel.log.size()), "no remove_id while eth0's NIC stays on uio");
        assertEquals("hv_netvsc", b.tree.driverOf(SECOND));
        assertEquals(VmbusDevices.UIO_DRIVER, b.tree.driverOf(eth0), b.text());
        assertEquals(new JsonObject().put(eth0, ""), record().getJsonObject("selected"),
                "the whole-class record now names the NIC still bound: " + record().encode());

        // The boot binds only that one: the NIC handed back is no "new device" that refuses the class.
        b.reboot(Generation.V6_16);
        vmWithTwoNics();
        assertEquals(0, b.bindEnabled(new ArrayList<>()), b.text());
        assertEquals(VmbusDevices.UIO_DRIVER, b.tree.driverOf(eth0), b.text());
        assertEquals("hv_netvsc", b.tree.driverOf(SECOND), b.text());
    }

    @Test
    void unbindByTheInterfaceNameItWasChosenAsEndsTheChoice() throws Exception {
        twoNics();
        assertEquals(0, b.run("bind", "netvsc", "--device", "eth1", "--force"), b.text());
        int writes = b.kernel.log.size();
        // eth1 is gone from class/net while its NIC is on uio; the record knows the name.
        assertEquals(0, b.run("unbind", "netvsc", "--device", "eth1"), b.text());
        assertEquals(List.of("uio_hv_generic/unbind " + SECOND, SECOND + "/driver_override \n",
                "hv_netvsc/bind " + SECOND), b.kernel.log.subList(writes, b.kernel.log.size()),
                "the override cleared, and no remove_id: new_id was never written");
        assertNull(b.tree.overrideOf(SECOND));
        assertEquals("hv_netvsc", b.tree.driverOf(SECOND));
        assertEquals("hv_netvsc", b.tree.driverOf(eth0));
        assertTrue(Files.exists(b.tree.sys().resolve("class/net/eth1")), "eth1 is back");
        assertFalse(Files.exists(b.stateDir().resolve("forced/" + NETVSC + ".json")), "the choice ended");
    }

    @Test
    void theBootBindsOnlyTheChosenNicAgainAndNamesOneThatIsGone() throws Exception {
        twoNics();
        assertEquals(0, b.run("bind", "netvsc", "--device", "eth1", "--force"), b.text());

        // A reboot: every binding gone, the record kept. The unit's bind --enabled puts eth1 back, only eth1.
        b.reboot(Generation.V6_16);
        vmWithTwoNics();
        assertEquals("hv_netvsc", b.tree.driverOf(SECOND));
        assertEquals(0, b.bindEnabled(new ArrayList<>()), b.text());
        assertEquals(VmbusDevices.UIO_DRIVER, b.tree.driverOf(SECOND), b.text());
        assertEquals("hv_netvsc", b.tree.driverOf(eth0), "eth0 is neither moved nor a refused new device: " + b.text());
        assertEquals(VmbusDevices.UIO_DRIVER, b.drivers().get("heartbeat"), b.text());
        assertFalse(b.kernel.log.contains("hv_netvsc/unbind " + eth0), b.kernel.log.toString());
        assertTrue(b.kernel.log.contains(SECOND + "/driver_override uio_hv_generic"), b.kernel.log.toString());
        assertFalse(b.kernel.log.stream().anyMatch(w -> w.startsWith("uio_hv_generic/new_id " + NETVSC)),
                "the boot binds the chosen NIC through its override too: " + b.kernel.log);
        assertTrue(b.text().contains("netvsc: 1 device(s) moved to uio_hv_generic, as 'vmbus bind netvsc --force' of ")
                && b.text().contains("(only eth1 (" + SECOND + "), as 'vmbus bind netvsc --device' chose;"), b.text());
        int writes = b.kernel.log.size();
        b.out.reset();
        assertEquals(0, b.bindEnabled(new ArrayList<>()), b.text());
        assertEquals(writes, b.kernel.log.size(), "idempotent: " + b.kernel.log);
        assertTrue(b.text().contains("netvsc: on uio_hv_generic already (only eth1"), b.text());

        // A boot where the host no longer offers eth1's NIC: named, and eth0 still left alone.
        b.reboot(Generation.V6_16);
        b.enable("netvsc");
        b.tree.netInterface("eth0", eth0);
        b.tree.defaultRoute("eth0");
        assertEquals(0, b.bindEnabled(new ArrayList<>()), b.text());
        assertTrue(b.text().contains("WARNING: netvsc: chosen with 'vmbus bind netvsc --device' but not offered now,"
                + " so not bound: eth1 (" + SECOND + ")"), b.text());
        assertTrue(b.text().contains("netvsc: no chosen device offered; nothing to bind"), b.text());
        assertEquals("hv_netvsc", b.tree.driverOf(eth0), b.text());
    }

    private String doctor(String... more) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        List<String> argv = new ArrayList<>(List.of("doctor", "--conf", b.conf.toString()));
        argv.addAll(List.of(more));
        assertEquals(0, Vmbus.execute(argv.toArray(String[]::new), new PrintStream(bytes, true, StandardCharsets.UTF_8),
                System.err));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The doctor's section of one device: from its header line to the blank line after it. */
    private static String section(String text, String instance) {
        int start = text.indexOf("instance " + instance);
        assertTrue(start >= 0, text);
        int end = text.indexOf("\n\n", start);
        return text.substring(start, end);
    }

    @Test
    void doctorSaysTheChosenNicIsServedAndTheOtherStaysByTheOperatorsChoice() throws Exception {
        twoNics();
        assertEquals(0, b.run("bind", "netvsc", "--device", "eth1", "--force"), b.text());
        String text = doctor();
        assertTrue(section(text, SECOND).contains("ok: bound to uio_hv_generic, chosen by 'vmbus bind netvsc --device'"
                + " as eth1; 'vmbus run --transport uio' serves it; held there by its own driver_override"), text);
        assertTrue(text.contains("; each held there by its own driver_override, so no other device of the class can"
                + " follow it"), text);
        assertFalse(text.contains("hot-added"), "no new_id, so no such risk named: " + text);
        String first = section(text, eth0);
        assertTrue(first.contains("interface eth0, which carries the default route, is this device")
                && first.contains("stays on hv_netvsc by the operator's choice: 'vmbus bind netvsc --device' chose eth1 ("
                + SECOND + ")"), first);
        assertFalse(first.contains("not served") || first.contains("WARNING") || first.contains("to bind it"), first);
        assertTrue(text.contains("  netvsc: served for the device(s) 'vmbus bind netvsc --device' chose: eth1 (" + SECOND
                + ") on uio_hv_generic, which 'vmbus run --transport uio' serves; by the operator's choice the class's"
                + " other device(s) stay on their driver: eth0 (" + eth0 + ") on hv_netvsc"), text);
        assertTrue(text.contains("WARNING: 6 enabled class(es) offered but NOT on uio_hv_generic"),
                "the six integration services, not netvsc: " + text);
        assertTrue(text.contains("    only the device(s) --device chose: eth1 (" + SECOND + "); the class's other"
                + " devices stay on their driver"), text);
        JsonObject json = new JsonObject(doctor("--json"));
        JsonObject netvsc = json.getJsonArray("enabledClasses").stream().map(JsonObject.class::cast)
                .filter(c -> c.getString("name").equals("netvsc")).findFirst().orElseThrow();
        assertEquals("served", netvsc.getString("status"));
        assertEquals(new JsonObject().put("selected", false).put("interface", null), chosen(json, eth0));
        assertEquals(new JsonObject().put("selected", true).put("interface", "eth1").put("heldBy", "driver_override"),
                chosen(json, SECOND));

        // After a reboot, before the unit binds: the chosen NIC is named as not bound, eth0 still by choice.
        b.reboot(Generation.V6_16);
        vmWithTwoNics();
        text = doctor();
        assertTrue(text.contains("  netvsc: NOT on uio_hv_generic for the device(s) 'vmbus bind netvsc --device' chose"
                + " (eth1 (" + SECOND + "))"), text);
        assertTrue(section(text, SECOND).contains("chosen by 'vmbus bind netvsc --device' as eth1: the vmbus unit's"
                + " 'bind --enabled' binds it again at every start"), text);
        assertTrue(section(text, eth0).contains("stays on hv_netvsc by the operator's choice"), text);
        assertTrue(text.contains("    at boot: binds it again"), text);
    }

    @Test
    void doctorNamesTheNewIdRiskOnlyWhereTheClassIdHoldsTheChosenNic() throws Exception {
        twoNics();
        b.tree.withoutDriverOverride();
        assertEquals(0, b.run("bind", "netvsc", "--device", "eth1", "--force"), b.text());
        String text = doctor();
        assertTrue(section(text, SECOND).contains("'vmbus run --transport uio' serves it; held there by new_id for the"
                + " class: a NIC hot-added (or offered again) later may go to uio_hv_generic"), text);
        assertTrue(text.contains("; WARNING: held there by new_id for the class: a NIC hot-added (or offered again)"
                + " later may go to uio_hv_generic"), text);
        JsonObject chosen = chosen(new JsonObject(doctor("--json")), SECOND);
        assertEquals("new_id", chosen.getString("heldBy"), chosen.encode());
    }

    @Test
    void unbindOfTheClassClearsTheOverridesAndRemovesTheClassIdAnEarlierClassWideBindAdded() throws Exception {
        twoNics();
        assertEquals(0, b.run("bind", "netvsc", "--force"), b.text());
        assertEquals(0, b.run("unbind", "netvsc", "--device", SECOND), b.text());
        int writes = b.kernel.log.size();
        // eth0's NIC stays on uio through the class's new_id; eth1 goes back through its own override.
        assertEquals(0, b.run("bind", "netvsc", "--device", SECOND, "--force"), b.text());
        assertEquals(List.of(SECOND + "/driver_override uio_hv_generic", "hv_netvsc/unbind " + SECOND,
                "uio_hv_generic/bind " + SECOND), b.kernel.log.subList(writes, b.kernel.log.size()));
        writes = b.kernel.log.size();

        assertEquals(0, b.run("unbind", "netvsc"), b.text());
        assertEquals(List.of("uio_hv_generic/unbind " + eth0, "uio_hv_generic/unbind " + SECOND,
                SECOND + "/driver_override \n", "uio_hv_generic/remove_id " + NETVSC, "hv_netvsc/bind " + eth0,
                "hv_netvsc/bind " + SECOND), b.kernel.log.subList(writes, b.kernel.log.size()));
        assertEquals("hv_netvsc", b.tree.driverOf(eth0));
        assertEquals("hv_netvsc", b.tree.driverOf(SECOND));
        assertNull(b.tree.overrideOf(SECOND));
        // new_id is gone: a NIC offered now goes to hv_netvsc even with uio tried first.
        b.kernel.registeredLast("hv_netvsc");
        assertEquals("hv_netvsc", b.kernel.offer("netvsc", "000d3a6e-4548-000d-3a6e-4548000d3a70", 18));
    }

    @Test
    void aFailedUnbindPutsTheOverrideBackWithTheDevice() throws Exception {
        twoNics();
        assertEquals(0, b.run("bind", "netvsc", "--device", "eth1", "--force"), b.text());
        b.kernel.failNext("hv_netvsc", "bind", SECOND, "Input/output error");
        java.io.IOException failed = assertThrows(java.io.IOException.class,
                () -> b.run("unbind", "netvsc", "--device", "eth1"));
        assertTrue(failed.getMessage().contains("every device is on the driver it had"), failed.getMessage());
        assertEquals(VmbusDevices.UIO_DRIVER, b.tree.driverOf(SECOND), b.kernel.log.toString());
        assertEquals(VmbusDevices.UIO_DRIVER, b.tree.overrideOf(SECOND), b.kernel.log.toString());
    }

    /** The {@code chosen} object of device {@code instance} in doctor's {@code --json}. */
    private static JsonObject chosen(JsonObject doctorJson, String instance) {
        return doctorJson.getJsonArray("devices").stream().map(JsonObject.class::cast)
                .filter(d -> d.getString("instanceId").equals(instance)).findFirst().orElseThrow()
                .getJsonObject("chosen");
    }
}
