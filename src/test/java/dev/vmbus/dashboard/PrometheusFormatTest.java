package dev.vmbus.dashboard;

import dev.vmbus.spi.DeviceGauge;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.bus.AgentSnapshot;
import dev.vmbus.bus.ChannelView;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.ChannelStats;
import dev.vmbus.channel.PacketCounts;
import dev.vmbus.runtime.Outstanding;
import dev.vmbus.spi.SendSections;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.HostComplaints;
import dev.vmbus.channel.Offer;
import dev.vmbus.ring.RingSnapshot;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The exposition text of {@link PrometheusFormat}, from hand-made typed snapshots. */
class PrometheusFormatTest {
    static final UUID HEARTBEAT_CLASS = UUID.fromString("57164f39-9115-4e78-ab55-382f3bd5422d");
    static final UUID HEARTBEAT_INSTANCE = UUID.fromString("fd149e91-82e0-4a7d-afa6-2a4166cbd7c0");
    static final String WEIRD = "we\"ird\\cla\nss";

    static RingSnapshot ring(int used, int size, int mask, int pending) {
        return new RingSnapshot(used, 0, mask, pending, 1, size, used, size - used, size + 4096L);
    }

    static ChannelView sample(Offer offer, String className, long n) {
        ChannelStats s = new ChannelStats(ring(0, 12288, 0, 0xFFFF_FFFF), ring(64, 12288, 1, 0),
                n, n, n, n, n, n, n, n, n, n, n, n, new PacketCounts(n, 2 * n, 3 * n, 4 * n),
                new PacketCounts(5 * n, 0, 6 * n, 7 * n));
        Map<HostComplaints.Kind, Long> complaints = new EnumMap<>(HostComplaints.Kind.class);
        for (HostComplaints.Kind kind : HostComplaints.Kind.values()) {
            complaints.put(kind, 0L);
        }
        complaints.put(HostComplaints.Kind.NO_COMMON_VERSION, 4 * n);
        return new ChannelView(offer, className, ChannelState.OPEN, true, null, s,
                new HostComplaints.Tally(complaints, 4 * n - 5),
                new Outstanding((int) n + 2, (int) n + 3, 64, (int) n + 1, (int) n + 4, (int) n),
                new SendSections.Use((int) n, 1000, 6144), null);
    }

    static ChannelView open(Offer offer, String className, long n) {
        return sample(offer, className, n);
    }

    /** Two open channels (one with a hostile class name) and one faulted without stats. */
    static AgentSnapshot snapshot() {
        Offer one = new Offer(1, HEARTBEAT_CLASS, HEARTBEAT_INSTANCE, 0, 16384);
        Offer seven = new Offer(7, UUID.fromString("00000000-0000-0000-0000-000000000007"),
                UUID.fromString("00000000-0000-0000-0000-0000000000a7"), 2, 16384);
        Offer nine = new Offer(9, UUID.fromString("35fa2e29-ea23-4236-96ae-3a6ebacba440"),
                UUID.fromString("2450ee40-33bf-4fbd-892e-9fb06e9214cf"), 0, 16384);
        return new AgentSnapshot(1, List.of(open(one, "heartbeat", 7), open(seven, WEIRD, 3),
                ChannelView.listed(nine, "vss", ChannelState.FAULTED, true,
                        EndReason.of(EndReason.Kind.OPEN_FAILED, "open failed: no ring"))));
    }

    static String render(AgentSnapshot s) {
        return new PrometheusFormat().render(s);
    }

    @Test
    void escapesBackslashQuoteAndNewlineInLabelValues() {
        String text = render(snapshot());
        assertTrue(text.contains("class=\"we\\\"ird\\\\cla\\nss\""), text);
        assertEquals(1.0, Exposition.value(text, "vmbus_channel_info", "relid", "7", "class", WEIRD,
                "class_id", "00000000-0000-0000-0000-000000000007", "instance_id", "00000000-0000-0000-0000-0000000000a7",
                "subchannel", "2", "state", "open"), text);
        assertEquals(3.0, Exposition.value(text, "vmbus_channel_interrupts_total", "relid", "7", "class", WEIRD), text);
        for (String line : text.split("\n")) {
            assertFalse(line.isEmpty(), "a raw newline inside a label would split a sample");
            assertTrue(line.startsWith("# ") || line.startsWith("vmbus_"), line);
        }
    }

    @Test
    void everyFamilyHasHelpAndTypeBeforeItsSamples() {
        String text = render(snapshot());
        Map<String, String> types = new LinkedHashMap<>();
        Set<String> helped = new LinkedHashSet<>();
        for (String line : text.split("\n")) {
            String[] parts = line.split(" ", 4);
            if (line.startsWith("# HELP ")) {
                assertTrue(helped.add(parts[2]), "one HELP per family: " + parts[2]);
                assertTrue(parts.length == 4 && !parts[3].isBlank(), line);
            } else if (line.startsWith("# TYPE ")) {
                assertTrue(helped.contains(parts[2]), "HELP before TYPE: " + parts[2]);
                assertEquals(null, types.put(parts[2], parts[3]), "one TYPE per family");
                assertTrue(Set.of("counter", "gauge").contains(parts[3]), line);
            } else {
                String name = line.substring(0, line.indexOf('{'));
                assertTrue(types.containsKey(name), "sample before (or without) its TYPE: " + line);
                assertTrue(name.matches("[a-z_]+"), "snake_case: " + name);
            }
        }
        assertEquals(27, types.size(), types.toString());
        assertEquals(helped, types.keySet());
        assertTrue(text.contains("# HELP vmbus_channel_out_full_attempts_total All send attempts (and pending_send_sz"
                + " armings) that found the outbound ring full (Linux out_full_total).\n"), text);
    }

    @Test
    void countersEndInTotalAndGaugesDoNot() {
        String text = render(snapshot());
        int counters = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.split(" ");
                if (parts[3].equals("counter")) {
                    counters++;
                    assertTrue(parts[2].endsWith("_total"), parts[2]);
                } else {
                    assertFalse(parts[2].endsWith("_total"), parts[2]);
                }
            }
        }
        assertEquals(13, counters);
    }

    @Test
    void seriesPerChannelAndValues() {
        String text = render(snapshot());
        String[] one = {"relid", "1", "class", "heartbeat"};
        assertEquals(2.0, Exposition.value(text, "vmbus_channels", "state", "open"), text);
        assertEquals(1.0, Exposition.value(text, "vmbus_channels", "state", "faulted"), text);
        assertEquals(1.0, Exposition.value(text, "vmbus_channel_info", "relid", "9", "class", "vss",
                "class_id", "35fa2e29-ea23-4236-96ae-3a6ebacba440", "instance_id", "2450ee40-33bf-4fbd-892e-9fb06e9214cf",
                "subchannel", "0", "state", "faulted"), text);
        assertFalse(Exposition.has(text, "vmbus_channel_interrupts_total", "relid", "9"), "no stats, no counters");
        assertEquals(7.0, Exposition.value(text, "vmbus_channel_packets_total", with(one, "direction", "out")));
        assertEquals(7.0, Exposition.value(text, "vmbus_channel_out_full_attempts_total", one));
        assertEquals(64.0, Exposition.value(text, "vmbus_ring_used_bytes", with(one, "ring", "inbound")));
        assertEquals(12224.0, Exposition.value(text, "vmbus_ring_free_bytes", with(one, "ring", "inbound")));
        assertEquals(1.0, Exposition.value(text, "vmbus_ring_interrupt_masked", with(one, "ring", "inbound")));
        assertEquals(4294967295.0, Exposition.value(text, "vmbus_ring_pending_send_bytes", with(one, "ring", "outbound")), text);
        assertEquals(28.0, Exposition.value(text, "vmbus_channel_host_complaints_total", with(one, "reason", "no_common_version")), text);
        assertEquals(0.0, Exposition.value(text, "vmbus_channel_host_complaints_total", with(one, "reason", "channel_fault")), text);
        assertEquals(23.0, Exposition.value(text, "vmbus_channel_log_lines_suppressed_total", one), text);
        assertEquals(14.0, Exposition.value(text, "vmbus_channel_packets_by_type_total",
                with(with(one, "direction", "in"), "type", "transfer_pages")), text);
        assertEquals(49.0, Exposition.value(text, "vmbus_channel_packets_by_type_total",
                with(with(one, "direction", "out"), "type", "completion")), text);
        assertEquals(0.0, Exposition.value(text, "vmbus_channel_packets_by_type_total",
                with(with(one, "direction", "out"), "type", "transfer_pages")), text);
        assertEquals(8.0, Exposition.value(text, "vmbus_channel_completions_owed", one), text);
        assertEquals(7.0, Exposition.value(text, "vmbus_channel_completions_awaited", one), text);
        assertEquals(11.0, Exposition.value(text, "vmbus_channel_receive_slots_held", one), text);
        assertEquals(10.0, Exposition.value(text, "vmbus_channel_credit_used", one), text);
        assertEquals(64.0, Exposition.value(text, "vmbus_channel_credit_limit", one), text);
        assertEquals(7.0, Exposition.value(text, "vmbus_channel_send_sections_in_use", one), text);
        assertEquals(1000.0, Exposition.value(text, "vmbus_channel_send_sections", one), text);
    }

    @Test
    void theBufferFamiliesPassPromtool() throws Exception {
        String text = render(snapshot());
        assertEquals("0:", PromtoolTest.check(text), "promtool check metrics on:\n" + text);
    }

    @Test
    void anEmptySnapshotHasNoSamplesAndSoNoFamilies() {
        // client_java's writer leaves out a family without samples (HELP and TYPE included)
        String text = new PrometheusFormat().render(new AgentSnapshot(0, List.of()), new JsonObject(), null, 0);
        assertEquals("", text);
        assertNull(Exposition.value(render(snapshot()), "vmbus_channels", "state", "closed"), "only states that occur");
    }

    @Test
    void oneInstanceRendersEachSnapshotOnItsOwn() {
        PrometheusFormat f = new PrometheusFormat();
        assertTrue(f.render(snapshot()).contains("relid=\"7\""));
        Offer one = new Offer(1, HEARTBEAT_CLASS, HEARTBEAT_INSTANCE, 0, 16384);
        String second = f.render(new AgentSnapshot(2, List.of(open(one, "heartbeat", 11))));
        assertFalse(second.contains("relid=\"7\""), "nothing of the previous snapshot stays: " + second);
        assertEquals(11.0, Exposition.value(second, "vmbus_channel_events_total", "relid", "1", "class", "heartbeat"));
    }

    @Test
    void aDevicesDeclaredGaugesAreReadFromItsStateAtEachScrape() {
        DevicePlugin<?> ping = new HealthRulesTest.PingPlugin() {
            @Override
            public List<DeviceGauge> gauges() {
                return List.of(new DeviceGauge("vmbus_ping_misses", "Pings missed, per channel.", List.of("relid"),
                        (state, now) -> List.of(DeviceGauge.Sample.of(state.getInteger("misses"), "7"))),
                        new DeviceGauge("vmbus_ping_broken", "A gauge whose reading throws.", List.of(),
                                (state, now) -> {
                                    throw new IllegalStateException("unreadable");
                                }));
            }
        };
        PrometheusFormat f = new PrometheusFormat(java.util.Map.of("ping", ping));
        JsonObject view = new JsonObject().put("channels", new io.vertx.core.json.JsonArray())
                .put("devices", new JsonObject().put("ping", new JsonObject().put("misses", 3)));
        String text = f.render(new AgentSnapshot(0, List.of()), view, null, 0);
        assertEquals(3.0, Exposition.value(text, "vmbus_ping_misses", "relid", "7"), text);
        assertFalse(text.contains("vmbus_ping_broken"), "a gauge that cannot be read is left out: " + text);
        assertFalse(f.render(new AgentSnapshot(0, List.of()), new JsonObject(), null, 0).contains("vmbus_ping_misses"),
                "no state, no sample");
    }

    static String[] with(String[] labels, String name, String value) {
        String[] out = java.util.Arrays.copyOf(labels, labels.length + 2);
        out[labels.length] = name;
        out[labels.length + 1] = value;
        return out;
    }
}
