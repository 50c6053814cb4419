package dev.vmbus.cli;

import dev.vmbus.agent.Agent;
import dev.vmbus.agent.Lifecycle;

import dev.vmbus.config.VmbusConfig;
import dev.vmbus.host.SimulatedHost;
import dev.vmbus.systemd.SystemdNotify;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;
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
            description = "The configuration, which must exist; its host section sets the cadence (default: "
                    + ConfigFile.DEFAULT_TEXT + ").")
    Path conf;

    @Option(names = "--dashboard-port", paramLabel = "PORT", description = "Serve the host's own dashboard on PORT.")
    Integer dashboardPort;

    @Option(names = "--plugins", paramLabel = "DIR", description = "Overrides plugins.dir: load every *.jar in DIR"
            + " (host counterparts of plug-ins' classes, for host.offers; the package's default is /usr/lib/vmbus/plugins).")
    Path plugins;

    @Override
    public Integer call() throws Exception {
        ConfigFile file = ConfigFile.resolve(conf);
        LOG.info(file.describe());
        VmbusConfig config = file.load();
        if (shmDir != null) {
            config = config.withTransport(config.transport().withShmDir(shmDir.toString()));
        }
        config = RunCommand.withPlugins(config, plugins);
        // The host's own dashboard only when asked for (its view: its ends of the channels, its state and controls)
        VmbusConfig.Dashboard d = config.dashboard();
        config = config.withDashboard(new VmbusConfig.Dashboard(dashboardPort != null, d.host(),
                dashboardPort != null ? RunCommand.port(spec, dashboardPort) : d.port(), d.token(), d.updateIntervalMs(),
                d.health()));
        Agent host = Agent.hostBuilder(config).start();
        SimulatedHost simulated = host.simulatedHost().orElseThrow();
        String serving = "simulated host serving shm in " + Path.of(config.transport().shmDir()).toAbsolutePath()
                + " with " + simulated.devices().size() + " device(s)";
        // Logged once SIGTERM and SIGINT are handled: a signal sent on this line closes in order (exit 0), as run's.
        return Lifecycle.runUntilSignalled(host.vertx(), host::stop, SystemdNotify.disabled(), () -> LOG.info(serving));
    }
}
