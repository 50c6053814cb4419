package dev.vmbus.cli;

import dev.vmbus.agent.Agent;
import dev.vmbus.agent.Lifecycle;
import dev.vmbus.systemd.EventLoopWatchdog;
import dev.vmbus.systemd.Readiness;
import dev.vmbus.systemd.SystemdNotify;

import dev.vmbus.config.TransportType;
import dev.vmbus.config.VmbusConfig;
import io.vertx.core.Vertx;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.logging.Logger;

/** {@code vmbus run}: the agent. */
@Command(name = "run", mixinStandardHelpOptions = true,
        header = "The agent: channels, device handlers and the dashboard.",
        description = {"Run the agent: the transport's channels and a device handler for each enabled class, and "
                + "the dashboard. With the default configuration the simulated host runs in-process, so it works on any "
                + "machine. Under systemd (Type=notify) it sends READY=1 once every handled channel is open, "
                + "WATCHDOG=1 while every event loop runs, and STOPPING=1 on SIGTERM.",
                "SIGTERM or SIGINT closes every channel (the host sees close for each) and exits 0."})
final class RunCommand implements Callable<Integer> {
    private static final Logger LOG = Logger.getLogger(RunCommand.class.getName());

    @Spec
    CommandSpec spec;

    @Mixin
    ConfOption conf;

    @Option(names = "--transport", paramLabel = "sim|shm|uio", completionCandidates = Transports.class,
            description = "Overrides transport.type: sim (host in-process), shm (host in another process), uio (a real guest).")
    String transport;

    @Option(names = "--shm-dir", paramLabel = "DIR", description = "Overrides transport.shmDir, the shm directory.")
    String shmDir;

    @Option(names = "--dashboard-port", paramLabel = "PORT", description = "Overrides dashboard.port (0: any free port).")
    Integer dashboardPort;

    @Option(names = "--no-dashboard", description = "No dashboard (dashboard.enabled false).")
    boolean noDashboard;

    @Option(names = "--plugins", paramLabel = "DIR", description = "Overrides plugins.dir: load every *.jar in DIR"
            + " (device plug-ins, in a class loader of their own; the package's default is /usr/lib/vmbus/plugins).")
    Path plugins;

    /** The transports, for completion. */
    static final class Transports extends java.util.ArrayList<String> {
        Transports() {
            super(java.util.Arrays.stream(TransportType.values()).map(TransportType::configName).toList());
        }
    }

    @Override
    public Integer call() throws Exception {
        ConfigFile file = conf.file();
        LOG.info(file.describe());
        VmbusConfig config = applyOverrides(file.load());
        SystemdNotify notify = SystemdNotify.fromEnvironment(System.getenv());
        Agent agent;
        try {
            agent = Agent.builder(config).start();
        } catch (Exception e) {
            notify.close();
            throw e;
        }
        Vertx vertx = agent.vertx();
        EventLoopWatchdog watchdog = notify.watchdogUsec().isPresent()
                ? new EventLoopWatchdog(vertx, notify.watchdogUsec().getAsLong(), notify::send) : null;
        if (watchdog != null) {
            watchdog.start();
            LOG.info("systemd watchdog: " + watchdog.loops() + " event loops must each run at least every "
                    + notify.watchdogUsec().getAsLong() / 2000 + " ms");
        }
        Readiness.await(vertx, agent.offersDelivered()).onSuccess(channels -> {
            String status = Readiness.status(channels);
            notify.send("READY=1\nSTATUS=" + status);
            LOG.info("ready: " + status);
            for (String idle : agent.registry().withoutChannel(channels.stream().map(c -> c.offer().classId()).toList())) {
                LOG.warning("device '" + idle + "' is enabled, but the host offers no channel of its class "
                        + agent.registry().handler(idle).orElseThrow().classIds() + ": it will see no packet until one is"
                        + " offered (on the simulated host: a host.offers entry)");
            }
        });
        return Lifecycle.runUntilSignalled(vertx, () -> {
            if (watchdog != null) {
                watchdog.close();
            }
            return agent.stop();
        }, notify, () -> LOG.info("vmbus agent running on the " + agent.transport() + " transport with handlers "
                + agent.registry().enabled().keySet()));
    }

    /** A port given on the command line: 0..65535, or a usage error. */
    static int port(CommandSpec spec, int port) {
        if (!VmbusConfig.Dashboard.validPort(port)) {
            throw new ParameterException(spec.commandLine(), "--dashboard-port must be 0..65535, got " + port);
        }
        return port;
    }

    VmbusConfig applyOverrides(VmbusConfig config) {
        VmbusConfig.Transport t = config.transport();
        if (transport != null) {
            TransportType type;
            try {
                type = TransportType.parse(transport);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--transport must be sim, shm or uio; got '" + transport + "'");
            }
            t = t.withType(type);
        }
        if (shmDir != null) {
            t = t.withShmDir(shmDir);
        }
        VmbusConfig.Dashboard d = config.dashboard();
        if (dashboardPort != null) {
            int port = port(spec, dashboardPort);
            d = new VmbusConfig.Dashboard(d.enabled(), d.host(), port, d.token(), d.updateIntervalMs(), d.health());
        }
        if (noDashboard) {
            d = new VmbusConfig.Dashboard(false, d.host(), d.port(), d.token(), d.updateIntervalMs(), d.health());
        }
        return withPlugins(config.withTransport(t).withDashboard(d), plugins);
    }

    /** The system property naming the default plug-in directory; {@code /usr/bin/vmbus} sets it. */
    static final String PLUGINS_PROPERTY = "vmbus.defaultPlugins";

    /**
     * {@code --plugins DIR} over {@code plugins.dir} over the launcher's default directory (used only when it
     * exists: the package makes it, a jar run from elsewhere has none).
     */
    static VmbusConfig withPlugins(VmbusConfig config, Path option) {
        if (option != null) {
            return config.withPlugins(new VmbusConfig.Plugins(option.toString()));
        }
        String fallback = System.getProperty(PLUGINS_PROPERTY);
        if (config.plugins().dir() == null && fallback != null && !fallback.isBlank()
                && java.nio.file.Files.isDirectory(Path.of(fallback))) {
            return config.withPlugins(new VmbusConfig.Plugins(fallback));
        }
        return config;
    }
}
