package dev.vmbus.transport.uio;

import dev.vmbus.os.PageSize;
import dev.vmbus.transport.GuestMemory;
import dev.vmbus.transport.GuestPages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pinned guest memory on uio: who may have it, and PFNs read from pagemap as the kernel lays them out. */
class PinnedGuestMemoryTest {
    private static final long PRESENT = 1L << 63;

    @TempDir
    Path proc;

    private void status(String capEff) throws Exception {
        Files.createDirectories(proc.resolve("self"));
        Files.writeString(proc.resolve("self/status"), "Name:\tjava\nCapInh:\t0000000000000000\nCapPrm:\t" + capEff
                + "\nCapEff:\t" + capEff + "\nCapBnd:\t000001ffffffffff\n");
    }

    @Test
    void withoutCapSysAdminItIsRefusedWithTheReason() throws Exception {
        status("00000000a80425fb"); // a typical non-root container: no bit 21
        PinnedGuestMemory m = new PinnedGuestMemory(proc, 4096, null);
        assertTrue(m.unavailableReason().contains("needs CAP_SYS_ADMIN (run the agent as root)"), m.unavailableReason());
        var e = assertThrows(GuestMemory.GuestMemoryException.class, () -> m.allocate(1));
        assertTrue(e.getMessage().startsWith("no guest memory for GPA-direct packets: reading PFNs from "),
                e.getMessage());
        status("0000000000200000"); // CAP_SYS_ADMIN alone
        assertNull(m.unavailableReason());
        Files.writeString(proc.resolve("self/status"), "Name:\tjava\n");
        assertTrue(m.unavailableReason().contains("has no CapEff line"), m.unavailableReason());
    }

    @Test
    void aConfidentialVmIsRefusedEvenForRoot() throws Exception {
        status("000001ffffffffff");
        Files.writeString(proc.resolve("cpuinfo"), "processor\t: 0\nflags\t\t: fpu vme de pse tsc msr sev sev_es"
                + " sev_snp hypervisor\n\nprocessor\t: 1\nflags\t\t: fpu\n");
        String why = ConfidentialVm.cpuFlag(proc);
        assertTrue(why.startsWith("the CPU flag sev_snp in "), why);
        PinnedGuestMemory m = new PinnedGuestMemory(proc, 4096, why);
        assertTrue(m.unavailableReason().startsWith("this is a confidential VM (the CPU flag sev_snp"),
                m.unavailableReason());
        assertThrows(GuestMemory.GuestMemoryException.class, () -> m.allocate(1));
        Files.writeString(proc.resolve("cpuinfo"), "processor\t: 0\nflags\t\t: fpu tdx_guest\n");
        assertTrue(ConfidentialVm.cpuFlag(proc).contains("tdx_guest"));
        Files.writeString(proc.resolve("cpuinfo"), "processor\t: 0\nflags\t\t: fpu sev hypervisor\n");
        assertNull(ConfidentialVm.cpuFlag(proc));
    }

    /** A sparse pagemap file with {@code entries} at the slots of {@code address}'s pages. */
    private Path pagemap(long address, int pageSize, long... entries) throws Exception {
        Path file = proc.resolve("pagemap-" + pageSize);
        ByteBuffer b = ByteBuffer.allocate(entries.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long e : entries) {
            b.putLong(e);
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(address / pageSize * 8);
            f.write(b.array());
        }
        return file;
    }

    @Test
    void pfnsComeFromPagemapInHyperVPages() throws Exception {
        long va = 0x7f12_3456_0000L;
        Path map4k = pagemap(va, 4096, PRESENT | 0x1234, PRESENT | 0x99, PRESENT | (1L << 55) | 0x77);
        assertArrayEquals(new long[] {0x1234, 0x99, 0x77},
                PinnedGuestMemory.hyperVPfns(map4k, va, 3, 4096)); // bit 55 (soft-dirty) is not part of the PFN
        // 64 KiB pages: each is 16 Hyper-V pages.
        Path map64k = pagemap(va, 65536, PRESENT | 0x10, PRESENT | 0x20);
        long[] pfns = PinnedGuestMemory.hyperVPfns(map64k, va, 18, 65536);
        assertEquals(0x100, pfns[0]);
        assertEquals(0x10F, pfns[15]);
        assertEquals(0x200, pfns[16]);
        assertEquals(0x201, pfns[17]);

        Path zero = pagemap(va + 0x100000, 4096, PRESENT);
        var hidden = assertThrows(GuestMemory.GuestMemoryException.class,
                () -> PinnedGuestMemory.hyperVPfns(zero, va + 0x100000, 1, 4096));
        assertTrue(hidden.getMessage().contains("reports PFN 0") && hidden.getMessage().contains("CAP_SYS_ADMIN"),
                hidden.getMessage());
        Path absent = pagemap(va + 0x200000, 4096, 0x55);
        assertTrue(assertThrows(GuestMemory.GuestMemoryException.class,
                () -> PinnedGuestMemory.hyperVPfns(absent, va + 0x200000, 1, 4096)).getMessage().contains("not present"));
        Path swapped = pagemap(va + 0x300000, 4096, PRESENT | (1L << 62) | 5);
        assertTrue(assertThrows(GuestMemory.GuestMemoryException.class,
                () -> PinnedGuestMemory.hyperVPfns(swapped, va + 0x300000, 1, 4096)).getMessage().contains("swapped out"));
    }

    /** This process, for real: pinned pages with PFNs when it has CAP_SYS_ADMIN, the reason when it has not. */
    @Test
    void thisProcessGetsPinnedPagesOrTheReason() throws Exception {
        Path real = Path.of("/proc");
        PinnedGuestMemory m = new PinnedGuestMemory(real, PageSize.system(), null);
        if (!PinnedGuestMemory.hasCapSysAdmin(real.resolve("self/status"))) {
            assertTrue(m.unavailableReason().contains("CAP_SYS_ADMIN"), m.unavailableReason());
            assertThrows(GuestMemory.GuestMemoryException.class, () -> m.allocate(1));
            return;
        }
        assertNull(m.unavailableReason());
        try (GuestPages pages = m.allocate(3)) {
            assertEquals(3 * 4096, pages.memory().byteSize());
            long[] pfns = {pages.pfn(0), pages.pfn(1), pages.pfn(2)};
            assertTrue(Arrays.stream(pfns).allMatch(p -> p > 0), Arrays.toString(pfns));
            assertEquals(3, Arrays.stream(pfns).distinct().count(), Arrays.toString(pfns));
            assertEquals(0, pages.memory().get(ValueLayout.JAVA_BYTE, 4096)); // zeroed
            pages.memory().set(ValueLayout.JAVA_LONG, 8192, 0x1122334455667788L);
            assertEquals(0x1122334455667788L, pages.memory().get(ValueLayout.JAVA_LONG, 8192));
            assertTrue(m.describe().contains("3 pages"), m.describe());
        }
        assertTrue(m.describe().contains("0 pages"), m.describe());
    }
}
