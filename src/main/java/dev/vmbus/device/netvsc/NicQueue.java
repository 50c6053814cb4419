package dev.vmbus.device.netvsc;

import dev.vmbus.spi.ChannelPort;
import io.vertx.core.json.JsonObject;

/**
 * One queue of a {@link Nic}: the primary channel (index 0) or a subchannel, the port frames steered to it are
 * sent on, and its own figures.
 */
final class NicQueue {
    final int index;
    final int relid;
    /** Where frames steered to this queue go (null: not known, they go on the primary). */
    final ChannelPort port;
    volatile long framesIn;
    volatile long bytesIn;
    volatile long framesOut;
    volatile long bytesOut;
    volatile long transferPackets;

    NicQueue(int index, int relid, ChannelPort port) {
        this.index = index;
        this.relid = relid;
        this.port = port;
    }

    JsonObject json() {
        return new JsonObject().put("index", index).put("relid", relid)
                .put("framesFromHost", framesIn).put("bytesFromHost", bytesIn)
                .put("framesToHost", framesOut).put("bytesToHost", bytesOut)
                .put("transferPagePackets", transferPackets);
    }
}
