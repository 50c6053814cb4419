package dev.vmbus.cli;

import dev.vmbus.transport.uio.KernelFixtures.Generation;
import dev.vmbus.transport.uio.VmbusDevices;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

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

    @Test
    void bindTakesAClassOrEnabledAndStopDaemonsOnlyWithEnabled() throws Exception {
        b.on(Generation.V6_16, null);
        assertThrows(picocli.CommandLine.ParameterException.class, () -> b.run("bind"));
        assertThrows(picocli.CommandLine.ParameterException.class, () -> b.run("bind", "kvp", "--enabled"));
        assertThrows(picocli.CommandLine.ParameterException.class, () -> b.run("bind", "kvp", "--stop-daemons"));
        assertEquals(List.of(), b.kernel.log);
    }
}
