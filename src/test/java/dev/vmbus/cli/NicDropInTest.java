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
        assertTrue(postrm.contains("rm -f /etc/systemd/system/vmbus.service.d/" + NicDropIn.FILE), postrm);
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
        b.enable("netvsc");
        b.out.reset();
        assertEquals(0, run(b, dropIns, "bind", "--enabled"), b.text());
        assertFalse(b.text().contains("is missing"), b.text());
        Files.delete(file);
        assertEquals(0, run(b, dropIns, "bind", "--enabled"), b.text());
        assertTrue(b.text().contains("WARNING: netvsc: " + file + " is missing, so the unit denies /dev/net/tun"),
                b.text());
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

    private static int run(BindFixture b, Path dropIns, String... argv) throws Exception {
        String[] full = new String[argv.length + 2];
        System.arraycopy(argv, 0, full, 0, argv.length);
        full[argv.length] = "--conf";
        full[argv.length + 1] = b.conf.toString();
        return BindCommand.run(full, new PrintStream(b.out, true, StandardCharsets.UTF_8), true, b.kernel,
                command -> 0, false, BindCommand.RELEASE_WAIT, dropIns);
    }
}
