package dev.vmbus.example;

import dev.vmbus.bus.DeviceContext;
import dev.vmbus.bus.DeviceHandler;
import dev.vmbus.bus.OutboundPacket;
import dev.vmbus.channel.Packet;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A complete device handler plug-in (docs/PLUGINS.md walks through it): the "ping" device class answers
 * every text packet with {@code <prefix><text>}, and refuses (fails) the word {@code crash}, which faults the
 * channel. Registered in {@code META-INF/services/dev.vmbus.bus.DeviceHandler}.
 */
public final class PingHandler implements DeviceHandler {
    /** The class GUID the host offers for this device. */
    public static final UUID CLASS_ID = UUID.fromString("a1b2c3d4-0000-4000-8000-00000000c0de");

    @Override
    public String name() {
        return "ping"; // config key devices.ping, address vmbus.device.ping
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
    public void validate(DeviceContext context) {
        for (String key : context.config().fieldNames()) {
            if (!key.equals("prefix")) {
                throw new IllegalArgumentException("unknown key '" + key + "' (ping knows 'prefix')");
            }
        }
        if (context.config().containsKey("prefix") && !(context.config().getValue("prefix") instanceof String)) {
            throw new IllegalArgumentException("prefix must be a string");
        }
    }

    @Override
    public Deployable createVerticle(DeviceContext context) {
        return new PingVerticle(context.config().getString("prefix", "pong: "));
    }

    /** Consumes vmbus.device.ping: one packet in, one reply (or a failure) out. */
    static final class PingVerticle extends VerticleBase {
        private final String prefix;
        private final AtomicLong answered = new AtomicLong();

        PingVerticle(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public Future<?> start() {
            vertx.eventBus().localConsumer("vmbus.device.ping.state",
                    m -> m.reply(new JsonObject().put("answered", answered.get())));
            return vertx.eventBus().<Packet>localConsumer("vmbus.device.ping", this::onPacket).completion();
        }

        private void onPacket(Message<Packet> m) {
            Packet packet = m.body(); // our own copy, already out of the ring
            String text = new String(packet.payload(), StandardCharsets.UTF_8).trim();
            if (text.equals("crash")) {
                m.fail(500, "ping refuses to answer 'crash'"); // the channel is faulted and closed
                return;
            }
            answered.incrementAndGet();
            byte[] reply = (prefix + text).getBytes(StandardCharsets.UTF_8);
            m.reply(OutboundPacket.response(reply, packet.transactionId())); // back on the same channel
        }
    }
}
