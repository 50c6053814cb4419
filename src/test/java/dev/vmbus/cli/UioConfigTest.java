package dev.vmbus.cli;

import dev.vmbus.bus.DeviceRegistry;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.TransportType;
import dev.vmbus.config.VmbusConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** {@code conf/vmbus-uio.json}, the real-guest configuration, loads and every handler accepts its section. */
class UioConfigTest {
    @Test
    void realGuestConfigLoads() {
        VmbusConfig config = ConfigLoader.load(Path.of("conf/vmbus-uio.json"));
        assertEquals(TransportType.UIO, config.transport().type());
        assertEquals("/sys", config.transport().sysfsRoot());
        assertEquals("/dev", config.transport().devRoot());
        assertEquals("/var/lib/hyperv", config.deviceSections().get("kvp").getString("poolDir"));
        assertFalse(config.deviceSections().get("shutdown").getBoolean("dryRun"));
        assertFalse(config.deviceSections().get("vss").getBoolean("dryRun"));
        DeviceRegistry registry = DeviceRegistry.load(config.deviceSections(), TransportType.UIO);
        assertEquals(config.deviceSections().keySet(), registry.enabled().keySet());
    }
}
