package dev.vmbus.spi;

import dev.vmbus.config.TransportType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link DeviceContext#settings}: a config section bound into a settings record in one call. */
class DeviceContextSettingsTest {
    record Settings(int count, String label, boolean dryRun, List<String> command) {
        static final Settings DEFAULTS = new Settings(3, "ping", true, List.of("/bin/true"));

        Settings {
            if (count < 1 || count > 64) {
                throw new IllegalArgumentException("'count' must be 1..64, got " + count);
            }
        }
    }

    private static DeviceContext context(JsonObject section) {
        return new DeviceContext("demo", section, TransportType.SIM);
    }

    @Test
    void keysLeftOutKeepTheirDefaultsAndGivenOnesReplaceThem() {
        assertEquals(Settings.DEFAULTS, context(new JsonObject()).settings(Settings.class, Settings.DEFAULTS));
        Settings s = context(new JsonObject().put("count", 7).put("command", new JsonArray().add("/bin/echo").add("hi")))
                .settings(Settings.class, Settings.DEFAULTS);
        assertEquals(new Settings(7, "ping", true, List.of("/bin/echo", "hi")), s);
    }

    @Test
    void anUnknownKeyIsRefusedByName() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> context(new JsonObject().put("cuont", 7)).settings(Settings.class, Settings.DEFAULTS));
        assertEquals("unknown key 'cuont' (demo has [command, count, dryRun, label] besides 'enabled')", e.getMessage());
    }

    @Test
    void aValueOfTheWrongTypeIsRefusedNamingTheKey() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> context(new JsonObject().put("dryRun", new JsonObject())).settings(Settings.class, Settings.DEFAULTS));
        assertTrue(e.getMessage().startsWith("'dryRun' has the wrong type: got {}"), e.getMessage());
    }

    @Test
    void theRecordsOwnCheckComesThroughAsItIs() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> context(new JsonObject().put("count", 0)).settings(Settings.class, Settings.DEFAULTS));
        assertEquals("'count' must be 1..64, got 0", e.getMessage());
    }
}
