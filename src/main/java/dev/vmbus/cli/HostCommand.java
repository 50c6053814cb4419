package dev.vmbus.cli;

import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.dashboard.DashboardOptions;
import dev.vmbus.dashboard.DashboardServer;
import dev.vmbus.host.SimulatedHost;
import dev.vmbus.host.SimulatedHostControl;
import dev.vmbus.transport.shm.ShmHost;
import io.vertx.core.Vertx;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/** {@code vmbus host --shm-dir DIR}: the simulated host in its own process, serving shm. */
@Command(name = "host", mixinStandardHelpOptions = true,
        header = "The simulated Hyper-V host as its own process, serving shm.",
        description = "Run the simulated Hyper-V host as its own process, serving the shm transport in DIR for a "
                + "'vmbus run --transport shm' (or any program speaking the protocol). SIGTERM closes every channel.")
final class HostCommand implements Callable<Integer> {
    private static final Logger LOG = Logger.getLogger(HostCommand.class.getName());

    @Spec
    CommandSpec spec;

    @Option(names = "--shm-dir", paramLabel = "DIR", description = "The shm directory (default: transport.shmDir).")
    Path shmDir;

    @Option(names = "--conf", paramLabel = "FILE",
            description = "The configuration; its host section sets the cadence (default: conf/vmbus.json if present).")
    Path conf;

    @Option(names = "--dashboard-port", paramLabel = "PORT", description = "Serve the host's own dashboard on PORT.")
    Integer dashboardPort;

    @Override
    public Integer call() throws Exception {
        Path confFile = conf != null ? conf : Path.of("conf/vmbus.json");
        VmbusConfig config = conf != null || Files.exists(confFile)
                ? ConfigLoader.load(confFile) : ConfigLoader.parse("{}", "defaults");
        Path dir = shmDir != null ? shmDir : Path.of(config.transport().shmDir());
        Vertx vertx = AgentVertx.create();
        SimulatedHost host = new SimulatedHost(vertx, new ShmHost(vertx, dir), config.host());
        try {
            host.start().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException("cannot serve shm in " + dir + ": " + e.getMessage(), e);
        }
        LOG.info("simulated host serving shm in " + dir.toAbsolutePath() + " with " + host.devices().size() + " device(s)");
        if (dashboardPort != null) {
            // The host's own view: its ends of the channels, its state and its controls.
            VmbusConfig.Dashboard d = config.dashboard();
            int port = RunCommand.port(spec, dashboardPort);
            vertx.deployVerticle(new DashboardServer(new DashboardOptions(d.host(), port, d.effectiveToken(),
                    d.updateIntervalMs(), List.of()), new SimulatedHostControl(host))).await(30, TimeUnit.SECONDS);
        }
        return Lifecycle.runUntilSignalled(vertx, host::close);
    }
}
