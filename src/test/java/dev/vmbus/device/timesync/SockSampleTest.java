package dev.vmbus.device.timesync;

import dev.vmbus.config.TransportType;
import dev.vmbus.spi.DeviceContext;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** chrony's sock_sample bytes (spec section 5.3) and the timesync config checks. */
class SockSampleTest {
    @Test
    void theDatagramIsFortyBytesInChronysLayout() {
        assertEquals(ByteOrder.LITTLE_ENDIAN, ByteOrder.nativeOrder(), "the expected bytes below are little-endian");
        byte[] b = new SockSample(0x6500_0001L, 250_000, 1.5, 1).encode();
        assertEquals(40, b.length);
        assertEquals("0100006500000000" + "90d0030000000000" + "000000000000f83f" + "00000000" + "01000000"
                + "00000000" + "4b434f53", HexFormat.of().formatHex(b));
    }

    @Test
    void onlyLeapValuesChronyAcceptsAreSent() {
        assertEquals(0, SockSample.leapOf(0));
        assertEquals(1, SockSample.leapOf(1));
        assertEquals(2, SockSample.leapOf(2));
        assertEquals(0, SockSample.leapOf(3), "NTP's 'unsynchronised' is no leap second");
        assertThrows(IllegalArgumentException.class, () -> new SockSample(0, 1_000_000, 0, 0));
    }

    @Test
    void configKeysAreCheckedByName() {
        assertEquals(new TimesyncSettings(null, false), settings(new JsonObject()));
        assertEquals(new TimesyncSettings(java.nio.file.Path.of("/run/chrony/hv.sock"), true), settings(
                new JsonObject().put("chronySocket", "/run/chrony/hv.sock").put("stepClock", true)));
        assertMessage(new JsonObject().put("chronySock", "x"), "unknown key 'chronySock'");
        assertMessage(new JsonObject().put("stepClock", "yes"), "'stepClock' must be true or false");
        assertMessage(new JsonObject().put("chronySocket", 5), "'chronySocket' must be a path (a non-empty string), got 5");
        assertMessage(new JsonObject().put("chronySocket", "/" + "x".repeat(107)), "'chronySocket' is 108 bytes");
    }

    private static TimesyncSettings settings(JsonObject config) {
        return new TimesyncHandler().settings(new DeviceContext("timesync", config, TransportType.SIM));
    }

    private static void assertMessage(JsonObject config, String expected) {
        var e = assertThrows(IllegalArgumentException.class, () -> settings(config));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
