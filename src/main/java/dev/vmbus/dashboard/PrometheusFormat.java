package dev.vmbus.dashboard;

import dev.vmbus.bus.AgentSnapshot;
import dev.vmbus.bus.ChannelView;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.ChannelStats;
import dev.vmbus.channel.HostComplaints;
import dev.vmbus.channel.PacketCounts;
import dev.vmbus.ring.RingSnapshot;
import dev.vmbus.runtime.Outstanding;
import dev.vmbus.spi.SendSections;
import dev.vmbus.transport.KernelCounters;
import dev.vmbus.spi.DevicePlugin;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vertx.core.json.JsonObject;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * {@code /metrics}: the agent's typed snapshot (and the health the dashboard decided, {@link HealthMetrics}) in the
 * Prometheus text exposition format 0.0.4, through client_java's callback metrics and its text writer: snake_case
 * names with base units, {@code _total} on counters, one series per channel labelled with {@code relid} and
 * {@code class} (plus {@code ring} or {@code direction} where a channel has two). Every value is read from a record
 * accessor, so renaming a field breaks the build, not the scrape.
 *
 * <p>The library writes families in name order and labels in name order, values as Java doubles ({@code 6.0},
 * {@code 4.294967295E9}), and leaves out a family with no samples (so the kernel's families appear only on uio).
 *
 * <p>Threads: the registry and its callbacks are built once; {@link #render} sets the snapshot its callbacks read
 * for one synchronous scrape, so an instance is used on one context (the dashboard's) only.
 */
final class PrometheusFormat {
    static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private static final String[] ID = {"relid", "class"};
    private static final String[] ID_RING = {"relid", "class", "ring"};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final HealthMetrics health;
    /** What the callbacks read during one {@link #render}. */
    private AgentSnapshot agent = new AgentSnapshot(0, List.of());
    /** What the host got wrong on the transport's control connection, during one {@link #render}; null: none. */
    private HostComplaints.Tally transport;

    PrometheusFormat() {
        this(Map.of());
    }

    /** With the gauges each of {@code devices} declares ({@link DevicePlugin#gauges}). */
    PrometheusFormat(Map<String, DevicePlugin<?>> devices) {
        gauge("vmbus_channels", "Channels the host offers, by state.", new String[] {"state"}, cb -> {
            Map<ChannelState, Integer> byState = new EnumMap<>(ChannelState.class);
            for (ChannelView c : agent.channels()) {
                byState.merge(c.state(), 1, Integer::sum);
            }
            byState.forEach((state, n) -> cb.call(n, StatsJson.state(state)));
        });
        gauge("vmbus_channel_info", "Identity of each channel; always 1.",
                new String[] {"relid", "class", "class_id", "instance_id", "subchannel", "state"}, cb -> {
                    for (ChannelView c : agent.channels()) {
                        cb.call(1, Integer.toString(c.relid()), c.className(), c.offer().classId().toString(),
                                c.offer().instanceId().toString(), Integer.toString(c.offer().subchannel()),
                                StatsJson.state(c.state()));
                    }
                });
        counter("vmbus_channel_interrupts_total", "Signals received from the host, counted by the agent.",
                ChannelStats::interrupts);
        counter("vmbus_channel_events_total", "Signals sent to the host, counted by the agent.", ChannelStats::events);
        counter("vmbus_channel_intr_in_full_total", "Signals sent because the blocked host got room in the inbound ring.",
                ChannelStats::intrInFull);
        counter("vmbus_channel_intr_out_empty_total",
                "Signals sent because the outbound ring went from empty to non-empty.", ChannelStats::intrOutEmpty);
        counter("vmbus_channel_out_full_first_total", "First send attempts of a run that found the outbound ring full.",
                ChannelStats::outFullFirst);
        counter("vmbus_channel_out_full_attempts_total",
                "All send attempts (and pending_send_sz armings) that found the outbound ring full (Linux out_full_total).",
                ChannelStats::outFullTotal);
        byDirection("vmbus_channel_packets_total", "Packets moved through the channel, by direction.",
                ChannelStats::packetsIn, ChannelStats::packetsOut);
        byDirection("vmbus_channel_bytes_total",
                "Ring bytes moved through the channel (packets with trailers), by direction.",
                ChannelStats::bytesIn, ChannelStats::bytesOut);
        counter("vmbus_channel_malformed_packets_total", "Packets or indices from the host rejected as malformed.",
                ChannelStats::malformed);
        counter("vmbus_channel_requestor_rejections_total", "Completions rejected by the requestor.",
                ChannelStats::requestorRejected);
        CounterWithCallback.builder().name("vmbus_channel_host_complaints_total")
                .help("Messages from the host rejected or refused, by reason (each logged only up to a rate limit).")
                .labelNames("relid", "class", "reason").callback(cb -> {
                    for (ChannelView c : agent.channels()) {
                        HostComplaints.Tally t = c.complaints();
                        if (t != null) {
                            for (HostComplaints.Kind kind : HostComplaints.Kind.values()) {
                                cb.call(t.count(kind), Integer.toString(c.relid()), c.className(), kind.label());
                            }
                        }
                    }
                }).register(registry);
        CounterWithCallback.builder().name("vmbus_transport_host_complaints_total")
                .help("Transport control messages from the host rejected (not about one channel), by reason.")
                .labelNames("reason").callback(cb -> {
                    HostComplaints.Tally t = transport;
                    if (t != null) {
                        cb.call(t.count(HostComplaints.Kind.BAD_CONTROL_MESSAGE),
                                HostComplaints.Kind.BAD_CONTROL_MESSAGE.label());
                    }
                }).register(registry);
        CounterWithCallback.builder().name("vmbus_channel_log_lines_suppressed_total")
                .help("Log lines about host mistakes not written because of the per-channel rate limit.")
                .labelNames(ID).callback(cb -> {
                    for (ChannelView c : agent.channels()) {
                        if (c.complaints() != null) {
                            cb.call(c.complaints().logLinesSuppressed(), Integer.toString(c.relid()), c.className());
                        }
                    }
                }).register(registry);
        CounterWithCallback.builder().name("vmbus_channel_packets_by_type_total")
                .help("Packets moved through the channel, by direction and VMBus packet type.")
                .labelNames("relid", "class", "direction", "type").callback(cb -> {
                    for (ChannelView c : agent.channels()) {
                        if (c.live()) {
                            String relid = Integer.toString(c.relid());
                            byType(cb, relid, c.className(), "in", c.stats().packetsInByType());
                            byType(cb, relid, c.className(), "out", c.stats().packetsOutByType());
                        }
                    }
                }).register(registry);
        outstanding("vmbus_channel_completions_owed",
                "Transfer-page packets the device has not completed yet (the host waits for their slots).",
                Outstanding::completionsOwed);
        outstanding("vmbus_channel_completions_awaited",
                "Packets sent asking for a completion that the host has not sent yet.", Outstanding::completionsAwaited);
        outstanding("vmbus_channel_receive_slots_held",
                "Receive-buffer slots (transfer-page ranges) the device holds until it completes their packets.",
                Outstanding::receiveSlotsHeld);
        outstanding("vmbus_channel_credit_used",
                "Credit units the device holds (one per packet, one per receive-buffer slot).", Outstanding::creditUsed);
        outstanding("vmbus_channel_credit_limit",
                "The channel's credit: no packet is taken while the device holds this many units.", Outstanding::credit);
        sections("vmbus_channel_send_sections_in_use", "Send-buffer sections the device has taken and not given back.",
                SendSections.Use::inUse);
        sections("vmbus_channel_send_sections", "Send-buffer sections the device cut its send buffer into.",
                SendSections.Use::count);
        ring("vmbus_ring_used_bytes", "Bytes written and not yet consumed, per ring.", r -> Math.max(0, r.bytesToRead()));
        ring("vmbus_ring_free_bytes", "Bytes the producer may still write, per ring.", r -> Math.max(0, r.bytesToWrite()));
        ring("vmbus_ring_size_bytes", "Size of the ring's data area.", RingSnapshot::dataSize);
        ring("vmbus_ring_interrupt_masked", "1 while the ring's consumer has interrupts masked.",
                r -> r.interruptMask() != 0 ? 1 : 0);
        ring("vmbus_ring_pending_send_bytes", "The blocked producer's pending_send_sz (0 when not blocked).",
                r -> r.pendingSendSize() & 0xFFFF_FFFFL);
        kernelFamilies();
        health = new HealthMetrics(registry, devices);
    }

    /** The exposition text of the channel families alone (no health view). */
    String render(AgentSnapshot snapshot) {
        return render(snapshot, new JsonObject(), null, System.currentTimeMillis());
    }

    /**
     * @param view {@code {channels, devices}} as annotated by {@link HealthRules#annotate}, for the health and
     *             device families
     * @param transportComplaints the agent's complaints about the transport's control connection
     *             ({@link HostComplaints#TRANSPORT}), or null where there is no such connection to count
     */
    String render(AgentSnapshot snapshot, JsonObject view, HostComplaints.Tally transportComplaints, long nowMillis) {
        agent = snapshot;
        transport = transportComplaints;
        health.set(view, nowMillis);
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
        } finally {
            agent = new AgentSnapshot(0, List.of());
            transport = null;
            health.set(null, 0);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private void gauge(String name, String help, String[] labels, java.util.function.Consumer<GaugeWithCallback.Callback> cb) {
        GaugeWithCallback.builder().name(name).help(help).labelNames(labels).callback(cb::accept).register(registry);
    }

    private void counter(String name, String help, ToLongFunction<ChannelStats> value) {
        CounterWithCallback.builder().name(name).help(help).labelNames(ID).callback(cb -> {
            for (ChannelView c : agent.channels()) {
                if (c.live()) {
                    cb.call(value.applyAsLong(c.stats()), Integer.toString(c.relid()), c.className());
                }
            }
        }).register(registry);
    }

    private void byDirection(String name, String help, ToLongFunction<ChannelStats> in, ToLongFunction<ChannelStats> out) {
        CounterWithCallback.builder().name(name).help(help).labelNames("relid", "class", "direction").callback(cb -> {
            for (ChannelView c : agent.channels()) {
                if (c.live()) {
                    String relid = Integer.toString(c.relid());
                    cb.call(in.applyAsLong(c.stats()), relid, c.className(), "in");
                    cb.call(out.applyAsLong(c.stats()), relid, c.className(), "out");
                }
            }
        }).register(registry);
    }

    private static void byType(CounterWithCallback.Callback cb, String relid, String className, String direction,
                               PacketCounts counts) {
        cb.call(counts.inBand(), relid, className, direction, "inband");
        cb.call(counts.transferPages(), relid, className, direction, "transfer_pages");
        cb.call(counts.gpaDirect(), relid, className, direction, "gpa_direct");
        cb.call(counts.completions(), relid, className, direction, "completion");
    }

    private void outstanding(String name, String help, ToLongFunction<Outstanding> value) {
        gauge(name, help, ID, cb -> {
            for (ChannelView c : agent.channels()) {
                if (c.outstanding() != null) {
                    cb.call(value.applyAsLong(c.outstanding()), Integer.toString(c.relid()), c.className());
                }
            }
        });
    }

    private void sections(String name, String help, ToLongFunction<SendSections.Use> value) {
        gauge(name, help, ID, cb -> {
            for (ChannelView c : agent.channels()) {
                if (c.sections() != null) {
                    cb.call(value.applyAsLong(c.sections()), Integer.toString(c.relid()), c.className());
                }
            }
        });
    }

    private void ring(String name, String help, ToLongFunction<RingSnapshot> value) {
        gauge(name, help, ID_RING, cb -> {
            for (ChannelView c : agent.channels()) {
                if (c.live()) {
                    String relid = Integer.toString(c.relid());
                    cb.call(value.applyAsLong(c.stats().inbound()), relid, c.className(), "inbound");
                    cb.call(value.applyAsLong(c.stats().outbound()), relid, c.className(), "outbound");
                }
            }
        });
    }

    /**
     * The kernel's own per-channel sysfs attributes (drivers/hv/vmbus_drv.c), read on the uio transport, as families
     * of their own so they are never read as the agent's. Without kernel data they have no samples, and so no lines.
     */
    private void kernelFamilies() {
        kernelCounter("vmbus_kernel_channel_interrupts_total",
                "The kernel's count of channel callbacks for host interrupts (sysfs channels/<relid>/interrupts).",
                KernelCounters::interrupts);
        kernelCounter("vmbus_kernel_channel_events_total",
                "The kernel's count of signals it sent to the host, on uio the write(1) kicks of unmonitored channels (sysfs events).",
                KernelCounters::events);
        kernelCounter("vmbus_kernel_channel_intr_in_full_total",
                "The kernel's own ring counter intr_in_full (still while userspace owns the ring).",
                KernelCounters::intrInFull);
        kernelCounter("vmbus_kernel_channel_intr_out_empty_total",
                "The kernel's own ring counter intr_out_empty (still while userspace owns the ring).",
                KernelCounters::intrOutEmpty);
        kernelCounter("vmbus_kernel_channel_out_full_first_total",
                "The kernel's own ring counter out_full_first (still while userspace owns the ring).",
                KernelCounters::outFullFirst);
        kernelCounter("vmbus_kernel_channel_out_full_total",
                "The kernel's own ring counter out_full_total (still while userspace owns the ring).",
                KernelCounters::outFullTotal);
        gauge("vmbus_kernel_channel_interrupt_mask",
                "interrupt_mask of a ring as the kernel reads it (sysfs in_mask, out_mask).", ID_RING, cb -> {
                    for (ChannelView c : agent.channels()) {
                        if (c.kernel() != null) {
                            String relid = Integer.toString(c.relid());
                            if (c.kernel().inMask() != null) {
                                cb.call(c.kernel().inMask(), relid, c.className(), "inbound");
                            }
                            if (c.kernel().outMask() != null) {
                                cb.call(c.kernel().outMask(), relid, c.className(), "outbound");
                            }
                        }
                    }
                });
        kernelGauge("vmbus_kernel_channel_read_avail_bytes",
                "Bytes to read in the inbound ring as the kernel computes them (sysfs read_avail).",
                KernelCounters::readAvail);
        kernelGauge("vmbus_kernel_channel_write_avail_bytes",
                "Bytes free in the outbound ring as the kernel computes them (sysfs write_avail).",
                KernelCounters::writeAvail);
        kernelGauge("vmbus_kernel_channel_target_cpu", "The CPU the host interrupts for this channel (sysfs cpu).",
                KernelCounters::cpu);
        kernelGauge("vmbus_kernel_channel_monitor_pending", "Monitor pending bit of a monitored channel (sysfs pending).",
                KernelCounters::pending);
        kernelGauge("vmbus_kernel_channel_monitor_latency",
                "Monitor latency of a monitored channel in 100 ns units (sysfs latency).",
                KernelCounters::latency);
    }

    private void kernelCounter(String name, String help, Function<KernelCounters, Long> value) {
        CounterWithCallback.builder().name(name).help(help).labelNames(ID).callback(cb -> {
            for (ChannelView c : agent.channels()) {
                Long v = c.kernel() != null ? value.apply(c.kernel()) : null;
                if (v != null) {
                    cb.call(v, Integer.toString(c.relid()), c.className());
                }
            }
        }).register(registry);
    }

    private void kernelGauge(String name, String help, Function<KernelCounters, Long> value) {
        gauge(name, help, ID, cb -> {
            for (ChannelView c : agent.channels()) {
                Long v = c.kernel() != null ? value.apply(c.kernel()) : null;
                if (v != null) {
                    cb.call(v, Integer.toString(c.relid()), c.className());
                }
            }
        });
    }
}
