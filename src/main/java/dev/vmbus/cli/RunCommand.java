package dev.vmbus.cli;

import dev.vmbus.bus.DeviceRegistry;
import dev.vmbus.bus.VmbusVerticle;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.TransportType;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.dashboard.DashboardOptions;
import dev.vmbus.dashboard.DashboardServer;
import dev.vmbus.dashboard.HealthThresholds;
import dev.vmbus.host.SimulatedHost;
import dev.vmbus.host.SimulatedHostControl;
import dev.vmbus.transport.GuestTransport;
import dev.vmbus.transport.shm.ShmGuest;
import dev.vmbus.transport.uio.UioGuest;
import dev.vmbus.transport.uio.UioOptions;
import dev.vmbus.transport.sim.SimBus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
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

    @Option(names = "--conf", paramLabel = "FILE", description = "The configuration (default: ${DEFAULT-VALUE}).")
    Path conf = Path.of("conf/vmbus.json");

    @Option(names = "--transport", paramLabel = "sim|shm|uio", completionCandidates = Transports.class,
            description = "Overrides transport.type: sim (host in-process), shm (host in another process), uio (a real guest).")
    String transport;

    @Option(names = "--shm-dir", paramLabel = "DIR", description = "Overrides transport.shmDir, the shm directory.")
    String shmDir;

    @Option(names = "--dashboard-port", paramLabel = "PORT", description = "Overrides dashboard.port (0: any free port).")
    Integer dashboardPort;

    @Option(names = "--no-dashboard", description = "No dashboard (dashboard.enabled false).")
    boolean noDashboard;

    /** The transports, for completion. */
    static final class Transports extends java.util.ArrayList<String> {
        Transports() {
            super(java.util.Arrays.stream(TransportType.values()).map(TransportType::configName).toList());
        }
    }

    @Override
    public Integer call() throws Exception {
        VmbusConfig config = ConfigLoader.load(conf);
        config = applyOverrides(config);
        TransportType type = config.transport().type();
        DeviceRegistry registry = DeviceRegistry.load(config.deviceSections(), type);
        // the running kernel decides every masking, kick and map choice of the uio transport
        dev.vmbus.transport.uio.KernelFeatures kernel = type == TransportType.UIO
                ? refuseWhatTheKernelCannotServe(config, registry) : null;
        SystemdNotify notify = SystemdNotify.fromEnvironment(System.getenv());

        Vertx vertx = AgentVertx.create();
        SimBus sim = null;
        try {
            SimulatedHost simulated = null;
            if (type == TransportType.SIM) {
                SimBus bus = new SimBus(vertx);
                simulated = new SimulatedHost(vertx, bus.host(), config.host());
                simulated.start().await(10, TimeUnit.SECONDS);
                sim = bus;
            }
            GuestTransport guest = switch (type) {
                case SIM -> sim.guest();
                case SHM -> new ShmGuest(vertx, Path.of(config.transport().shmDir()));
                case UIO -> new UioGuest(vertx, new UioOptions(Path.of(config.transport().sysfsRoot()),
                        UioOptions.DEFAULT_RESCAN_INTERVAL_MS, UioOptions.DEFAULT_RING_WAIT_MS, kernel),
                        Path.of(config.transport().devRoot()));
            };
            VmbusConfig.Dashboard dash = config.dashboard();
            String id = vertx.deployVerticle(new VmbusVerticle(guest, registry, dash.updateIntervalMs()))
                    .await(30, TimeUnit.SECONDS);
            String dashboardId = null;
            if (dash.enabled()) {
                dashboardId = vertx.deployVerticle(new DashboardServer(new DashboardOptions(dash.host(), dash.port(),
                        dash.effectiveToken(), dash.updateIntervalMs(), List.copyOf(registry.enabled().keySet()),
                        type == TransportType.UIO ? Path.of(config.transport().sysfsRoot()) : null, thresholds(dash.health())),
                        simulated != null ? new SimulatedHostControl(simulated) : null)).await(30, TimeUnit.SECONDS);
            }
            LOG.info("vmbus agent running on the " + type + " transport with handlers " + registry.enabled().keySet());
            String dashboard = dashboardId;
            EventLoopWatchdog watchdog = notify.watchdogUsec().isPresent()
                    ? new EventLoopWatchdog(vertx, notify.watchdogUsec().getAsLong(), notify::send) : null;
            if (watchdog != null) {
                watchdog.start();
                LOG.info("systemd watchdog: " + watchdog.loops() + " event loops must each run at least every "
                        + notify.watchdogUsec().getAsLong() / 2000 + " ms");
            }
            Readiness.await(vertx).onSuccess(channels -> {
                String status = Readiness.status(channels);
                notify.send("READY=1\nSTATUS=" + status);
                LOG.info("ready: " + status);
            });
            return Lifecycle.runUntilSignalled(vertx, () -> {
                if (watchdog != null) {
                    watchdog.close();
                }
                return undeploy(vertx, id).eventually(() -> dashboard != null ? undeploy(vertx, dashboard) : Future.succeededFuture());
            }, notify);
        } catch (Exception e) {
            notify.close();
            vertx.close();
            throw e;
        }
    }

    static HealthThresholds thresholds(VmbusConfig.Health h) {
        return new HealthThresholds(h.heartbeatLateMs(), h.heartbeatLostMs(), h.ringFillPercent(), h.timesyncOffsetMs(),
                h.timesyncStaleMs(), h.vssFrozenMs(), h.fcopyStuckMs());
    }

    /**
     * Before anything is opened or started: the same judgement as {@code vmbus doctor}; any device bound to uio
     * that this kernel cannot serve safely, or any enabled class it cannot serve at all, stops start-up. Returns
     * the kernel's features (for the uio transport's options).
     */
    static dev.vmbus.transport.uio.KernelFeatures refuseWhatTheKernelCannotServe(VmbusConfig config,
            DeviceRegistry registry) throws java.io.IOException {
        Diagnosis d = Diagnosis.of(SystemView.of(config, null, null), registry);
        List<String> refusals = d.refusals();
        if (!refusals.isEmpty()) {
            throw new IllegalStateException("refusing to start on the uio transport with kernel " + d.kernel().release()
                    + " (" + d.kernel().basis() + "); nothing was opened:\n  " + String.join("\n  ", refusals)
                    + "\n'vmbus doctor' shows every device; disable the class in devices.<name>, or state a"
                    + " backported kernel in transport.kernel");
        }
        LOG.info("uio: kernel " + d.kernel().release() + " (" + d.kernel().basis() + ")");
        return d.kernel();
    }

    /**
     * Undeploys {@code id}; a deployment that is already gone is not a failure. (A channel verticle that ends itself
     * because the host vanished during the close races the agent's own undeploy of it; Vert.x then fails the parent's
     * undeploy with "Already undeployed" although everything is stopped.)
     */
    static Future<Void> undeploy(Vertx vertx, String id) {
        return vertx.undeploy(id).recover(e -> vertx.deploymentIDs().contains(id)
                && !String.valueOf(e.getMessage()).contains("Already undeployed")
                ? Future.failedFuture(e) : Future.succeededFuture());
    }

    /** A port given on the command line: 0..65535, or a usage error. */
    static int port(CommandSpec spec, int port) {
        if (port < 0 || port > 65535) {
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
        return config.withTransport(t).withDashboard(d);
    }
}
