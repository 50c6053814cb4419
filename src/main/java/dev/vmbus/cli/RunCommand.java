package dev.vmbus.cli;

import dev.vmbus.bus.DeviceRegistry;
import dev.vmbus.bus.VmbusVerticle;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.dashboard.DashboardOptions;
import dev.vmbus.dashboard.DashboardServer;
import dev.vmbus.host.SimulatedHost;
import dev.vmbus.host.SimulatedHostControl;
import dev.vmbus.transport.GuestTransport;
import dev.vmbus.transport.shm.ShmGuest;
import dev.vmbus.transport.uio.UioGuest;
import dev.vmbus.transport.uio.UioOptions;
import dev.vmbus.transport.sim.SimBus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/** {@code vmbus run}: the agent. */
final class RunCommand {
    private static final Logger LOG = Logger.getLogger(RunCommand.class.getName());

    private RunCommand() {
    }

    static int run(String[] argv) throws Exception {
        Args args = new Args("run", argv, 1, Set.of("conf", "transport", "shm-dir", "dashboard-port"),
                Set.of("no-dashboard"));
        if (!args.positional().isEmpty()) {
            throw new Args.UsageException("unexpected argument '" + args.positional().getFirst() + "'");
        }
        VmbusConfig config = ConfigLoader.load(Path.of(args.has("conf") ? args.get("conf") : "conf/vmbus.json"));
        config = applyOverrides(config, args);
        String type = config.transport().type();
        DeviceRegistry registry = DeviceRegistry.load(config.deviceSections(), type);

        Vertx vertx = AgentVertx.create();
        SimBus sim = null;
        try {
            SimulatedHost simulated = null;
            if (type.equals("sim")) {
                SimBus bus = new SimBus(vertx);
                simulated = new SimulatedHost(vertx, bus.host(), config.host());
                simulated.start().await(10, TimeUnit.SECONDS);
                sim = bus;
            }
            GuestTransport guest = switch (type) {
                case "sim" -> sim.guest();
                case "shm" -> new ShmGuest(vertx, Path.of(config.transport().shmDir()));
                case "uio" -> new UioGuest(vertx, new UioOptions(Path.of(config.transport().sysfsRoot())),
                        Path.of(config.transport().devRoot()));
                default -> throw new IllegalArgumentException("unknown transport '" + type + "'");
            };
            VmbusConfig.Dashboard dash = config.dashboard();
            String id = vertx.deployVerticle(new VmbusVerticle(guest, registry, dash.updateIntervalMs()))
                    .await(30, TimeUnit.SECONDS);
            String dashboardId = null;
            if (dash.enabled()) {
                dashboardId = vertx.deployVerticle(new DashboardServer(new DashboardOptions(dash.host(), dash.port(),
                        dash.effectiveToken(), dash.updateIntervalMs(), List.copyOf(registry.enabled().keySet())),
                        simulated != null ? new SimulatedHostControl(simulated) : null)).await(30, TimeUnit.SECONDS);
            }
            LOG.info("vmbus agent running on the " + type + " transport with handlers " + registry.enabled().keySet());
            String dashboard = dashboardId;
            return Lifecycle.runUntilSignalled(vertx, () -> undeploy(vertx, id)
                    .eventually(() -> dashboard != null ? undeploy(vertx, dashboard) : Future.succeededFuture()));
        } catch (Exception e) {
            vertx.close();
            throw e;
        }
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

    static int port(String text) {
        int port;
        try {
            port = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new Args.UsageException("--dashboard-port must be a number, got '" + text + "'");
        }
        if (port < 0 || port > 65535) {
            throw new Args.UsageException("--dashboard-port must be 0..65535, got " + port);
        }
        return port;
    }

    static VmbusConfig applyOverrides(VmbusConfig config, Args args) {
        VmbusConfig.Transport t = config.transport();
        if (args.has("transport")) {
            String type = args.get("transport");
            if (!Set.of("sim", "shm", "uio").contains(type)) {
                throw new Args.UsageException("--transport must be sim, shm or uio; got '" + type + "'");
            }
            t = new VmbusConfig.Transport(type, t.shmDir(), t.sysfsRoot(), t.devRoot());
        }
        if (args.has("shm-dir")) {
            t = new VmbusConfig.Transport(t.type(), args.get("shm-dir"), t.sysfsRoot(), t.devRoot());
        }
        VmbusConfig.Dashboard d = config.dashboard();
        if (args.has("dashboard-port")) {
            int port = port(args.get("dashboard-port"));
            d = new VmbusConfig.Dashboard(d.enabled(), d.host(), port, d.token(), d.updateIntervalMs());
        }
        if (args.has("no-dashboard")) {
            d = new VmbusConfig.Dashboard(false, d.host(), d.port(), d.token(), d.updateIntervalMs());
        }
        return config.withTransport(t).withDashboard(d);
    }
}
