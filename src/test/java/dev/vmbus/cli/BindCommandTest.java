package dev.vmbus.cli;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vmbus bind} / {@code unbind} on a fixture sysfs tree: the exact attribute writes of spec 5.1. */
class BindCommandTest {
    static final String HEARTBEAT = "57164f39-9115-4e78-ab55-382f3bd5422d";
    static final String HB_INSTANCE = "fd149e91-82e0-4a7d-afa6-2a4166cbd7c0";
    static final String TS_INSTANCE = "2dd1ce17-079e-403c-b352-a1921ee207ee";

    @TempDir
    Path root;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();

    @BeforeEach
    void tree() throws IOException {
        for (String driver : new String[] {"hv_utils", "uio_hv_generic"}) {
            for (String attr : new String[] {"bind", "unbind", "new_id", "remove_id"}) {
                write(root.resolve("bus/vmbus/drivers/" + driver + "/" + attr), "");
            }
        }
        device(HB_INSTANCE, "{" + HEARTBEAT + "}\n", "hv_utils");
        device(TS_INSTANCE, "{9527E630-D0AE-497B-ADCE-E80AB0175CAF}\n", "hv_utils");
    }

    private void device(String instance, String classId, String driver) throws IOException {
        Path dev = root.resolve("bus/vmbus/devices/" + instance);
        write(dev.resolve("class_id"), classId);
        Files.deleteIfExists(dev.resolve("driver"));
        Files.createSymbolicLink(dev.resolve("driver"), Path.of("../../../../bus/vmbus/drivers/" + driver));
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    private String read(String driver, String attr) throws IOException {
        return Files.readString(root.resolve("bus/vmbus/drivers/" + driver + "/" + attr));
    }

    private int run(String... argv) throws IOException {
        return BindCommand.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8), true);
    }

    @Test
    void bindAddsTheClassUnbindsFromTheKernelDriverAndBindsToUio() throws Exception {
        assertEquals(0, run("bind", "heartbeat", "--sysfs-root", root.toString()));

        assertEquals(HEARTBEAT, read("uio_hv_generic", "new_id"));
        assertEquals(HB_INSTANCE, read("hv_utils", "unbind"), "written like echo -n: no newline");
        assertEquals(HB_INSTANCE, read("uio_hv_generic", "bind"));
        assertEquals("", read("hv_utils", "bind"));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("heartbeat: 1 device(s) moved to uio_hv_generic"), text);
        // the other class was left alone
        assertTrue(!text.contains(TS_INSTANCE), text);
    }

    @Test
    void bindAcceptsAClassGuidInAnyForm() throws Exception {
        assertEquals(0, run("bind", "{9527E630-D0AE-497B-ADCE-E80AB0175CAF}", "--sysfs-root", root.toString()));
        assertEquals("9527e630-d0ae-497b-adce-e80ab0175caf", read("uio_hv_generic", "new_id"));
        assertEquals(TS_INSTANCE, read("uio_hv_generic", "bind"));
    }

    @Test
    void aDeviceAlreadyOnUioIsNotMovedAgain() throws Exception {
        device(HB_INSTANCE, "{" + HEARTBEAT + "}\n", "uio_hv_generic");
        assertEquals(0, run("bind", "heartbeat", "--sysfs-root", root.toString()));
        assertEquals("", read("hv_utils", "unbind"));
        assertEquals("", read("uio_hv_generic", "bind"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("already bound to uio_hv_generic"));
    }

    @Test
    void unbindHandsTheDeviceBackToHvUtils() throws Exception {
        device(HB_INSTANCE, "{" + HEARTBEAT + "}\n", "uio_hv_generic");
        assertEquals(0, run("unbind", "heartbeat", "--sysfs-root", root.toString()));
        assertEquals(HB_INSTANCE, read("uio_hv_generic", "unbind"));
        assertEquals(HEARTBEAT, read("uio_hv_generic", "remove_id"));
        assertEquals(HB_INSTANCE, read("hv_utils", "bind"));
    }

    @Test
    void fcopyHasNoKernelDriverToGoBackTo() throws Exception {
        device("eb765408-105f-49b6-b4aa-c123b64d17d4", "{34d14be3-dee4-41c8-9ae7-6b174977c192}\n", "uio_hv_generic");
        assertEquals(0, run("unbind", "fcopy", "--sysfs-root", root.toString()));
        assertEquals("eb765408-105f-49b6-b4aa-c123b64d17d4", read("uio_hv_generic", "unbind"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("no kernel driver serves fcopy"));
    }

    @Test
    void clearErrors() throws Exception {
        var notRoot = assertThrows(IllegalStateException.class, () -> BindCommand.run(
                new String[] {"bind", "heartbeat", "--sysfs-root", root.toString()}, System.out, false));
        assertTrue(notRoot.getMessage().contains("must run as root"), notRoot.getMessage());

        var unknown = assertThrows(IllegalArgumentException.class, () -> run("bind", "toaster"));
        assertTrue(unknown.getMessage().contains("'toaster' is neither a device class name"), unknown.getMessage());

        var none = assertThrows(IOException.class, () -> run("bind", "kvp", "--sysfs-root", root.toString()));
        assertTrue(none.getMessage().contains("no device of class kvp"), none.getMessage());

        Files.walk(root.resolve("bus/vmbus/drivers/uio_hv_generic")).sorted(java.util.Comparator.reverseOrder())
                .forEach(p -> p.toFile().delete());
        var noModule = assertThrows(IOException.class, () -> run("bind", "heartbeat", "--sysfs-root", root.toString()));
        assertTrue(noModule.getMessage().contains("modprobe uio_hv_generic"), noModule.getMessage());

        assertThrows(picocli.CommandLine.ParameterException.class, () -> run("bind"));
    }
}
