package dev.vmbus.transport.uio;

import dev.vmbus.transport.uio.KernelFixtures.Generation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What {@link KernelFeatures#detect} learns from each generation's tree, and how an operator overrides it. */
class KernelFeaturesTest {
    @TempDir
    Path dir;

    @Test
    void mainlineReleasesMapToTheCommitsTheyCarry() {
        KernelFeatures k515 = KernelFeatures.fromRelease("5.15.0-1089-azure", 4096, "t");
        assertFalse(k515.slowChannels() || k515.allChannelEvents() || k515.alignedMaps());
        assertFalse(KernelFeatures.fromRelease("6.9.12", 4096, "t").slowChannels(), "547fa4ffd799 came in 6.10");
        KernelFeatures k610 = KernelFeatures.fromRelease("6.10.0-rc1", 4096, "t");
        assertTrue(k610.slowChannels());
        assertFalse(k610.allChannelEvents() || k610.alignedMaps());
        assertFalse(KernelFeatures.fromRelease("6.15.11", 4096, "t").allChannelEvents(), "d062463edf17 came in 6.16");
        KernelFeatures k616 = KernelFeatures.fromRelease("6.16.0", 4096, "t");
        assertTrue(k616.slowChannels() && k616.allChannelEvents() && k616.alignedMaps());
        assertTrue(KernelFeatures.fromRelease("6.6.87.2-microsoft-standard-WSL2", 4096, "t").release().startsWith("6.6"));
        assertTrue(KernelFeatures.fromRelease("7.0.1", 4096, "t").allChannelEvents());
        assertThrows(IllegalArgumentException.class, () -> KernelFeatures.fromRelease("linux", 4096, "t"));
    }

    @Test
    void eachFixtureGenerationIsDetectedAsItIs() throws IOException {
        for (Generation g : Generation.values()) {
            KernelFixtures f = KernelFixtures.create(dir.resolve(g.name()), g);
            KernelFeatures k = KernelFeatures.detect(f.proc(), KernelFeatures.Overrides.NONE);
            assertEquals(g.release, k.release(), g.name());
            assertEquals(g.pageSize, k.pageSize(), g.name());
            assertEquals(g.slowChannels, k.slowChannels(), g.name());
            assertEquals(g.allChannelEvents, k.allChannelEvents(), g.name());
            assertEquals(g.alignedMaps, k.alignedMaps(), g.name());
            assertTrue(k.basis().contains(f.proc().resolve("sys/kernel/osrelease").toString())
                    && k.basis().contains(f.proc().resolve("self/auxv").toString()), k.basis());
        }
    }

    @Test
    void overridesWinAndSaySo() throws IOException {
        KernelFixtures f = KernelFixtures.create(dir.resolve("t"), Generation.STABLE_6_6);
        KernelFeatures k = KernelFeatures.detect(f.proc(), new KernelFeatures.Overrides(null, 4096, true, null, null, null));
        assertTrue(k.slowChannels());
        assertFalse(k.allChannelEvents());
        assertEquals(4096, k.pageSize());
        assertTrue(k.basis().contains("slowChannels=true from transport.kernel")
                && k.basis().contains("page size 4096 from transport.kernel.pageSize"), k.basis());

        // Review F13: a page size that disagrees with the kernel's own (auxv) is refused, never applied
        var wrong = assertThrows(IOException.class, () -> KernelFeatures.detect(f.proc(),
                new KernelFeatures.Overrides(null, 65536, true, null, null, null)));
        assertTrue(wrong.getMessage().contains("transport.kernel.pageSize 65536 disagrees with AT_PAGESZ 4096"),
                wrong.getMessage());

        KernelFeatures stated = KernelFeatures.detect(dir.resolve("no-proc"),
                new KernelFeatures.Overrides("6.16.1", 4096, null, null, null, null));
        assertTrue(stated.allChannelEvents());
        assertTrue(stated.basis().contains("from transport.kernel.release"), stated.basis());
    }

    @Test
    void unreadableOrOddInputIsNamed() throws IOException {
        var missing = assertThrows(IOException.class, () -> KernelFeatures.detect(dir, KernelFeatures.Overrides.NONE));
        assertTrue(missing.getMessage().contains("osrelease does not exist"), missing.getMessage());

        Files.createDirectories(dir.resolve("sys/kernel"));
        Files.writeString(dir.resolve("sys/kernel/osrelease"), "weird\n");
        var odd = assertThrows(IOException.class, () -> KernelFeatures.detect(dir, KernelFeatures.Overrides.NONE));
        assertTrue(odd.getMessage().contains("'weird'") && odd.getMessage().contains("transport.kernel"), odd.getMessage());

        Files.writeString(dir.resolve("sys/kernel/osrelease"), "6.10.1\n");
        Files.createDirectories(dir.resolve("self"));
        Files.write(dir.resolve("self/auxv"), new byte[] {6, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0});
        var bad = assertThrows(IOException.class, () -> KernelFeatures.detect(dir, KernelFeatures.Overrides.NONE));
        assertTrue(bad.getMessage().contains("AT_PAGESZ 16"), bad.getMessage());
    }

    // Review F4: fb1adbd7e50f by release: mainline 6.11, and the stable point releases of September 2024.
    @Test
    void rescindSafetyByReleaseAndOnlyAStatedFixOverridesIt() throws IOException {
        for (String yes : new String[] {"6.11.0", "6.16.3", "6.10.10", "6.6.51", "6.6.87.2-microsoft-standard-WSL2",
                "6.1.110", "5.15.167", "5.10.226", "5.4.284", "4.19.322"}) {
            assertTrue(KernelFeatures.rescindSafeByRelease(yes), yes);
        }
        for (String no : new String[] {"6.10.9", "6.10", "6.6.50", "6.1.0-28-amd64", "5.15.0-1089-azure", "5.15.166",
                "4.14.336", "6.9.12"}) {
            assertFalse(KernelFeatures.rescindSafeByRelease(no), no);
        }
        KernelFixtures f = KernelFixtures.create(dir.resolve("r"), Generation.V6_10);
        assertTrue(KernelFeatures.detect(f.proc(), KernelFeatures.Overrides.NONE).rescindSafe(), "6.10.14");
        KernelFeatures backport = KernelFeatures.detect(f.proc(),
                new KernelFeatures.Overrides("5.15.0-1089-azure", null, true, null, null, null));
        assertFalse(backport.rescindSafe(), "slowChannels stated alone says nothing of the rescind fix");
        assertTrue(KernelFeatures.detect(f.proc(),
                new KernelFeatures.Overrides("5.15.0-1089-azure", null, true, null, null, true)).rescindSafe());
    }
}
