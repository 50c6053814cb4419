package dev.vmbus.bus;

import dev.vmbus.config.TransportType;
import dev.vmbus.example.PingHandler;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.spi.NoSettings;
import dev.vmbus.spi.Reply;

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

    /**
     * A plug-in whose channels could not be built (no credit: the driver refuses it) is refused when the agent
     * loads it, with its name, instead of each of its channels failing to open after the guest opened the rings
     * (and leaving them open).
     */
    @Test
    void aPluginWithoutCreditOrWithANegativeRequestorIsRefusedByName() {
        var credit = assertThrows(IllegalArgumentException.class, () -> DeviceRegistry.of(List.of(
                new Shaped("stingy", 0, 0)), Map.of(), TransportType.SIM));
        assertEquals("device handler 'stingy' (" + Shaped.class.getName() + "): credit() must be at least 1, got 0",
                credit.getMessage());
        var requestor = assertThrows(IllegalArgumentException.class, () -> DeviceRegistry.of(List.of(
                new Shaped("odd", 4, -1)), Map.of(), TransportType.SIM));
        assertEquals("device handler 'odd' (" + Shaped.class.getName() + "): requestorSize() must be 0 or more, got -1",
                requestor.getMessage());
        assertTrue(DeviceRegistry.of(List.of(new Shaped("fine", 1, 0)), Map.of(), TransportType.SIM).enabled()
                .containsKey("fine"), "one credit and no requestor is a plug-in's right");
        assertTrue(DeviceRegistry.of(List.of(new Shaped("stingy", 0, 0)), Map.of("stingy",
                new JsonObject().put("enabled", false)), TransportType.SIM).enabled().isEmpty(),
                "a plug-in that is not enabled opens nothing: installed, it does not stop the agent");
    }

    /** A plug-in of one class with the credit and requestor it is given. */
    record Shaped(String name, int credit, int requestorSize) implements DevicePlugin<NoSettings> {
        @Override
        public List<UUID> classIds() {
            return List.of(UUID.nameUUIDFromBytes(name.getBytes()));
        }

        @Override
        public NoSettings settings(DeviceContext context) {
            return NoSettings.of(context);
        }

        @Override
        public Device device(NoSettings settings, DeviceContext context) {
            return packet -> io.vertx.core.Future.succeededFuture(Reply.echo());
        }
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
