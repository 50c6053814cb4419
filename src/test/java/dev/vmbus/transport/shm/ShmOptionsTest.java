package dev.vmbus.transport.shm;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shm guest's settings: defaults, an absolute directory, and waits that cannot be negative. */
class ShmOptionsTest {
    @Test
    void aDirectoryAloneTakesTheDefaultWaitsAndIsMadeAbsolute() {
        ShmOptions options = new ShmOptions(Path.of("relative/shm"));
        assertTrue(options.dir().isAbsolute(), options.dir().toString());
        assertEquals(Path.of("relative/shm").toAbsolutePath(), options.dir());
        assertEquals(ShmOptions.DEFAULT_CONNECT_TIMEOUT_MS, options.connectTimeoutMs());
        assertEquals(ShmOptions.DEFAULT_OFFERS_WAIT_MS, options.offersWaitMs());
        assertEquals(500, options.withConnectTimeoutMs(500).connectTimeoutMs());
        assertEquals(ShmOptions.DEFAULT_OFFERS_WAIT_MS, options.withConnectTimeoutMs(500).offersWaitMs());
        assertEquals(200, options.withOffersWaitMs(200).offersWaitMs());
    }

    @Test
    void aMissingDirectoryOrANegativeWaitIsRefusedNamingIt() {
        assertEquals("dir is required",
                assertThrows(IllegalArgumentException.class, () -> new ShmOptions(null)).getMessage());
        assertEquals("connectTimeoutMs and offersWaitMs must be >= 0, got -1 and 5000",
                assertThrows(IllegalArgumentException.class,
                        () -> new ShmOptions(Path.of("/x")).withConnectTimeoutMs(-1)).getMessage());
    }
}
