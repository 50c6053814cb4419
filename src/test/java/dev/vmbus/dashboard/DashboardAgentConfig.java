package dev.vmbus.dashboard;

import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.testkit.AgentInternals;
import dev.vmbus.testkit.TestAgent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The configuration of the whole agent the dashboard tests run, as {@code vmbus run} would read it on sim: the six
 * ICs enabled (KVP pools in {@link #poolDir}, file copies allowed into {@link #fcopyRoot}, shutdown and VSS dry
 * runs), the simulated host with {@code extraHeartbeats} more heartbeat channels, and the dashboard on 127.0.0.1,
 * port 0 (deployed before the channels, so that its event log holds every channel's {@code offered} and
 * {@code opened} events). {@link #start} starts it through the kit's {@link TestAgent}; {@link DashboardClient}
 * talks to its dashboard.
 *
 * @param extraHeartbeats heartbeat channels beyond the six ICs ({@code host.extraHeartbeats})
 * @param heartbeatMs     the simulated host's heartbeat interval
 * @param nicQueues       0, or the queues of a synthetic NIC on both ends: the guest's {@code netvsc} (backend
 *                        {@code eventbus}, frames at {@code vmbus.netvsc.vmbus0.tx}/{@code .rx}) and the host's
 *                        (backend {@code loopback}), one channel per queue after the ICs' and extra heartbeats'
 */
public record DashboardAgentConfig(Path dir, int extraHeartbeats, long heartbeatMs, long updateMs,
                                   VmbusConfig.Health health, int nicQueues) {
    static final long UPDATE_MS = 200;

    /** The six ICs, a heartbeat every 100 ms, an update every {@link #UPDATE_MS}, the default health thresholds. */
    static DashboardAgentConfig of(Path dir) {
        return new DashboardAgentConfig(dir, 0, 100, UPDATE_MS, VmbusConfig.Health.DEFAULTS, 0);
    }

    public DashboardAgentConfig(Path dir, int extraHeartbeats, long heartbeatMs, long updateMs, VmbusConfig.Health health) {
        this(dir, extraHeartbeats, heartbeatMs, updateMs, health, 0);
    }

    /** The channels the host offers: the six ICs, the extra heartbeats and the NIC's queues. */
    public int channelCount() {
        return 6 + extraHeartbeats + nicQueues;
    }

    Path poolDir() {
        return dir.resolve("kvp");
    }

    Path fcopyRoot() {
        return dir.resolve("fcopy");
    }

    /** The agent started from this configuration (the file-copy root made first), on a Vert.x of its own. */
    public TestAgent start() throws IOException {
        Files.createDirectories(fcopyRoot());
        return AgentInternals.start(ConfigLoader.parse(json().encode(), "test"));
    }

    private JsonObject json() {
        JsonObject config = new JsonObject()
                .put("devices", new JsonObject()
                        .put("heartbeat", new JsonObject().put("enabled", true))
                        .put("timesync", new JsonObject().put("enabled", true).putNull("chronySocket").put("stepClock", false))
                        .put("shutdown", new JsonObject().put("enabled", true).put("dryRun", true))
                        .put("vss", new JsonObject().put("enabled", true).put("dryRun", true).put("mounts", new JsonArray()))
                        .put("kvp", new JsonObject().put("enabled", true).put("poolDir", poolDir().toString()))
                        .put("fcopy", new JsonObject().put("enabled", true)
                                .put("allowedRoots", new JsonArray().add(fcopyRoot().toString()))))
                .put("host", new JsonObject().put("heartbeatIntervalMs", heartbeatMs).put("timesyncIntervalMs", 500)
                        .put("extraHeartbeats", extraHeartbeats))
                .put("dashboard", new JsonObject().put("host", "127.0.0.1").put("port", 0).put("updateIntervalMs", updateMs)
                        .put("health", JsonObject.mapFrom(health)));
        if (nicQueues > 0) {
            config.getJsonObject("devices").put("netvsc", new JsonObject().put("enabled", true).put("backend", "eventbus")
                    .put("queues", nicQueues));
            config.getJsonObject("host").put("nic", new JsonObject().put("enabled", true).put("backend", "loopback")
                    .put("queues", nicQueues));
        }
        return config;
    }
}
