package dev.vmbus.transport.uio;

import dev.vmbus.os.Posix;
import dev.vmbus.transport.uio.KernelFixtures.Generation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kernel review F8: a second opener of a {@code /dev/uioN} (hv_fcopy_uio_daemon, DPDK, a second agent) is found in
 * a fixture {@code /proc} before the agent opens the node, and the open is refused naming it.
 */
class UioHoldersTest {
    @TempDir
    Path dir;

    private UioDevice boundFcopy(KernelFixtures tree) throws IOException {
        SimulatedKernel kernel = new SimulatedKernel(tree);
        String fcopy = tree.dev("fcopy").instance();
        kernel.write(tree.sys().resolve("bus/vmbus/drivers/uio_hv_generic/new_id"),
                dev.vmbus.channel.Guid.format(tree.dev("fcopy").classId()));
        assertEquals("uio_hv_generic", tree.driverOf(fcopy));
        return new UioDiscovery(tree.sys()).scan().devices().stream()
                .filter(d -> d.device().instanceId().toString().equals(fcopy)).findFirst().orElseThrow();
    }

    @Test
    void f8_aSecondOpenerIsFoundBeforeTheAgentOpensTheNodeAndNamed() throws Exception {
        KernelFixtures tree = KernelFixtures.create(dir.resolve("root"), Generation.V6_16);
        UioDevice fcopy = boundFcopy(tree);
        Path devRoot = dir.resolve("root/dev");
        Files.createDirectories(devRoot);
        Files.createFile(devRoot.resolve(fcopy.uio())); // stands for the character device
        UioNodes nodes = UioNodes.devices(devRoot, tree.proc());

        tree.process(1, "systemd");
        tree.holdOpen(812, "hv_fcopy_uio_d", 4, fcopy.uio());
        var refused = assertThrows(IOException.class, () -> nodes.openInterrupt(fcopy));
        assertTrue(refused.getMessage().contains("pid 812 (hv_fcopy_uio_d) has /dev/" + fcopy.uio() + " open (fd 4)")
                && refused.getMessage().contains("two owners of one ring"), refused.getMessage());
        assertFalse(refused.getMessage().contains("systemd"), refused.getMessage());

        tree.exit(812);
        int fd = nodes.openInterrupt(fcopy);
        assertTrue(fd >= 0);
        Posix.close(fd);
    }

    /**
     * Review F8 under the shipped unit, on this machine's own kernel: the agent runs as root with only the unit's
     * capabilities (CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_SYS_TIME; no CAP_SYS_PTRACE), so the descriptors of a root
     * process with more capabilities (hv_fcopy_uio_daemon, a DPDK application) are denied to it, while that process's
     * maps stay readable. Both mmap the node. Here this test JVM (full capabilities) holds the node open and mapped,
     * and a scanner started through setpriv with the unit's bounding set must still name it. On the old scan the
     * denied descriptors made it skip the whole process, maps included, so the agent opened a held node.
     */
    @org.junit.jupiter.api.Tag("slow") // a child JVM
    @Test
    void f8_aScannerWithTheUnitsCapabilitiesFindsARootProcessThatMapsTheNode() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Posix.geteuid() == 0, "needs root, as the agent's unit");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")),
                "needs setpriv (util-linux)");
        Path devRoot = Files.createDirectories(dir.resolve("dev"));
        Path node = Files.write(devRoot.resolve("uio7"), new byte[4096]);
        try (java.nio.channels.FileChannel held = java.nio.channels.FileChannel.open(node,
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE);
             java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
            held.map(java.nio.channels.FileChannel.MapMode.READ_WRITE, 0, 4096, arena);
            Process scanner = new ProcessBuilder("/usr/bin/setpriv", "--bounding-set",
                    "-all,+net_admin,+sys_admin,+sys_time", "--inh-caps", "-all",
                    ProcessHandle.current().info().command().orElse("java"),
                    "-cp", System.getProperty("java.class.path"),
                    Scanner.class.getName(), devRoot.toString(), "uio7").redirectErrorStream(true).start();
            String out = new String(scanner.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(0, scanner.waitFor(), out);
            assertTrue(out.contains("CapEff:\t0000000002201000"), "not the unit's capabilities:\n" + out);
            long me = ProcessHandle.current().pid();
            assertTrue(out.contains("pid " + me + " (") && out.contains("maps " + node), "this JVM maps " + node
                    + " but the scanner did not name it:\n" + out);
        }
    }

    /** Scans the real /proc for holders of {@code <devRoot>/<uio>}, as {@code UioNodes} does before an open. */
    static final class Scanner {
        public static void main(String[] args) throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    System.out.println(line);
                }
            }
            UioHolders.Scan scan = UioHolders.scan(Path.of("/proc"), Path.of(args[0]), args[1], "no-such-instance");
            System.out.println("holders: " + scan.describe());
            System.out.println("unreadable: " + scan.unreadable());
        }
    }

    @Test
    void holdersAreFoundByDescriptorByNodeMappingAndByRingMappingOnly() throws Exception {
        KernelFixtures tree = KernelFixtures.create(dir.resolve("root"), Generation.V6_16);
        UioDevice fcopy = boundFcopy(tree);
        String instanceDir = fcopy.device().dir().getFileName().toString();
        Path devRoot = Path.of("/dev");
        assertEquals(List.of(), UioHolders.scan(tree.proc(), devRoot, fcopy.uio(), instanceDir).holders());

        tree.holdOpen(10, "a", 3, fcopy.uio());
        tree.holdOpen(11, "b", 3, fcopy.uio() + "0"); // uio10 is another device
        tree.holdMapped(12, "c", "/dev/" + fcopy.uio());
        tree.holdMapped(13, "d", "/sys/devices/VMBUS:00/" + instanceDir + "/channels/15/ring (deleted)");
        tree.holdMapped(14, "e", "/sys/devices/VMBUS:00/" + instanceDir + "/channels/15/interrupts");
        UioHolders.Scan scan = UioHolders.scan(tree.proc(), devRoot, fcopy.uio(), instanceDir);
        assertEquals(List.of(10L, 12L, 13L), scan.holders().stream().map(UioHolders.Holder::pid).toList(),
                scan.describe());
        assertEquals("pid 13 (d) maps /sys/devices/VMBUS:00/" + instanceDir + "/channels/15/ring",
                scan.holders().get(2).toString());
        assertEquals(0, scan.unreadable());
        assertNull(UioHolders.mappedPath("7ffd1a000000-7ffd1a021000 rw-p 00000000 00:00 0"));
    }
}
