package dev.vmbus.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * {@link ChannelEvent}s on the event bus: passed by reference inside the process (they are immutable), and as
 * their JSON form (length-prefixed UTF-8) across a cluster, the only place besides the dashboard where an event
 * becomes JSON. Stateless; made for concurrent use.
 */
final class ChannelEventCodec extends LocalCodec<ChannelEvent> {
    static final String NAME = "vmbus-channel-event";

    ChannelEventCodec() {
        super(NAME);
    }

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
}
