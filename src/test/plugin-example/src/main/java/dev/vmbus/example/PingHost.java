package dev.vmbus.example;

import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.host.CounterpartContext;
import dev.vmbus.host.HostCounterpart;
import dev.vmbus.host.HostLink;
import dev.vmbus.host.HostPlugin;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/**
 * The host's end of the ping class (docs/PLUGINS.md), for the simulated host's {@code host.offers}: once the guest
 * opens the channel it sends its greeting (setting {@code greeting}, default {@code "hello"}) and keeps the answer.
 * Registered in {@code META-INF/services/dev.vmbus.host.HostPlugin}.
 */
public final class PingHost implements HostPlugin {

    @Override
    public String name() {
        return "ping";
    }

    @Override
    public List<UUID> classIds() {
        return List.of(PingHandler.CLASS_ID);
    }

    /** The host end's settings: what it greets the guest with. */
    public record Settings(String greeting) {
        public static final Settings DEFAULTS = new Settings("hello");

        public Settings {
            if (greeting == null || greeting.isEmpty()) {
                throw new IllegalArgumentException("greeting must be a non-empty string");
            }
        }
    }

    @Override
    public HostCounterpart counterpart(Offer offer, CounterpartContext context) {
        // unknown keys, wrong types: refused by name, as the guest end's DeviceContext.settings
        return new Greeter(context.settings(Settings.class, Settings.DEFAULTS).greeting());
    }

    /** One channel's host end; runs on the host's context. */
    static final class Greeter implements HostCounterpart {
        private final String greeting;
        private long sent;
        private long answers;
        private String lastAnswer;

        Greeter(String greeting) {
            this.greeting = greeting;
        }

        @Override
        public void opened(HostLink link) {
            link.send(greeting.getBytes(StandardCharsets.UTF_8), ++sent);
        }

        @Override
        public void received(Packet packet) {
            answers++;
            lastAnswer = new String(packet.payload(), StandardCharsets.UTF_8).replace("\0", ""); // padded to 8 bytes
        }

        @Override
        public JsonObject state() {
            return new JsonObject().put("sent", sent).put("answers", answers).put("lastAnswer", lastAnswer);
        }
    }
}
