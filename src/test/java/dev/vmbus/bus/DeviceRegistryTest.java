package dev.vmbus.bus;

import dev.vmbus.config.TransportType;
import dev.vmbus.example.PingHandler;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the registry checks of sections that are not enabled, and which enabled handlers have no channel. */
class DeviceRegistryTest {

    @Test
    void aSectionThatIsNotEnabledStillHasItsKeysChecked() {
        var e = assertThrows(IllegalArgumentException.class, () -> DeviceRegistry.of(List.of(new PingHandler()),
                Map.of("ping", new JsonObject().put("prefx", "x")), TransportType.SIM));
        assertEquals("devices.ping: unknown key 'prefx' (ping has [prefix] besides 'enabled') (the section is checked although"
                + " 'ping' is not enabled)", e.getMessage());
        var off = assertThrows(IllegalArgumentException.class, () -> DeviceRegistry.of(List.of(new PingHandler()),
                Map.of("ping", new JsonObject().put("enabled", false).put("prefix", 3)), TransportType.SIM));
        assertTrue(off.getMessage().startsWith("devices.ping: 'prefix' must be a string, got 3"), off.getMessage());
    }

    @Test
    void aGoodSectionThatIsNotEnabledLeavesTheHandlerOff() {
        DeviceRegistry r = DeviceRegistry.of(List.of(new PingHandler()),
                Map.of("ping", new JsonObject().put("prefix", "P ")), TransportType.SIM);
        assertTrue(r.enabled().isEmpty(), r.enabled().toString());
        assertTrue(r.forClass(PingHandler.CLASS_ID).isEmpty());
    }

    @Test
    void anEnabledHandlerWhoseClassIsNotOfferedIsNamed() {
        DeviceRegistry r = DeviceRegistry.of(List.of(new PingHandler()),
                Map.of("ping", new JsonObject().put("enabled", true)), TransportType.SIM);
        assertEquals(List.of("ping"), r.withoutChannel(List.of(UUID.randomUUID())));
        assertEquals(List.of(), r.withoutChannel(List.of(UUID.randomUUID(), PingHandler.CLASS_ID)));
        DeviceRegistry off = DeviceRegistry.of(List.of(new PingHandler()), Map.of(), TransportType.SIM);
        assertEquals(List.of(), off.withoutChannel(List.of()), "a handler that is not enabled is not named");
    }
}
