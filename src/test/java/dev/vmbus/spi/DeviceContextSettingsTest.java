package dev.vmbus.spi;

import dev.vmbus.config.TransportType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
        assertEquals("'dryRun' must be true or false, got {}", e.getMessage());
    }

    enum Mode { FAST, SAFE }

    record Wide(long size, Path dir, Mode mode, List<Path> roots, Boolean strict) {
        static final Wide DEFAULTS = new Wide(1, Path.of("/tmp"), Mode.SAFE, List.of(), null);
    }

    private static String refused(Class<? extends Record> type, Record defaults, JsonObject section) {
        @SuppressWarnings({"unchecked", "rawtypes"})
        var e = assertThrows(IllegalArgumentException.class,
                () -> context(section).settings((Class) type, defaults));
        return e.getMessage();
    }

    @Test
    void eachComponentTypeTakesItsJsonTypeStrictly() {
        Wide w = context(new JsonObject().put("size", 5_000_000_000L).put("dir", "/var").put("mode", "fast")
                .put("roots", new JsonArray().add("/a").add("b")).put("strict", true)).settings(Wide.class, Wide.DEFAULTS);
        assertEquals(new Wide(5_000_000_000L, Path.of("/var"), Mode.FAST, List.of(Path.of("/a"), Path.of("b")), true), w);
        assertEquals("'dryRun' must be true or false, got true",
                refused(Settings.class, Settings.DEFAULTS, new JsonObject().put("dryRun", "true")));
        assertEquals("'dryRun' must be true or false, got null",
                refused(Settings.class, Settings.DEFAULTS, new JsonObject().putNull("dryRun")));
        assertEquals("'count' must be a whole number (at most 2147483647), got 1.5",
                refused(Settings.class, Settings.DEFAULTS, new JsonObject().put("count", 1.5)));
        assertEquals("'count' must be a whole number (at most 2147483647), got 4294967296",
                refused(Settings.class, Settings.DEFAULTS, new JsonObject().put("count", 1L << 32)));
        assertEquals("'label' must be a string, got 3",
                refused(Settings.class, Settings.DEFAULTS, new JsonObject().put("label", 3)));
        assertEquals("'command' must be an array of strings, got /bin/true",
                refused(Settings.class, Settings.DEFAULTS, new JsonObject().put("command", "/bin/true")));
        assertEquals("'command[1]' must be a string, got 2",
                refused(Settings.class, Settings.DEFAULTS, new JsonObject().put("command", new JsonArray().add("x").add(2))));
        assertEquals("'mode' must be \"fast\" or \"safe\", got FAST",
                refused(Wide.class, Wide.DEFAULTS, new JsonObject().put("mode", "FAST")));
        assertEquals("'dir' must be a path (a non-empty string), got  ",
                refused(Wide.class, Wide.DEFAULTS, new JsonObject().put("dir", " ")));
        assertEquals("'roots[0]' must be a path (a non-empty string), got null",
                refused(Wide.class, Wide.DEFAULTS, new JsonObject().put("roots", new JsonArray().addNull())));
    }

    @Test
    void nullReachesTheRecordForAnObjectComponent() {
        Wide w = context(new JsonObject().putNull("dir").putNull("strict")).settings(Wide.class, Wide.DEFAULTS);
        assertNull(w.dir());
        assertNull(w.strict());
    }

    @Test
    void theRecordsOwnCheckComesThroughAsItIs() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> context(new JsonObject().put("count", 0)).settings(Settings.class, Settings.DEFAULTS));
        assertEquals("'count' must be 1..64, got 0", e.getMessage());
    }
}
