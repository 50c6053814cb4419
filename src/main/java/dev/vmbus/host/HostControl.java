package dev.vmbus.host;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * What a viewer (the dashboard) may do with a simulated host: show its state and drive it. Present only when a
 * simulated host runs in this process; the dashboard's endpoints for it always require the token and POST. The host
 * package owns this interface so that the host never imports the dashboard (DESIGN.md, layers).
 */
public interface HostControl {

    /** The host's state: devices, health, pending requests. */
    Future<JsonObject> state();

    /** The actions {@link #act} understands, for the page and the API documentation. */
    List<String> actions();

    /**
     * Runs one action.
     *
     * @return the action's result; fails with {@link IllegalArgumentException} for bad parameters (HTTP 400)
     */
    Future<JsonObject> act(String action, JsonObject params);
}
