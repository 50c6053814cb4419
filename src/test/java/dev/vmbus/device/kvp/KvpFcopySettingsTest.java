package dev.vmbus.device.kvp;

import dev.vmbus.spi.DeviceContext;
import dev.vmbus.config.TransportType;
import dev.vmbus.device.fcopy.FcopyHandler;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kvp and fcopy config sections: defaults per transport, and errors that name the key. */
class KvpFcopySettingsTest {
    private static String kvpError(String json) {
        return assertThrows(IllegalArgumentException.class,
                () -> new KvpHandler().settings(new DeviceContext("kvp", new JsonObject(json), TransportType.SIM))).getMessage();
    }

    private static String fcopyError(String json) {
        return assertThrows(IllegalArgumentException.class,
                () -> new FcopyHandler().settings(new DeviceContext("fcopy", new JsonObject(json), TransportType.SIM))).getMessage();
    }

    @Test
    void defaultsDependOnTheTransport() {
        KvpSettings sim = new KvpHandler().settings(new DeviceContext("kvp", new JsonObject(), TransportType.SIM));
        assertEquals(new KvpSettings(Path.of("data/kvp"), true, List.of("hv_set_ifconfig"), Path.of("/sys")), sim);
        KvpSettings uio = new KvpHandler().settings(new DeviceContext("kvp", new JsonObject(), TransportType.UIO));
        assertEquals(Path.of("/var/lib/hyperv"), uio.poolDir());
        assertEquals(false, uio.dryRun());
    }

    @Test
    void badValuesNameTheKey() {
        assertTrue(kvpError("{\"pooldir\":\"x\"}").contains("'pooldir'"));
        assertTrue(kvpError("{\"poolDir\":3}").contains("poolDir"));
        assertTrue(kvpError("{\"dryRun\":\"yes\"}").contains("dryRun"));
        assertTrue(kvpError("{\"setIpCommand\":[]}").contains("setIpCommand"));
        assertTrue(fcopyError("{\"allowedRoots\":[]}").contains("allowedRoots"));
        assertTrue(fcopyError("{\"allowedRoots\":[\"/\"]}").contains("allowedRoots"));
        assertTrue(fcopyError("{\"maxFileBytes\":-1}").contains("maxFileBytes"));
        assertTrue(fcopyError("{\"maxFileBytes\":1.5}").contains("maxFileBytes"));
        assertTrue(fcopyError("{\"root\":\"x\"}").contains("'root'"));
    }
}
