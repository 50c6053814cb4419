package dev.vmbus.bench;

import dev.vmbus.agent.Agent;
import dev.vmbus.agent.AgentVertx;
import dev.vmbus.channel.Offer;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.TransportType;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code vmbus bench stream}: a one-way stream through transfer pages with completions, netvsc's receive path:
 * the host copies each message into a receive-buffer slot and sends transfer-page packets, the guest's device reads
 * each message in place, checks its sequence number and completes the packet, which frees the slots. Rows, per
 * payload size, all in one run: {@code ring} (the same work on bare rings, two busy threads: the ring's own
 * figure), {@code eventbus} (the message as a byte[] request to another verticle, the reply as its completion,
 * as many in flight as there are slots), and the agent on {@code sim} and {@code shm} with the device taking drain
 * batches ({@code +batch}) and, on sim, one event-bus request per packet ({@code +perpacket}); {@code sim2} is sim
 * with the host end on an event loop of its own (as a real host is another machine) instead of the agent's one.
 */
@Command(name = "stream", mixinStandardHelpOptions = true,
        header = "One-way transfer-page stream with completions on sim and shm, beside the bare ring and the event bus.",
        description = "Messages per second through transfer pages and completions (netvsc's receive path), on bare "
                + "rings, the plain event bus, and the agent on sim and shm, printed as a table (docs/benchmarks/stream.md).")
public final class StreamCommand implements Callable<Integer> {
    /** Receive-buffer slots: what may be with the guest at once. */
    static final int SLOTS = 1024;

    @Spec
    CommandSpec spec;

    @Mixin
    RowOptions options;

    @Option(names = "--payload", paramLabel = "64,1500", split = ",",
            description = "Message sizes in bytes, one row set each (default: 64,1500).")
    List<Integer> payloads = List.of(64, 1500);

    @Option(names = "--ranges", paramLabel = "N",
            description = "Messages per transfer-page packet, one range each (default: ${DEFAULT-VALUE}).")
    int ranges = 1;

    @Option(names = "--rows", paramLabel = "ring,sim+batch", split = ",",
            description = "Only these rows, of ring, eventbus, sim+batch, sim2+batch, sim+perpacket, shm+batch (default: "
                    + "all; the x columns need the ring and eventbus rows).")
    List<String> only = ROWS;

    @Option(names = "--jmh", paramLabel = "LABEL=FILE",
            description = "The ring's own JMH figure: a JMH JSON result of RingThroughputBenchmark with impl=vmbus-xfer "
                    + "at every --payload size (scripts/bench.sh stream makes them in the same run), one row "
                    + "'jmh:LABEL' each; the x jmh column divides by the first one given.")
    java.util.LinkedHashMap<String, Path> jmh = new java.util.LinkedHashMap<>();

    /** The rows; {@code sim2}: sim with the host end on an event loop of its own. */
    static final List<String> ROWS = List.of("ring", "eventbus", "sim+batch", "sim2+batch", "sim+perpacket",
            "shm+batch");

    /**
     * One row: messages and VMBus packets per second, and the CPU time the whole process spent per message over
     * the measured window (every thread's, so it counts the two busy threads of the ring row and both ends of sim;
     * unlike the rate it hardly moves when other work shares the machine).
     */
    record Row(String scenario, int payload, int ranges, double messagesPerSecond, double packetsPerSecond,
               double cpuNanosPerMessage) {
        JsonObject toJson() {
            JsonObject json = new JsonObject().put("scenario", scenario).put("payload", payload).put("ranges", ranges)
                    .put("messagesPerSecond", messagesPerSecond).put("packetsPerSecond", packetsPerSecond);
            return Double.isNaN(cpuNanosPerMessage) ? json : json.put("cpuNanosPerMessage", cpuNanosPerMessage);
        }
    }

    /** CPU time of every thread of this process so far, in nanoseconds. */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    @Override
    public Integer call() throws Exception {
        double seconds = options.seconds();
        double warmup = options.warmup();
        if (ranges < 1 || ranges > 64) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--ranges must be 1 to 64, got " + ranges);
        }
        for (String row : only) {
            if (!ROWS.contains(row)) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "--rows: no row " + row + "; the rows are " + String.join(", ", ROWS));
            }
        }
        List<JmhBaseline> baselines = new ArrayList<>();
        for (var e : jmh.entrySet()) {
            try {
                baselines.add(JmhBaseline.read(e.getKey(), e.getValue()));
            } catch (IOException | IllegalArgumentException ex) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--jmh " + e.getKey() + ": "
                        + (ex instanceof IOException ? "cannot read " + e.getValue() + ": " : "") + ex.getMessage());
            }
        }
        List<Row> rows = new ArrayList<>();
        for (int payload : payloads) {
            if (payload < 8 || payload > 65536) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "--payload must be 8 to 65536 bytes (a sequence number leads each message), got " + payload);
            }
            for (JmhBaseline baseline : baselines) {
                double rate;
                try {
                    rate = baseline.at(payload);
                } catch (IllegalArgumentException ex) {
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--jmh " + baseline.label()
                            + ": " + ex.getMessage());
                }
                rows.add(new Row("jmh:" + baseline.label(), payload, 1, rate, rate, Double.NaN));
            }
            if (only.contains("ring")) {
                double[] ring = RingStream.run(payload, warmup, seconds);
                rows.add(new Row("ring", payload, 1, ring[0], ring[0], ring[1]));
            }
            if (only.contains("eventbus")) {
                double[] bus = eventBus(payload, warmup, seconds);
                rows.add(new Row("eventbus", payload, 1, bus[0], bus[0], bus[1]));
            }
            if (only.contains("sim+batch")) {
                rows.add(agent(TransportType.SIM, false, true, payload, warmup, seconds));
            }
            if (only.contains("sim2+batch")) {
                rows.add(agent(TransportType.SIM, true, true, payload, warmup, seconds));
            }
            if (only.contains("sim+perpacket")) {
                rows.add(agent(TransportType.SIM, false, false, payload, warmup, seconds));
            }
            if (only.contains("shm+batch")) {
                rows.add(agent(TransportType.SHM, false, true, payload, warmup, seconds));
            }
        }
        print(rows, spec.commandLine().getOut());
        JsonArray out = new JsonArray();
        rows.forEach(r -> out.add(r.toJson()));
        options.write(out);
        return 0;
    }

    /**
     * The agent with the stream device, the host end streaming into it; {@code hostLoop}: on sim, the host end on an
     * event loop of its own ({@link Agent.Builder#simHostLoop}).
     */
    private Row agent(TransportType transport, boolean hostLoop, boolean batched, int payload, double warmup,
                      double seconds) throws Exception {
        int slotSize = RingStream.slotSize(payload);
        CompletableFuture<StreamHost> hostReady = new CompletableFuture<>();
        Agent.HostEnd hostEnd = (context, host) -> {
            StreamHost stream = new StreamHost(context, payload, ranges);
            hostReady.complete(stream);
            return host.start().compose(v -> host.offer(
                    new Offer(1, StreamPlugin.CLASS_ID, UUID.randomUUID(), 0, 256 * 1024),
                    new HostTransport.Buffers((long) slotSize * SLOTS, 64 * 1024), stream));
        };
        return BenchCommand.withAgent(transport, hostLoop, hostEnd, new StreamPlugin(batched, SLOTS), () -> {
            StreamHost stream = hostReady.get(10, TimeUnit.SECONDS);
            stream.opened().await(10, TimeUnit.SECONDS);
            on(stream.context(), stream::start);
            Thread.sleep((long) (warmup * 1000));
            long[] from = on(stream.context(), () -> new long[] {stream.start(), stream.completedPackets()});
            long t0 = System.nanoTime();
            long cpu0 = processCpuNanos();
            Thread.sleep((long) (seconds * 1000));
            long[] to = on(stream.context(), () -> new long[] {stream.stop(), stream.completedPackets()});
            long cpu = processCpuNanos() - cpu0;
            double elapsed = (System.nanoTime() - t0) / 1e9;
            String failure = on(stream.context(), stream::failure);
            if (failure != null) {
                throw new IllegalStateException(transport.configName() + " stream failed: " + failure);
            }
            return new Row(transport.configName() + (hostLoop ? "2" : "") + (batched ? "+batch" : "+perpacket"), payload, ranges,
                    (to[0] - from[0]) / elapsed, (to[1] - from[1]) / elapsed, (double) cpu / (to[0] - from[0]));
        });
    }

    private static <T> T on(Context context, java.util.function.Supplier<T> action) throws Exception {
        return OnContext.supply(context, action).await(10, TimeUnit.SECONDS);
    }

    /**
     * The baseline: each message a fresh byte[] copy (as the host copies it into a slot) sent as a request to a
     * consumer verticle, which checks its sequence number and replies (the completion); {@link #SLOTS} in flight.
     */
    private static double[] eventBus(int payload, double warmup, double seconds) throws Exception {
        Vertx vertx = AgentVertx.create();
        try {
            vertx.deployVerticle(new VerticleBase() {
                private long expected;

                @Override
                public Future<?> start() {
                    return vertx.eventBus().<byte[]>localConsumer("bench.stream", m -> {
                        long seq = MemorySegment.ofArray(m.body()).get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
                        if (seq != expected++) {
                            m.fail(500, "message " + seq + " out of order");
                            return;
                        }
                        m.reply(null);
                    }).completion();
                }
            }).await(10, TimeUnit.SECONDS);
            EventBusStream client = new EventBusStream(payload);
            vertx.deployVerticle(client).await(10, TimeUnit.SECONDS);
            on(client.context(), client::begin);
            Thread.sleep((long) (warmup * 1000));
            long from = on(client.context(), client::completed);
            long t0 = System.nanoTime();
            long cpu0 = processCpuNanos();
            Thread.sleep((long) (seconds * 1000));
            long n = on(client.context(), client::finish) - from;
            long cpu = processCpuNanos() - cpu0;
            double rate = n / ((System.nanoTime() - t0) / 1e9);
            String failure = on(client.context(), client::failure);
            if (failure != null) {
                throw new IllegalStateException("event-bus stream failed: " + failure);
            }
            return new double[] {rate, (double) cpu / n};
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    /** Keeps {@link #SLOTS} messages in flight to bench.stream. */
    private static final class EventBusStream extends VerticleBase {
        private final byte[] template;
        private boolean running;
        private long sequence;
        private long completed;
        private String failure;

        EventBusStream(int payload) {
            template = new byte[payload];
        }

        Context context() {
            return context;
        }

        long begin() {
            running = true;
            for (int i = 0; i < SLOTS; i++) {
                send();
            }
            return completed;
        }

        long completed() {
            return completed;
        }

        long finish() {
            running = false;
            return completed;
        }

        String failure() {
            return failure;
        }

        private void send() {
            byte[] message = template.clone();
            MemorySegment.ofArray(message).set(ValueLayout.JAVA_LONG_UNALIGNED, 0, sequence++);
            vertx.eventBus().request("bench.stream", message).onComplete(ar -> {
                if (ar.failed()) {
                    failure = ar.cause().getMessage();
                    running = false;
                    return;
                }
                completed++;
                if (running) {
                    send();
                }
            });
        }
    }

    private static void print(List<Row> rows, java.io.PrintWriter out) {
        out.printf("%-15s %8s %7s %14s %14s %8s %8s %8s %12s%n", "scenario", "payload", "ranges",
                "messages/s", "packets/s", "x jmh", "x ring", "x bus", "cpu ns/msg");
        double jmh = Double.NaN;
        double ring = Double.NaN;
        double bus = Double.NaN;
        int payload = -1;
        for (Row r : rows) {
            if (r.payload() != payload) { // each payload's rows against its own baselines (NaN if not run)
                payload = r.payload();
                jmh = Double.NaN;
                ring = Double.NaN;
                bus = Double.NaN;
            }
            if (r.scenario().startsWith("jmh:") && Double.isNaN(jmh)) {
                jmh = r.messagesPerSecond();
            } else if (r.scenario().equals("ring")) {
                ring = r.messagesPerSecond();
            } else if (r.scenario().equals("eventbus")) {
                bus = r.messagesPerSecond();
            }
            out.printf("%-15s %8d %7d %14.0f %14.0f %8.2f %8.2f %8.2f %12.0f%n", r.scenario(), r.payload(),
                    r.ranges(), r.messagesPerSecond(), r.packetsPerSecond(), r.messagesPerSecond() / jmh,
                    r.messagesPerSecond() / ring, r.messagesPerSecond() / bus, r.cpuNanosPerMessage());
        }
        out.flush();
    }
}
