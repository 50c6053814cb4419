package dev.vmbus.cli;

import dev.vmbus.transport.uio.KernelFixtures.Generation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged unit denies {@code /dev/net/tun}; only the operator's {@code vmbus bind netvsc} lets it in, through
 * the drop-in {@code vmbus.service.d/netvsc.conf}, which {@code unbind netvsc} removes.
 */
class NicDropInTest {
    @TempDir
    Path dir;

    @Test
    void thePackagedUnitDeniesTheTunNodeAndTheDropInAllowsExactlyIt() throws Exception {
        String unit = Files.readString(Path.of("conf/vmbus.service"));
        List<String> allowed = unit.lines().filter(l -> l.startsWith("DeviceAllow=")).toList();
        assertEquals(List.of("DeviceAllow=char-uio rw"), allowed, "only the uio nodes without the NIC");
        assertTrue(unit.contains("DevicePolicy=closed"), unit);
        assertEquals(List.of("[Service]", "DeviceAllow=/dev/net/tun rw"),
                NicDropIn.TEXT.lines().filter(l -> !l.startsWith("#")).toList());
        String postrm = Files.readString(Path.of("packaging/deb/postrm"));
        assertTrue(postrm.contains("rm -f \"${DPKG_ROOT:-}/etc/systemd/system/vmbus.service.d/" + NicDropIn.FILE + "\""), postrm);
    }

    @Test
    void bindNetvscWritesTheDropInUnbindRemovesItAndTheBootWarnsWithoutIt() throws Exception {
        BindFixture b = new BindFixture(dir);
        b.on(Generation.V6_16, null);
        Path systemd = Files.createDirectories(dir.resolve("etc/systemd/system"));
        Path dropIns = systemd.resolve("vmbus.service.d");
        Path file = dropIns.resolve(NicDropIn.FILE);

        assertEquals(0, run(b, dropIns, "bind", "heartbeat"), b.text());
        assertFalse(Files.exists(dropIns), "an integration service brings no drop-in");
        assertEquals(0, run(b, dropIns, "bind", "netvsc", "--force", "--dry-run"), b.text());
        assertFalse(Files.exists(dropIns), "a dry run writes nothing");
        assertTrue(b.text().contains("# and the unit's drop-in " + file + ": DeviceAllow=/dev/net/tun rw"), b.text());

        assertEquals(0, run(b, dropIns, "bind", "netvsc", "--force"), b.text());
        assertEquals(NicDropIn.TEXT, Files.readString(file));
        assertTrue(b.text().contains("wrote " + file + ": the vmbus unit may now open /dev/net/tun"), b.text());

        // At boot: netvsc on uio with its drop-in says nothing more; without it, a warning naming the fix.
        nic(b, "tap");
        b.out.reset();
        assertEquals(0, run(b, dropIns, "bind", "--enabled"), b.text());
        assertFalse(b.text().contains("is missing"), b.text());
        Files.delete(file);
        assertEquals(0, run(b, dropIns, "bind", "--enabled"), b.text());
        assertTrue(b.text().contains("WARNING: netvsc: " + file + " is missing, so the unit denies /dev/net/tun"),
                b.text());
        // The event-bus backend opens no TAP: nothing is missing then.
        nic(b, "eventbus");
        b.out.reset();
        assertEquals(0, run(b, dropIns, "bind", "--enabled"), b.text());
        assertFalse(b.text().contains("is missing"), b.text());
        assertEquals(0, run(b, dropIns, "bind", "netvsc", "--force"), b.text()); // already bound: writes it again
        assertTrue(Files.isRegularFile(file), b.text());

        Files.writeString(dropIns.resolve("local.conf"), "[Service]\nReadWritePaths=/sys/bus/vmbus/devices\n");
        assertEquals(0, run(b, dropIns, "unbind", "netvsc"), b.text());
        assertFalse(Files.exists(file), b.text());
        assertTrue(Files.exists(dropIns.resolve("local.conf")), "the operator's own drop-in stays");
        assertTrue(b.text().contains("removed " + file), b.text());
        Files.delete(dropIns.resolve("local.conf"));
        assertEquals(0, run(b, dropIns, "bind", "netvsc", "--force"), b.text());
        assertEquals(0, run(b, dropIns, "unbind", "netvsc"), b.text());
        assertFalse(Files.exists(dropIns), "the directory goes once empty");
    }

    /**
     * An upgrade from a version whose unit allowed /dev/net/tun itself: the package's postinst runs
     * {@code bind --unit-drop-in}, which writes the drop-in exactly when the agent serves the NIC with the tap
     * backend (on uio: its device on uio_hv_generic, or its {@code bind netvsc --force} recorded for the boot).
     */
    @Test
    void anUpgradeKeepsTheTapBackendsDropInOnlyWhereTheNicIsServedWithIt() throws Exception {
        BindFixture b = new BindFixture(dir);
        b.on(Generation.V6_16, null);
        Path dropIns = Files.createDirectories(dir.resolve("etc/systemd/system")).resolve("vmbus.service.d");
        Path file = dropIns.resolve(NicDropIn.FILE);

        assertEquals(0, run(b, dropIns, "bind", "--unit-drop-in"), b.text());
        assertTrue(b.text().contains("netvsc: no drop-in needed: netvsc is not enabled"), b.text());
        nic(b, "tap");
        b.out.reset();
        assertEquals(0, run(b, dropIns, "bind", "--unit-drop-in"), b.text());
        assertTrue(b.text().contains("no drop-in needed: netvsc is enabled with the tap backend, but its device is"
                + " not on uio_hv_generic and no 'vmbus bind netvsc --force' is recorded"), b.text());
        assertFalse(Files.exists(dropIns), b.text());

        // Served before the upgrade (bound by an older version, which wrote no drop-in): the upgrade writes it.
        assertEquals(0, run(b, null, "bind", "netvsc", "--force"), b.text());
        nic(b, "eventbus");
        b.out.reset();
        assertEquals(0, run(b, dropIns, "bind", "--unit-drop-in"), b.text());
        assertTrue(b.text().contains("no drop-in needed: netvsc's eventbus backend opens no /dev/net/tun"), b.text());
        assertFalse(Files.exists(dropIns), b.text());
        nic(b, "tap");
        b.out.reset();
        assertEquals(0, run(b, dropIns, "bind", "--unit-drop-in"), b.text());
        assertEquals(NicDropIn.TEXT, Files.readString(file));
        assertTrue(b.text().contains("netvsc: the unit needs " + file + ": netvsc is enabled with the tap backend"
                + " and its device is on uio_hv_generic") && b.text().contains("wrote " + file), b.text());
        assertEquals(0, run(b, dropIns, "bind", "--unit-drop-in"), b.text());
        assertTrue(b.text().contains(file + " already lets the vmbus unit open /dev/net/tun"), b.text());

        // Upgraded after a reboot, before the unit started: the device is back on hv_netvsc, the record is not gone.
        Files.delete(file);
        b.reboot(Generation.V6_16);
        nic(b, "tap");
        Path other = dir.resolve("other/etc/systemd/system/vmbus.service.d");
        Files.createDirectories(other.getParent());
        assertEquals(0, run(b, null, "bind", "--unit-drop-in", "--drop-in-dir", other.toString()), b.text());
        assertTrue(b.text().contains("and " + b.stateDir().resolve("forced") + "/"), b.text());
        assertTrue(b.text().contains("records 'vmbus bind netvsc --force', so the boot binds it again"), b.text());
        assertEquals(NicDropIn.TEXT, Files.readString(other.resolve(NicDropIn.FILE)));
        assertEquals("hv_netvsc", b.drivers().get("netvsc"), "--unit-drop-in binds nothing");
        assertFalse(Files.exists(file), "only where --drop-in-dir said");
    }

    /** Enables netvsc with {@code backend} in the fixture's configuration. */
    private static void nic(BindFixture b, String backend) throws Exception {
        io.vertx.core.json.JsonObject c = new io.vertx.core.json.JsonObject(Files.readString(b.conf));
        c.getJsonObject("devices").put("netvsc", new io.vertx.core.json.JsonObject().put("enabled", true)
                .put("backend", backend));
        Files.writeString(b.conf, c.encode());
    }

    private static int run(BindFixture b, Path dropIns, String... argv) throws Exception {
        String[] full = new String[argv.length + 2];
        System.arraycopy(argv, 0, full, 0, argv.length);
        full[argv.length] = "--conf";
        full[argv.length + 1] = b.conf.toString();
        return BindCommand.run(full, new PrintStream(b.out, true, StandardCharsets.UTF_8), true, b.kernel,
                command -> 0, false, BindCommand.RELEASE_WAIT, dropIns);
    }
}
