package dev.vmbus.cli;

import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.dashboard.DashboardOptions;
import dev.vmbus.dashboard.DashboardServer;
import dev.vmbus.host.SimulatedHost;
import dev.vmbus.host.SimulatedHostControl;
import dev.vmbus.transport.shm.ShmHost;
import io.vertx.core.Vertx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/** {@code vmbus host --shm-dir DIR}: the simulated host in its own process, serving shm. */
final class HostCommand {
    private static final Logger LOG = Logger.getLogger(HostCommand.class.getName());

    private HostCommand() {
    }

    static int run(String[] argv) throws Exception {
        Args args = new Args("host", argv, 1, Set.of("conf", "shm-dir", "dashboard-port"), Set.of());
        Path confFile = Path.of(args.has("conf") ? args.get("conf") : "conf/vmbus.json");
        VmbusConfig config = args.has("conf") || Files.exists(confFile)
                ? ConfigLoader.load(confFile) : ConfigLoader.parse("{}", "defaults");
        Path dir = Path.of(args.has("shm-dir") ? args.get("shm-dir") : config.transport().shmDir());
        Vertx vertx = AgentVertx.create();
        SimulatedHost host = new SimulatedHost(vertx, new ShmHost(vertx, dir), config.host());
        try {
            host.start().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException("cannot serve shm in " + dir + ": " + e.getMessage(), e);
        }
        LOG.info("simulated host serving shm in " + dir.toAbsolutePath() + " with " + host.devices().size() + " device(s)");
        if (args.has("dashboard-port")) {
            // The host's own view: its ends of the channels, its state and its controls.
            VmbusConfig.Dashboard d = config.dashboard();
            int port = RunCommand.port(args.get("dashboard-port"));
            vertx.deployVerticle(new DashboardServer(new DashboardOptions(d.host(), port, d.effectiveToken(),
                    d.updateIntervalMs(), List.of()), new SimulatedHostControl(host))).await(30, TimeUnit.SECONDS);
        }
        return Lifecycle.runUntilSignalled(vertx, host::close);
    }
}
