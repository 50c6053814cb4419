package dev.vmbus.device.netvsc;

import dev.vmbus.config.TransportType;
import dev.vmbus.spi.DeviceContext;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@code devices.netvsc}: defaults, each key, and each bad value refused by name. */
class NetvscSettingsTest {

    @Test
    void defaultsAndEveryKey() {
        assertEquals(NetvscSettings.defaults(), parse(new JsonObject()));
        assertEquals(new NetvscSettings(NetvscSettings.Backend.TAP, "nic7", 9000, 4, true, 250),
                parse(new JsonObject().put("backend", "tap").put("tap", "nic7").put("mtu", 9000)
                        .put("queues", 4).put("controlOverSection", true).put("answerTimeoutMs", 250)));
    }

    private static NetvscSettings parse(JsonObject config) {
        return new NetvscHandler().settings(new DeviceContext("netvsc", config, TransportType.SIM));
    }

    private static String refused(JsonObject config) {
        return assertThrows(IllegalArgumentException.class, () -> parse(config)).getMessage();
    }

    @Test
    void badValuesAreRefusedByName() {
        assertEquals("'backend' must be \"eventbus\" or \"tap\", got loopback",
                refused(new JsonObject().put("backend", "loopback")));
        assertEquals("'mtu' must be 1280..9202, got 9203", refused(new JsonObject().put("mtu", 9203)));
        assertEquals("'queues' must be 1..64, got 0", refused(new JsonObject().put("queues", 0)));
        assertEquals("'tap' must be a Linux interface name (1 to 15 printable ASCII characters, no '/', ':' or"
                + " space, not '.' or '..'), got 'a/b'", refused(new JsonObject().put("tap", "a/b")));
        assertEquals("'tap' must be a Linux interface name (1 to 15 printable ASCII characters, no '/', ':' or"
                + " space, not '.' or '..'), got 'sixteen-chars-xx'", refused(new JsonObject().put("tap", "sixteen-chars-xx")));
        assertEquals("'controlOverSection' must be true or false, got 1",
                refused(new JsonObject().put("controlOverSection", 1)));
        assertEquals("'answerTimeoutMs' must be 100..600000, got 99", refused(new JsonObject().put("answerTimeoutMs", 99)));
        assertEquals("unknown key 'queue' (netvsc has [answerTimeoutMs, backend, controlOverSection, mtu, queues, tap]"
                + " besides 'enabled')", refused(new JsonObject().put("queue", 2)));
    }
}
