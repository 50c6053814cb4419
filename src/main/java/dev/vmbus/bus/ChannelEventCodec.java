package dev.vmbus.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/**
 * {@link ChannelEvent}s on the event bus: passed by reference inside the process (they are immutable), and as
 * their JSON form (length-prefixed UTF-8) across a cluster, the only place besides the dashboard where an event
 * becomes JSON. Stateless; made for concurrent use.
 */
final class ChannelEventCodec implements MessageCodec<ChannelEvent, ChannelEvent> {
    static final String NAME = "vmbus-channel-event";

    @Override
    public void encodeToWire(Buffer buffer, ChannelEvent event) {
        Buffer json = event.toWireJson().toBuffer();
        buffer.appendInt(json.length()).appendBuffer(json);
    }

    @Override
    public ChannelEvent decodeFromWire(int pos, Buffer buffer) {
        int length = buffer.getInt(pos);
        return ChannelEvent.fromWireJson(new JsonObject(buffer.getBuffer(pos + 4, pos + 4 + length)));
    }

    @Override
    public ChannelEvent transform(ChannelEvent event) {
        return event;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public byte systemCodecID() {
        return -1;
    }
}
