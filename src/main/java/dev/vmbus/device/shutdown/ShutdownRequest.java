package dev.vmbus.device.shutdown;

import dev.vmbus.ic.IcStatus;
import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * One shutdown request as the guest saw it and what came of it, for the dashboard.
 *
 * @param received  when it arrived
 * @param flags     the request's flags value
 * @param reason    its reason code
 * @param action    power-off, reboot, hibernate, or null when refused
 * @param status    the status we answered with
 * @param outcome   what happened after the reply: "dry run", the command's result, or why nothing ran
 */
public record ShutdownRequest(Instant received, int flags, int reason, String action, IcStatus status, String outcome) {

    ShutdownRequest withOutcome(String text) {
        return new ShutdownRequest(received, flags, reason, action, status, text);
    }

    public JsonObject toJson() {
        JsonObject json = new JsonObject().put("received", received.toString()).put("flags", flags)
                .put("reasonCode", "0x" + Integer.toHexString(reason)).put("status", status.toString());
        if (action != null) {
            json.put("action", action);
        }
        if (outcome != null) {
            json.put("outcome", outcome);
        }
        return json;
    }
}
