package dev.vmbus.bus;

import dev.vmbus.config.ConfigException;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Configuration files a user gets wrong, at random: the shipped {@code conf/vmbus.json} and {@code conf/vmbus-uio.json}
 * with a value anywhere in them (a device's setting included) given another type or range, a key removed, or a key
 * added that nothing knows. Read as {@code vmbus run} reads one ({@link ConfigLoader#parse}, then the device
 * sections bound by the installed handlers), each is taken or refused with a message that names the key
 * ({@link ConfigException}, or the registry's {@code devices.<name>: ...}), which the CLI prints as a usage error;
 * never another exception, which it would print as a crash.
 */
class ConfigFuzzTest {
    /** A longer hunt: {@code -Dtest.argLine="--enable-native-access=ALL-UNNAMED -Dfuzz.cases=60000"}. */
    private static final int FILES = Integer.getInteger("fuzz.cases", 3000);

    @Test
    void everyMangledConfigurationIsTakenOrRefusedNamingWhatIsWrong() throws Exception {
        List<JsonObject> shipped = List.of(new JsonObject(Files.readString(Path.of("conf/vmbus.json"))),
                new JsonObject(Files.readString(Path.of("conf/vmbus-uio.json"))));
        Random r = new Random(11);
        int taken = 0;
        int refused = 0;
        for (int i = 0; i < FILES; i++) {
            JsonObject doc = shipped.get(r.nextInt(shipped.size())).copy();
            String change = mangle(doc, r);
            String text = doc.encodePrettily();
            try {
                VmbusConfig config = ConfigLoader.parse(text, "fuzz.json");
                DeviceRegistry.load(DeviceRegistry.sections(config), config.transport().type());
                taken++;
            } catch (ConfigException e) {
                assertTrue(e.getMessage().startsWith("fuzz.json"), change + ": " + e.getMessage());
                refused++;
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage() != null && e.getMessage().startsWith("devices."), change + ": " + e);
                refused++;
            } catch (RuntimeException e) {
                fail("file " + i + ", " + change + ": " + e, e);
            }
        }
        assertTrue(taken > FILES / 20 && refused > FILES / 4, taken + " taken, " + refused + " refused");
    }

    /** One change somewhere in {@code doc}; returns what it was. */
    private static String mangle(JsonObject doc, Random r) {
        JsonObject at = doc;
        StringBuilder path = new StringBuilder();
        while (true) {
            List<String> objects = new ArrayList<>();
            for (String k : at.fieldNames()) {
                if (at.getValue(k) instanceof JsonObject) {
                    objects.add(k);
                }
            }
            if (objects.isEmpty() || r.nextInt(3) == 0) {
                break;
            }
            String k = objects.get(r.nextInt(objects.size()));
            path.append(k).append('.');
            at = at.getJsonObject(k);
        }
        List<String> keys = new ArrayList<>(at.fieldNames());
        if (keys.isEmpty() || r.nextInt(8) == 0) {
            at.put("surprise", 1);
            return "added " + path + "surprise";
        }
        String key = keys.get(r.nextInt(keys.size()));
        if (r.nextInt(6) == 0) {
            at.remove(key);
            return "removed " + path + key;
        }
        Object value = switch (r.nextInt(12)) {
            case 0 -> null;
            case 1 -> r.nextInt();
            case 2 -> -1;
            case 3 -> 0;
            case 4 -> Long.MAX_VALUE;
            case 5 -> r.nextDouble() * 1e6;
            case 6 -> "";
            case 7 -> "x".repeat(1 + r.nextInt(40));
            case 8 -> new JsonArray().add(r.nextInt()).add("a");
            case 9 -> new JsonObject().put("a", 1);
            case 10 -> r.nextBoolean();
            default -> "/no/such/" + key;
        };
        at.put(key, value);
        return path + key + " = " + value;
    }
}
