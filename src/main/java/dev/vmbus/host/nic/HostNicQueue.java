package dev.vmbus.host.nic;

import dev.vmbus.channel.Packet;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.ChannelLink;
import io.vertx.core.Context;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.function.BiConsumer;

/**
 * One open channel of the host's NIC: the primary (index 0) or a subchannel, its driver, what waits to go to the
 * guest on it (control responses first, then frames) and its figures.
 */
final class HostNicQueue {
    final int index;
    final ChannelLink link;
    final ChannelDriver driver;
    final ArrayDeque<byte[]> data = new ArrayDeque<>();
    final ArrayDeque<byte[]> control = new ArrayDeque<>();
    int controlBytes;
    boolean flushQueued;
    long framesToGuest;
    long bytesToGuest;
    long framesFromGuest;
    long bytesFromGuest;
    long batches;

    HostNicQueue(int index, ChannelLink link, Context context, BiConsumer<HostNicQueue, Packet> onPacket) {
        this.index = index;
        this.link = link;
        this.driver = ChannelDriver.host(link, context, 0, p -> onPacket.accept(this, p));
    }

    JsonObject state() {
        return new JsonObject().put("queue", index).put("relid", link.offer().relid())
                .put("framesToGuest", framesToGuest).put("bytesToGuest", bytesToGuest)
                .put("framesFromGuest", framesFromGuest).put("bytesFromGuest", bytesFromGuest)
                .put("transferPagePackets", batches).put("framesWaiting", data.size())
                .put("controlWaiting", control.size());
    }
}
