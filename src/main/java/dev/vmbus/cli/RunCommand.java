package dev.vmbus.cli;

import dev.vmbus.bus.DeviceRegistry;
import dev.vmbus.bus.VmbusVerticle;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.host.SimulatedHost;
import dev.vmbus.transport.GuestTransport;
import dev.vmbus.transport.shm.ShmGuest;
import dev.vmbus.transport.sim.SimBus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.nio.file.Path;
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

        Vertx vertx = Vertx.vertx();
        try {
            GuestTransport guest = switch (type) {
                case "sim" -> {
                    SimBus bus = new SimBus(vertx);
                    new SimulatedHost(vertx, bus.host(), config.host()).start().await(10, TimeUnit.SECONDS);
                    yield bus.guest();
                }
                case "shm" -> new ShmGuest(vertx, Path.of(config.transport().shmDir()));
                default -> throw new IllegalArgumentException("transport '" + type
                        + "' is not available in this build (sim and shm are)");
            };
            String id = vertx.deployVerticle(new VmbusVerticle(guest, registry)).await(30, TimeUnit.SECONDS);
            LOG.info("vmbus agent running on the " + type + " transport with handlers " + registry.enabled().keySet());
            return Lifecycle.runUntilSignalled(vertx, () -> vertx.undeploy(id));
        } catch (Exception e) {
            vertx.close();
            throw e;
        }
    }

    static VmbusConfig applyOverrides(VmbusConfig config, Args args) {
        VmbusConfig.Transport t = config.transport();
        if (args.has("transport")) {
            String type = args.get("transport");
            if (!Set.of("sim", "shm", "uio").contains(type)) {
                throw new Args.UsageException("--transport must be sim, shm or uio; got '" + type + "'");
            }
            t = new VmbusConfig.Transport(type, t.shmDir(), t.sysfsRoot());
        }
        if (args.has("shm-dir")) {
            t = new VmbusConfig.Transport(t.type(), args.get("shm-dir"), t.sysfsRoot());
        }
        VmbusConfig.Dashboard d = config.dashboard();
        if (args.has("dashboard-port")) {
            int port;
            try {
                port = Integer.parseInt(args.get("dashboard-port"));
            } catch (NumberFormatException e) {
                throw new Args.UsageException("--dashboard-port must be a number, got '" + args.get("dashboard-port") + "'");
            }
            if (port < 0 || port > 65535) {
                throw new Args.UsageException("--dashboard-port must be 0..65535, got " + port);
            }
            d = new VmbusConfig.Dashboard(d.enabled(), d.host(), port, d.token());
        }
        if (args.has("no-dashboard")) {
            d = new VmbusConfig.Dashboard(false, d.host(), d.port(), d.token());
        }
        return config.withTransport(t).withDashboard(d);
    }
}
