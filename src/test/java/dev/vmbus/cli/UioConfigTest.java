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
        assertEquals("/var/lib/hyperv", DeviceRegistry.sections(config).get("kvp").getString("poolDir"));
        assertFalse(DeviceRegistry.sections(config).get("shutdown").getBoolean("dryRun"));
        assertFalse(DeviceRegistry.sections(config).get("vss").getBoolean("dryRun"));
        DeviceRegistry registry = DeviceRegistry.load(DeviceRegistry.sections(config), config.transport().type());
        assertEquals(DeviceRegistry.sections(config).keySet(), registry.enabled().keySet());
    }
}
