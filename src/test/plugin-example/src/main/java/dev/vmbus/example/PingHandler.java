package dev.vmbus.example;

import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.spi.Reply;
import dev.vmbus.channel.Packet;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/**
 * A complete device plug-in (docs/PLUGINS.md walks through it): the "ping" device class answers every text packet
 * with {@code <prefix><text>}, and refuses the word {@code crash}, which faults the channel. Registered in
 * {@code META-INF/services/dev.vmbus.spi.DevicePlugin}.
 */
public final class PingHandler implements DevicePlugin<PingHandler.Settings> {
    /** The class GUID the host offers for this device. */
    public static final UUID CLASS_ID = UUID.fromString("a1b2c3d4-0000-4000-8000-00000000c0de");

    /** {@code devices.ping}: {@code prefix} (default {@code "pong: "}). */
    public record Settings(String prefix) {
        static final Settings DEFAULTS = new Settings("pong: ");

        public Settings {
            if (prefix == null) {
                throw new IllegalArgumentException("'prefix' must be a string, got null");
            }
        }
    }

    @Override
    public String name() {
        return "ping"; // config key devices.ping; the framework derives the rest
    }

    @Override
    public List<UUID> classIds() {
        return List.of(CLASS_ID);
    }

    @Override
    public boolean enabledByDefault() {
        return false; // a plug-in for a device the built-in host does not offer: opt in with devices.ping
    }

    @Override
    public Settings settings(DeviceContext context) {
        return context.settings(Settings.class, Settings.DEFAULTS); // unknown keys and wrong types refused by name
    }

    @Override
    public Device device(Settings settings, DeviceContext context) {
        return new Ping(settings.prefix());
    }

    /** One packet in, one reply (or a failure) out. Runs on its own context: no locks needed. */
    static final class Ping implements Device {
        private final String prefix;
        private long answered;

        Ping(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public Future<Reply> handle(Packet packet) {
            String text = new String(packet.payload(), StandardCharsets.UTF_8).trim(); // our copy, out of the ring
            if (text.equals("crash")) {
                return Future.failedFuture("ping refuses to answer 'crash'"); // faults this channel only
            }
            answered++;
            return Future.succeededFuture(Reply.response(packet, (prefix + text).getBytes(StandardCharsets.UTF_8)));
        }

        @Override
        public JsonObject state() {
            return new JsonObject().put("answered", answered); // served at vmbus.device.ping.state
        }
    }
}
