package dev.vmbus.device.netvsc;

import io.vertx.core.json.JsonObject;

/** One queue of a {@link Nic}: the primary channel (index 0) or a subchannel, with its own figures. */
final class NicQueue {
    final int index;
    final int relid;
    volatile long framesIn;
    volatile long bytesIn;
    volatile long framesOut;
    volatile long bytesOut;
    volatile long transferPackets;

    NicQueue(int index, int relid) {
        this.index = index;
        this.relid = relid;
    }

    JsonObject json() {
        return new JsonObject().put("index", index).put("relid", relid)
                .put("framesFromHost", framesIn).put("bytesFromHost", bytesIn)
                .put("framesToHost", framesOut).put("bytesToHost", bytesOut)
                .put("transferPagePackets", transferPackets);
    }
}
