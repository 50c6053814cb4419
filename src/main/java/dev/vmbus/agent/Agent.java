package dev.vmbus.agent;

import dev.vmbus.transport.uio.admin.UioRefusal;

import dev.vmbus.spi.Complaints;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.bus.DeviceRegistry;
import dev.vmbus.bus.VmbusVerticle;
import dev.vmbus.config.TransportType;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.dashboard.DashboardOptions;
import dev.vmbus.dashboard.DashboardServer;
import dev.vmbus.host.HostPlugins;
import dev.vmbus.host.SimulatedHost;
import dev.vmbus.host.SimulatedHostControl;
import dev.vmbus.transport.GuestTransport;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.KernelCounters;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.shm.ShmGuest;
import dev.vmbus.transport.shm.ShmOptions;
import dev.vmbus.transport.shm.ShmHost;
import dev.vmbus.transport.sim.SimBus;
import dev.vmbus.transport.uio.KernelChannelCounters;
import dev.vmbus.transport.uio.KernelFeatures;
import dev.vmbus.transport.uio.UioGuest;
import dev.vmbus.transport.uio.UioNodes;
import dev.vmbus.transport.uio.UioOptions;
import io.vertx.core.Context;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The composition root: a running agent (or the simulated host serving {@code shm}) wired from a configuration,
 * the one way {@code vmbus run}, {@code vmbus host}, {@code vmbus bench} and the end-to-end tests start one.
 * <pre>{@code
 * try (Agent agent = Agent.builder(config).start()) {          // transport from config.transport().type()
 *     agent.simulatedHost();                                    // on sim: the in-process host
 *     agent.dashboardPort();                                    // when the dashboard is enabled
 * }                                                             // close(): channels closed, then Vert.x
 * }</pre>
 * The guest side builds, by {@link TransportType}: on {@code sim} a {@link SimBus} and the {@link SimulatedHost}
 * (or the builder's {@link HostEnd}) on it, on {@code shm} a {@link ShmGuest}, on {@code uio} a {@link UioGuest}
 * after refusing what the running kernel cannot serve (as {@code vmbus doctor} judges it); then the dashboard (first,
 * so that its event log holds every channel's {@code offered}), then {@link VmbusVerticle}. The host side
 * ({@link #hostBuilder}) serves {@link ShmHost} in {@code transport.shmDir} with the simulated host and its own
 * dashboard when enabled.
 * <p>{@link Builder#start()} blocks the calling thread (never call it on an event loop); a started agent's accessors
 * may be called from any thread, {@link #stop()} and {@link #close()} from any thread but an event loop of its Vert.x.
 */
public final class Agent implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Agent.class.getName());
    static final long START_TIMEOUT_S = 30;

    /**
     * Serves the host ends of the channels instead of the simulated host: a test's scripted host, the benchmark's
     * round-trip host. Called on {@code context}, a context of the agent's Vert.x (on {@code sim} with
     * {@link Builder#simHostLoop}, of the host's own); starts {@code transport} (and offers what it wants).
     */
    @FunctionalInterface
    public interface HostEnd {
        Future<Void> start(Context context, HostTransport transport);
    }

    private final Vertx vertx;
    private final boolean ownsVertx;
    /** {@code sim} with {@link Builder#simHostLoop}: the host end's own Vert.x, closed with the agent; else null. */
    private final Vertx simHostVertx;
    private final TransportType type;
    private final DeviceRegistry registry;
    private final SimulatedHost simulated;
    private final Context hostContext;
    private final HostTransport hostTransport;
    /** The guest's transport; null on the host side. */
    private final GuestTransport guest;
    private final DashboardServer dashboard;
    private final String agentId;
    /** The deployment {@link #agentId} names; null on the host side. */
    private final VmbusVerticle bus;
    private final String dashboardId;

    private Agent(Builder b, SimulatedHost simulated, Context hostContext, HostTransport hostTransport,
                  GuestTransport guest, DashboardServer dashboard, VmbusVerticle bus, String agentId,
                  String dashboardId) {
        this.vertx = b.vertx;
        this.ownsVertx = b.ownsVertx;
        this.simHostVertx = b.simHostVertx;
        this.type = b.config.transport().type();
        this.registry = b.registry;
        this.simulated = simulated;
        this.hostContext = hostContext;
        this.hostTransport = hostTransport;
        this.guest = guest;
        this.dashboard = dashboard;
        this.agentId = agentId;
        this.bus = bus;
        this.dashboardId = dashboardId;
    }

    /** The agent of a guest: channels from {@code config.transport().type()}, handlers, dashboard. */
    public static Builder builder(VmbusConfig config) {
        return new Builder(config, false);
    }

    /** The host side of {@code shm}: the simulated host serving {@code config.transport().shmDir()}. */
    public static Builder hostBuilder(VmbusConfig config) {
        return new Builder(config, true);
    }

    public Vertx vertx() {
        return vertx;
    }

    /** The guest's transport (on the host side: {@link TransportType#SHM}). */
    public TransportType transport() {
        return type;
    }

    /**
     * Completes once every channel the host offered at start has reached the agent
     * ({@link GuestTransport#offersDelivered}); what systemd's {@code READY=1} waits for first. On the host side,
     * at once.
     */
    public Future<Void> offersDelivered() {
        return guest != null ? guest.offersDelivered() : Future.succeededFuture();
    }

    /** The handlers; null on the host side. */
    public DeviceRegistry registry() {
        return registry;
    }

    /** The simulated host in this process (guest side on {@code sim}, or the host side), unless a HostEnd serves. */
    public Optional<SimulatedHost> simulatedHost() {
        return Optional.ofNullable(simulated);
    }

    public Optional<DashboardServer> dashboard() {
        return Optional.ofNullable(dashboard);
    }

    /** The port the dashboard listens on (the real one when the configuration said 0). */
    public int dashboardPort() {
        return dashboard().orElseThrow(() -> new IllegalStateException("the dashboard is not enabled")).port();
    }

    /**
     * The orderly stop, leaving Vert.x running: the guest's channel verticles close their channels (the host sees
     * {@code close} for each, the devices and the dashboard each channel's end), then the devices and then the
     * dashboard go; on the host side the host closes its transport (and then its NIC's backend, logging the
     * backend's pauses).
     */
    public Future<Void> stop() {
        Future<Void> first = agentId != null
                ? bus.closeChannels().recover(e -> Future.succeededFuture()).compose(x -> undeploy(vertx, agentId))
                : simulated != null && hostTransport != null ? simulated.close() // the transport, then the NIC
                : hostTransport != null ? OnContext.call(hostContext, hostTransport::close) : Future.succeededFuture();
        return first.eventually(() -> dashboardId != null ? undeploy(vertx, dashboardId) : Future.succeededFuture());
    }

    /** {@link #stop()} within {@link Lifecycle#CLOSE_TIMEOUT_MS}, then closes Vert.x unless it was given. */
    @Override
    public void close() throws Exception {
        try {
            stop().await(Lifecycle.CLOSE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warning("orderly stop did not finish: " + e);
        } finally {
            try {
                if (simHostVertx != null) {
                    simHostVertx.close().await(10, TimeUnit.SECONDS);
                }
            } finally {
                if (ownsVertx) {
                    vertx.close().await(10, TimeUnit.SECONDS);
                }
            }
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

    /** What to start; used from one thread, then {@link #start()}. */
    public static final class Builder {
        private final VmbusConfig config;
        private final boolean hostSide;
        private Vertx vertx;
        private boolean ownsVertx;
        private List<DevicePlugin<?>> handlers;
        private Map<String, JsonObject> devices;
        private DeviceRegistry registry;
        private HostEnd hostEnd;
        private UioNodes uioNodes;
        private PluginDirectory plugins;
        private int simRingHeader;
        private boolean simHostLoop;
        private Vertx simHostVertx;

        private Builder(VmbusConfig config, boolean hostSide) {
            this.config = config;
            this.hostSide = hostSide;
        }

        /** Runs on this Vert.x, which {@link Agent#close()} then leaves open; default: a new {@link AgentVertx}. */
        public Builder vertx(Vertx vertx) {
            this.vertx = vertx;
            return this;
        }

        /** These handlers instead of the ones the ServiceLoader finds. */
        public Builder handlers(List<? extends DevicePlugin<?>> handlers) {
            this.handlers = List.copyOf(handlers);
            return this;
        }

        /** These device sections (name to section) instead of the configuration's {@code devices}. */
        public Builder devices(Map<String, JsonObject> devices) {
            this.devices = Map.copyOf(devices);
            return this;
        }

        /** This host end instead of the simulated host (guest side on {@code sim}, or the host side). */
        public Builder hostEnd(HostEnd hostEnd) {
            this.hostEnd = hostEnd;
            return this;
        }

        /**
         * {@code sim}: ring headers of this many bytes instead of the page size (Linux's choice), for tests whose
         * offers size rings in 4 KiB pages whatever the machine's page size.
         */
        public Builder simRingHeader(int bytes) {
            this.simRingHeader = bytes;
            return this;
        }

        /**
         * {@code sim}: the host end (the simulated host or the {@link #hostEnd}) on a Vert.x of its own, so on an
         * event loop of its own, as a real host is another machine; default: on the agent's one event loop beside the
         * channels (no cross-thread wake-up, one thread for both ends). Closed with the agent.
         */
        public Builder simHostLoop(boolean own) {
            this.simHostLoop = own;
            return this;
        }

        /** {@code uio}: these nodes instead of {@code /dev/uioN} under {@code transport.devRoot} (fixtures). */
        public Builder uioNodes(UioNodes nodes) {
            this.uioNodes = nodes;
            return this;
        }

        /**
         * Checks the devices, refuses on {@code uio} what the kernel cannot serve (nothing opened yet), then starts
         * everything, or closes what it started and throws.
         */
        public Agent start() throws Exception {
            TransportType type = config.transport().type();
            Map<String, JsonObject> sections = devices != null ? devices : DeviceRegistry.sections(config);
            plugins = config.plugins().dir() == null ? PluginDirectory.none()
                    : PluginDirectory.open(Path.of(config.plugins().dir()));
            if (plugins.dir() != null) {
                LOG.info("plug-ins: " + plugins.jars().size() + " jar(s) in " + plugins.dir() + " "
                        + plugins.jars().stream().map(p -> p.getFileName().toString()).toList());
            }
            registry = hostSide ? null : handlers != null ? DeviceRegistry.of(handlers, sections, type)
                    : plugins.load(() -> DeviceRegistry.load(sections, type, plugins.loader()));
            // the running kernel decides every masking, kick and map choice of the uio transport
            KernelFeatures kernel = !hostSide && type == TransportType.UIO ? UioRefusal.check(config, registry.enabledClasses()) : null;
            ownsVertx = vertx == null;
            if (ownsVertx) {
                vertx = AgentVertx.create();
            }
            try {
                return hostSide ? startHost() : startGuest(type, kernel);
            } catch (Exception | Error e) {
                if (simHostVertx != null) {
                    simHostVertx.close();
                }
                if (ownsVertx) {
                    vertx.close();
                }
                throw e;
            }
        }

        private Agent startGuest(TransportType type, KernelFeatures kernel) throws Exception {
            SimulatedHost simulated = null;
            GuestTransport guest = switch (type) {
                case SIM -> {
                    simHostVertx = simHostLoop ? AgentVertx.create() : null;
                    Vertx hostVertx = simHostLoop ? simHostVertx : vertx;
                    SimBus bus = simRingHeader > 0 ? new SimBus(hostVertx, simRingHeader) : new SimBus(hostVertx);
                    // the host end runs on a context of its own, as in a separate process: on the same event loop,
                    // or with simHostLoop on a Vert.x of its own
                    simulated = startHostEnd(hostVertx.getOrCreateContext(), bus.host());
                    yield bus.guest();
                }
                case SHM -> new ShmGuest(vertx, new ShmOptions(Path.of(config.transport().shmDir())),
                        Complaints.of(vertx));
                case UIO -> {
                    UioOptions options = new UioOptions(Path.of(config.transport().sysfsRoot()),
                            UioOptions.DEFAULT_RESCAN_INTERVAL_MS, UioOptions.DEFAULT_RING_WAIT_MS, kernel);
                    yield new UioGuest(vertx, options, uioNodes != null ? uioNodes
                            : UioNodes.devices(Path.of(config.transport().devRoot()),
                            Path.of(config.transport().procRoot())));
                }
            };
            Path sysfs = Path.of(config.transport().sysfsRoot());
            KernelCounters.Source kernelCounters = type == TransportType.UIO
                    ? () -> KernelChannelCounters.readValues(sysfs) : null;
            DashboardServer dashboard = dashboard(registry.enabled().keySet().stream()
                    .<DevicePlugin<?>>map(name -> registry.handler(name).orElseThrow()).toList(), kernelCounters, simulated);
            String dashboardId = dashboard != null ? deployDashboard(dashboard) : null;
            // vmbus.stats is published at the dashboard's rate for the dashboard; without one nothing consumes it,
            // so an agent without a dashboard takes no periodic snapshot at all (idle CPU on a small VM)
            VmbusVerticle agent = new VmbusVerticle(guest, registry,
                    dashboard != null ? config.dashboard().updateIntervalMs() : 0);
            String agentId = deploy(agent);
            // on sim the host end needs no stop of its own: it sees the guest close each channel, and goes with Vert.x
            return new Agent(this, simulated, null, null, guest, dashboard, agent, agentId, dashboardId);
        }

        private Agent startHost() throws Exception {
            Path dir = Path.of(config.transport().shmDir());
            Context hostContext = vertx.getOrCreateContext();
            HostTransport transport = new ShmHost(vertx, dir);
            SimulatedHost simulated;
            try {
                simulated = startHostEnd(hostContext, transport);
            } catch (Exception e) {
                throw new IllegalStateException("cannot serve shm in " + dir + ": " + e.getMessage(), e);
            }
            // The host's own view: its ends of the channels, its state and its controls.
            DashboardServer dashboard = dashboard(List.of(), null, simulated);
            String dashboardId = dashboard != null ? deployDashboard(dashboard) : null;
            return new Agent(this, simulated, hostContext, transport, null, dashboard, null, null, dashboardId);
        }

        /** The simulated host on {@code transport}, started; or the builder's host end, started (then null). */
        private SimulatedHost startHostEnd(Context context, HostTransport transport) throws Exception {
            if (hostEnd != null) {
                OnContext.call(context, () -> hostEnd.start(context, transport).onSuccess(x -> transport.allOffered()))
                        .await(START_TIMEOUT_S, TimeUnit.SECONDS);
                return null;
            }
            SimulatedHost host = new SimulatedHost(context.owner(), transport, config.host(),
                    plugins.load(() -> HostPlugins.load(plugins.loader())));
            OnContext.call(context, host::start).await(START_TIMEOUT_S, TimeUnit.SECONDS);
            return host;
        }

        private DashboardServer dashboard(List<DevicePlugin<?>> devices, KernelCounters.Source kernelCounters,
                                          SimulatedHost simulated) {
            VmbusConfig.Dashboard d = config.dashboard();
            if (!d.enabled()) {
                return null;
            }
            return new DashboardServer(new DashboardOptions(d, devices, kernelCounters, DeviceRegistry.sections(config)),
                    simulated != null ? new SimulatedHostControl(simulated) : null);
        }

        private String deploy(Deployable verticle) throws Exception {
            return vertx.deployVerticle(verticle).await(START_TIMEOUT_S, TimeUnit.SECONDS);
        }

        /**
         * The dashboard on a worker context (one thread at a time, as on an event loop, but a pool thread): building
         * and encoding a view of 256 channels takes tens of milliseconds, which on an event loop would hold up the
         * channels that share it (issue 22).
         */
        private String deployDashboard(DashboardServer dashboard) throws Exception {
            return vertx.deployVerticle(dashboard, new io.vertx.core.DeploymentOptions()
                    .setThreadingModel(io.vertx.core.ThreadingModel.WORKER)).await(START_TIMEOUT_S, TimeUnit.SECONDS);
        }
    }
}
