package dev.vmbus.device.fcopy;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

/** One copy, in progress or finished; changed only by {@link FcopyService} under its lock. */
final class Transfer {
    final int relid;
    final PartialFile file;
    final boolean overwrite;
    final long announced;
    final long limit;
    final Instant started = Instant.now();
    long bytes;
    long writes;
    long touched = System.nanoTime();
    String outcome = "copying";

    Transfer(int relid, PartialFile file, boolean overwrite, long announced, long limit) {
        this.relid = relid;
        this.file = file;
        this.overwrite = overwrite;
        this.announced = announced;
        this.limit = limit;
    }

    /** A snapshot for display. */
    record View(int relid, String target, long announced, long bytes, long writes, String state, Instant started,
                long idleMs) {
        JsonObject toJson() {
            JsonObject json = new JsonObject().put("relid", relid).put("target", target).put("announcedBytes", announced)
                    .put("bytesWritten", bytes).put("writes", writes).put("state", state)
                    .put("started", started.toString()).put("idleMs", idleMs);
            if (announced > 0) {
                json.put("progress", Math.min(1.0, (double) bytes / announced));
            }
            return json;
        }
    }

    View view() {
        // idleMs: how long since the host last sent data; the dashboard calls a long-idle copy stuck
        return new View(relid, file.target().toString(), announced, bytes, writes, outcome, started,
                (System.nanoTime() - touched) / 1_000_000);
    }
}
