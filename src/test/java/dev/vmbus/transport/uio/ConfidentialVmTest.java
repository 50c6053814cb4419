package dev.vmbus.transport.uio;

import dev.vmbus.os.Posix;
import dev.vmbus.transport.uio.KernelFixtures.Generation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review F5 (issue 19): a confidential VM told from every source, above all the kernel log, the only one that shows
 * an Azure CVM with a paravisor (no sev_snp/tdx_guest flag, no attestation device there).
 */
class ConfidentialVmTest {
    @TempDir
    Path dir;

    private KernelFixtures tree(List<String> log) throws IOException {
        KernelFixtures t = KernelFixtures.create(dir.resolve("root"), Generation.V6_16);
        t.kernelLog(log);
        return t;
    }

    private static ConfidentialVm detect(KernelFixtures t) {
        return ConfidentialVm.detect(t.proc(), t.sys(), t.root.resolve("dev"));
    }

    @Test
    void f5_anAzureSnpGuestWithAParavisorIsToldByItsIsolationLineThoughNoCpuFlagOrDeviceShowsIt() throws Exception {
        KernelFixtures t = tree(KernelFixtures.AZURE_SNP_PARAVISOR_LOG);
        Path kmsg = t.root.resolve("dev/kmsg");
        ConfidentialVm cvm = detect(t);
        assertEquals("the kernel log line 'Hyper-V: Isolation Config: Group A 0x1, Group B 0xba2' in " + kmsg
                + " (Hyper-V isolation type 2, SEV-SNP, with a paravisor)", cvm.reason());
        assertNull(cvm.unread());
        KernelFeatures k = KernelFeatures.detect(t.proc(), t.sys(), t.root.resolve("dev"), KernelFeatures.Overrides.NONE);
        assertEquals(cvm.reason(), k.confidential());
        assertTrue(k.basis().contains("a confidential VM: the kernel log line"), k.basis());
    }

    @Test
    void f5_anAzureTdxGuestWithAParavisorIsToldByItsIsolationLine() throws Exception {
        ConfidentialVm cvm = detect(tree(KernelFixtures.AZURE_TDX_PARAVISOR_LOG));
        assertTrue(cvm.reason().contains("'Hyper-V: Isolation Config: Group A 0x1, Group B 0xbe3'")
                && cvm.reason().endsWith("(Hyper-V isolation type 3, TDX, with a paravisor)"), cvm.reason());
    }

    @Test
    void f5_eachLogLineSaysSoOnItsOwn() {
        assertEquals("guest memory encryption: AMD SEV", ConfidentialVm.evidence("Memory Encryption Features active: AMD SEV"));
        assertEquals("guest memory encryption: Intel TDX", ConfidentialVm.evidence("Memory Encryption Features active: Intel TDX"));
        assertEquals("guest memory encryption: SEV SEV-ES", ConfidentialVm.evidence("AMD Memory Encryption Features active: SEV SEV-ES"));
        assertTrue(ConfidentialVm.evidence("hv_vmbus: Invalid offer 11 from the host supporting isolation")
                .contains("hv_is_isolation_supported"));
        assertTrue(ConfidentialVm.evidence("Hyper-V: Isolation Config: GroupA 0x0, GroupB 0x1").contains("type 1, VBS"),
                "VBS too: hv_vtom_init puts it behind the shared-GPA boundary like SNP");
        assertTrue(ConfidentialVm.evidence("Hyper-V: Isolation Config: Group A 0x0, Group B 0x7").contains("type 7, unknown"));
        // a host's SME is not a confidential guest; isolation type 0 is none
        assertNull(ConfidentialVm.evidence("Memory Encryption Features active: AMD SME"));
        assertNull(ConfidentialVm.evidence("AMD Memory Encryption Features active: SME"));
        assertNull(ConfidentialVm.evidence("Hyper-V: Isolation Config: Group A 0x0, Group B 0x0"));
        assertNull(ConfidentialVm.evidence("Hyper-V: privilege flags low 0xae7f, high 0x3b8030, hints 0x64e24, misc 0xbed7b2"));
        // the kernel prints 32-bit groups: a longer number is not its line, and must not throw while parsed
        assertNull(ConfidentialVm.evidence("Hyper-V: Isolation Config: Group A 0x1, Group B 0x1234567890abcdef1234"));
    }

    @Test
    void f5_aPlainGuestIsNotOneAndSaysEverySourceWasRead() throws Exception {
        assertEquals(ConfidentialVm.NO, detect(tree(KernelFixtures.PLAIN_GUEST_LOG)));
        KernelFixtures t = KernelFixtures.create(dir.resolve("isolation-none"), Generation.V6_16);
        t.kernelLog(KernelFixtures.NOT_ISOLATED_LOG);
        assertEquals(ConfidentialVm.NO, detect(t));
        assertEquals(ConfidentialVm.NO, ConfidentialVm.detect(t.proc(), t.sys(), null), "no /dev: nothing to read");
    }

    @Test
    void f5_anUnreadableLogIsNotKnownFromThatSourceNeverANo() throws Exception {
        KernelFixtures t = tree(KernelFixtures.PLAIN_GUEST_LOG);
        Path kmsg = t.root.resolve("dev/kmsg");
        Files.delete(kmsg);
        Files.createDirectory(kmsg); // opens, then read() fails with EISDIR, even for root
        ConfidentialVm cvm = detect(t);
        assertNull(cvm.reason());
        assertTrue(cvm.unread().startsWith("the kernel log " + kmsg + " could not be read (read(" + kmsg + "): Is a"
                + " directory"), cvm.unread());
        Files.delete(kmsg);
        assertTrue(detect(t).unread().contains("could not be read (open(" + kmsg + ")"), detect(t).unread());
        KernelFeatures k = KernelFeatures.detect(t.proc(), t.sys(), t.root.resolve("dev"), KernelFeatures.Overrides.NONE);
        assertNull(k.confidential());
        assertTrue(k.basis().contains("whether this is a confidential VM is not known: the kernel log"), k.basis());

        // another source still decides
        Files.writeString(t.proc().resolve("cpuinfo"), "flags\t\t: fpu sev_snp\n");
        assertEquals(new ConfidentialVm("the CPU flag sev_snp in " + t.proc().resolve("cpuinfo"), null), detect(t));
    }

    @Test
    void f5_aLogThatNoLongerReachesBackToBootIsNotKnown() throws Exception {
        KernelFixtures t = tree(KernelFixtures.PLAIN_GUEST_LOG);
        t.kernelLog(KernelFixtures.PLAIN_GUEST_LOG, 48213);
        ConfidentialVm cvm = detect(t);
        assertNull(cvm.reason());
        assertTrue(cvm.unread().contains("no longer reaches back to boot (its oldest record is number 48213)"),
                cvm.unread());
        t.kernelLog(List.of("hv_vmbus: Invalid offer 11 from the host supporting isolation"), 48213);
        assertTrue(detect(t).reason().contains("Invalid offer 11"), "a later line still tells");
    }

    @Test
    void f5_theSevSnpGuestDirectoryInSysfsSaysSo() throws Exception {
        KernelFixtures t = tree(KernelFixtures.PLAIN_GUEST_LOG);
        Files.createDirectories(t.sys().resolve("devices/system/cpu/sev"));
        assertEquals("the SEV-SNP guest directory " + t.sys().resolve("devices/system/cpu/sev"), detect(t).reason());
    }

    @Test
    void aLineCutAcrossReadsIsStillOneLine() throws Exception {
        List<String> log = new ArrayList<>();
        for (int i = 0; i < 700; i++) {
            log.add("clocksource: tsc: mask: 0xffffffffffffffff max_cycles: 0x2b7b6d6b8f2, max_idle_ns: " + i);
        }
        log.add("Hyper-V: Isolation Config: Group A 0x1, Group B 0xba2");
        KernelFixtures t = tree(log);
        assertTrue(Files.size(t.root.resolve("dev/kmsg")) > 3 * (16 << 10), "spans several 16 KiB reads");
        assertTrue(detect(t).reason().contains("Group B 0xba2"), detect(t).toString());
    }

    // /dev/kmsg never returns EOF: at its end a read blocks unless the descriptor is non-blocking (EAGAIN). A FIFO
    // whose writer stays open behaves the same way, so a blocking read here would never return.
    @Test
    void theLogIsReadToItsEndWithoutWaitingForMore() throws Exception {
        Path fifo = dir.resolve("kmsg");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertEquals(0, mk.waitFor());
        int held = Posix.open(fifo, Posix.O_RDWR | Posix.O_CLOEXEC); // a reader, so the writer's open does not wait
        try (OutputStream writer = Files.newOutputStream(fifo)) {
            writer.write(("6,0,0,-;Linux version 6.16.3\n6,1,5,-;Hyper-V: Isolation Config: Group A 0x0, Group B 0x0\n")
                    .getBytes(StandardCharsets.UTF_8));
            writer.flush();
            List<String> seen = new ArrayList<>();
            assertEquals(0, KernelLog.scan(fifo, text -> !seen.add(text)), "the oldest record read");
            assertEquals(List.of("Linux version 6.16.3", "Hyper-V: Isolation Config: Group A 0x0, Group B 0x0"), seen);
        } finally {
            Posix.close(held);
        }
    }
}
