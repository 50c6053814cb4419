package dev.vmbus.bench;

import dev.vmbus.agent.Agent;
import dev.vmbus.agent.AgentVertx;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.Offer;
import dev.vmbus.config.TransportType;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.device.heartbeat.HeartbeatHandler;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.transport.OnContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code vmbus bench}: heartbeat-sized round trips host -> ring -> channel verticle -> event bus -> heartbeat
 * handler -> ring -> host, on {@code sim} and on {@code shm} (host and guest in this JVM on separate Vert.x
 * instances, talking through a real ring file and real Unix sockets), next to a plain Vert.x event-bus
 * request/reply between two verticles measured in the same run. Every Vert.x instance has the agent's options
 * ({@link AgentVertx}). Latencies are recorded in HdrHistogram (see {@link BenchResult}).
 * {@code vmbus bench footprint} is {@link FootprintCommand}, {@code vmbus bench stream} {@link StreamCommand},
 * {@code vmbus bench net} {@link NetBenchCommand}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        subcommands = {FootprintCommand.class, StreamCommand.class, NetBenchCommand.class},
        header = "End-to-end round trips on sim and shm, printed as a table.",
        description = "Heartbeat round trips through the whole stack on sim and shm, next to a plain event-bus "
                + "request/reply measured in the same run, printed as a table (docs/benchmarks/roundtrip.md).")
public final class BenchCommand implements Callable<Integer> {
    @Mixin
    RowOptions options;

    @Option(names = "--window", paramLabel = "1,16", split = ",",
            description = "Requests in flight, one row set per value (default: 1,16).")
    List<Integer> window = List.of(1, 16);

    @Override
    public Integer call() throws Exception {
        double seconds = options.seconds();
        double warmup = options.warmup();
        List<Integer> windows = new ArrayList<>();
        for (int w : window) {
            windows.add(Math.max(1, w));
        }
        List<BenchResult> results = new ArrayList<>();
        for (int window : windows) {
            results.add(eventBus(window, warmup, seconds));
            results.add(channel(TransportType.SIM, window, warmup, seconds));
            results.add(channel(TransportType.SHM, window, warmup, seconds));
        }
        print(results);
        JsonArray out = new JsonArray();
        results.forEach(r -> out.add(r.toJson()));
        options.write(out);
        return 0;
    }

    /** A non-negative number of seconds given as {@code name}, or a usage error naming it. */
    static double number(CommandSpec spec, String name, String text) {
        try {
            double v = Double.parseDouble(text);
            if (v >= 0 && !Double.isInfinite(v)) {
                return v;
            }
        } catch (NumberFormatException e) {
            // the same message as a negative one
        }
        throw new ParameterException(spec.commandLine(), name + " must be a non-negative number, got '" + text + "'");
    }

    /** Writes {@code results} to the {@code --json} file {@code file}, pretty-printed, making its directory. */
    static void writeJson(Path file, JsonObject results) throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        Files.writeString(file, results.encodePrettily());
    }

    /**
     * One heartbeat channel from a host end to the agent, measured on the host. On sim the agent's own Vert.x serves
     * the host end; on shm the host side is a second agent (its own Vert.x) serving a temporary directory.
     */
    private static BenchResult channel(TransportType transport, int window, double warmup, double seconds)
            throws Exception {
        Promise<RoundTripHost> roundTripHost = Promise.promise();
        Agent.HostEnd hostEnd = (context, host) -> {
            RoundTripHost roundTrips = new RoundTripHost(context, window);
            roundTripHost.tryComplete(roundTrips);
            return host.start().compose(v -> host.offer(
                    new Offer(1, DeviceClass.HEARTBEAT.classId(), UUID.randomUUID(), 0, 16 * 1024), roundTrips));
        };
        return withAgent(transport, hostEnd, new HeartbeatHandler(), () -> {
            RoundTripHost roundTrips = roundTripHost.future().await(10, TimeUnit.SECONDS);
            roundTrips.opened().await(10, TimeUnit.SECONDS);
            measure(roundTrips.context(), roundTrips::start, roundTrips::stop, warmup);
            Histogram rec = measure(roundTrips.context(), roundTrips::start, roundTrips::stop, seconds);
            return BenchResult.of(transport.configName(), window, rec, seconds);
        });
    }

    /**
     * Runs {@code body} while the agent with {@code handler} alone runs on {@code transport} against
     * {@code hostEnd}: on sim in the agent's own Vert.x, on shm in a host-side agent of its own (its own Vert.x)
     * serving a temporary directory. Then closes both and removes the directory.
     */
    static <T> T withAgent(TransportType transport, Agent.HostEnd hostEnd, DevicePlugin<?> handler, Callable<T> body)
            throws Exception {
        return withAgent(transport, false, hostEnd, handler, body);
    }

    /** As {@link #withAgent(TransportType, Agent.HostEnd, DevicePlugin, Callable)}; {@code simHostLoop}: see
     * {@link Agent.Builder#simHostLoop}. */
    static <T> T withAgent(TransportType transport, boolean simHostLoop, Agent.HostEnd hostEnd, DevicePlugin<?> handler,
                           Callable<T> body) throws Exception {
        Path dir = transport == TransportType.SHM ? Files.createTempDirectory("vmbus-bench") : null;
        VmbusConfig config = config(transport, dir);
        Agent hostSide = null;
        Agent agent = null;
        try {
            if (transport == TransportType.SHM) {
                hostSide = Agent.hostBuilder(config).hostEnd(hostEnd).start();
            }
            Agent.Builder guest = Agent.builder(config).handlers(List.of(handler));
            agent = (transport == TransportType.SIM ? guest.hostEnd(hostEnd).simHostLoop(simHostLoop) : guest).start();
            return body.call();
        } finally {
            for (Agent a : new Agent[] {agent, hostSide}) {
                if (a != null) {
                    a.close();
                }
            }
            if (dir != null) {
                try (var files = Files.list(dir)) {
                    for (Path p : files.toList()) {
                        Files.deleteIfExists(p);
                    }
                }
                Files.deleteIfExists(dir);
            }
        }
    }

    /** The defaults, on {@code transport} (shm in {@code dir}), without a dashboard. */
    static VmbusConfig config(TransportType transport, Path dir) {
        VmbusConfig defaults = VmbusConfig.DEFAULTS;
        VmbusConfig.Transport t = defaults.transport().withType(transport);
        VmbusConfig.Dashboard d = defaults.dashboard();
        return defaults.withTransport(dir != null ? t.withShmDir(dir.toString()) : t)
                .withDashboard(new VmbusConfig.Dashboard(false, d.host(), d.port(), d.token(), d.updateIntervalMs(),
                        d.health()));
    }

    /** The baseline: a plain event-bus request/reply between two verticles, same window. */
    private static BenchResult eventBus(int window, double warmup, double seconds) throws Exception {
        Vertx vertx = AgentVertx.create();
        try {
            vertx.deployVerticle(new VerticleBase() {
                @Override
                public Future<?> start() {
                    return vertx.eventBus().<Long>localConsumer("bench.echo", m -> m.reply(m.body() + 1)).completion();
                }
            }).await(10, TimeUnit.SECONDS);
            EventBusClient client = new EventBusClient(window);
            vertx.deployVerticle(client).await(10, TimeUnit.SECONDS);
            measure(client.context(), client::begin, client::finish, warmup);
            return BenchResult.of("eventbus", window, measure(client.context(), client::begin, client::finish, seconds), seconds);
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    /** Keeps {@code window} requests to bench.echo in flight and records each round trip. */
    private static final class EventBusClient extends VerticleBase {
        private final int window;
        private Histogram recorder = BenchResult.recorder();
        private boolean running;
        private long sequence;

        EventBusClient(int window) {
            this.window = window;
        }

        Context context() {
            return context;
        }

        void begin() {
            recorder = BenchResult.recorder();
            running = true;
            for (int i = 0; i < window; i++) {
                send();
            }
        }

        Histogram finish() {
            running = false;
            return recorder;
        }

        private void send() {
            long started = System.nanoTime();
            vertx.eventBus().<Long>request("bench.echo", sequence++).onSuccess(m -> {
                if (running) {
                    recorder.recordValue(System.nanoTime() - started);
                    send();
                }
            });
        }
    }

    /** Runs the loop for {@code seconds} and returns what it recorded. */
    private static Histogram measure(Context context, Runnable start,
                                           java.util.function.Supplier<Histogram> stop, double seconds)
            throws Exception {
        context.runOnContext(v -> start.run());
        Thread.sleep((long) (seconds * 1000));
        Histogram rec = OnContext.supply(context, stop).await(10, TimeUnit.SECONDS);
        Thread.sleep(100); // let the replies still in flight drain before the next run starts
        return rec;
    }

    private static void print(List<BenchResult> results) {
        System.out.printf("%-10s %6s %14s %12s %10s %10s %10s %10s%n", "scenario", "window", "round trips",
                "per second", "p50 us", "p99 us", "p99.9 us", "max us");
        double baseline = Double.NaN;
        for (BenchResult r : results) {
            if (r.scenario().equals("eventbus")) {
                baseline = r.perSecond();
            }
            System.out.printf("%-10s %6d %14d %12.0f %10.1f %10.1f %10.1f %10.1f%s%n", r.scenario(), r.window(),
                    r.roundTrips(), r.perSecond(), r.p50Micros(), r.p99Micros(), r.p999Micros(), r.maxMicros(),
                    r.scenario().equals("eventbus") ? "" : String.format("   (%.2f x event bus)", r.perSecond() / baseline));
        }
    }
}
