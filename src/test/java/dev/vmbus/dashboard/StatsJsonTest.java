package dev.vmbus.dashboard;

import dev.vmbus.bus.AgentSnapshot;
import dev.vmbus.bus.ChannelView;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.transport.KernelCounters;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The JSON the API serves for a typed snapshot, byte for byte: field names, their order, and which fields are left
 * out (as docs/API.md shows them and as the agent wrote them before snapshots were typed).
 */
class StatsJsonTest {

    @Test
    void anOpenChannelWithStatsComplaintsAndKernelCounters() {
        Offer one = new Offer(1, PrometheusFormatTest.HEARTBEAT_CLASS, PrometheusFormatTest.HEARTBEAT_INSTANCE, 0, 16384);
        ChannelView open = PrometheusFormatTest.open(one, "heartbeat", 7)
                .withKernel(KernelCounters.of(Map.of("interrupts", 4242L, "out_mask", 1L)));
        String ring = "\"writeIndex\":%d,\"readIndex\":0,\"interruptMask\":%d,\"pendingSendSize\":%d,\"featureBits\":1,"
                + "\"dataSize\":12288,\"bytesToRead\":%d,\"bytesToWrite\":%d,\"fillPercent\":%s";
        String expected = "{\"relid\":1,\"class\":\"heartbeat\",\"classId\":\"57164f39-9115-4e78-ab55-382f3bd5422d\","
                + "\"instanceId\":\"fd149e91-82e0-4a7d-afa6-2a4166cbd7c0\",\"subchannel\":0,\"ringSize\":16384,"
                + "\"state\":\"open\",\"handled\":true,"
                + "\"stats\":{\"relid\":1,\"subchannel\":0,\"class\":\"heartbeat\","
                + "\"classId\":\"57164f39-9115-4e78-ab55-382f3bd5422d\",\"instanceId\":\"fd149e91-82e0-4a7d-afa6-2a4166cbd7c0\","
                + "\"ringSize\":16384,\"state\":\"open\","
                + "\"outbound\":{" + String.format(ring, 0, 0, -1, 0, 12288, "0.0") + "},"
                + "\"inbound\":{" + String.format(ring, 64, 1, 0, 64, 12224, Double.toString(100.0 * 64 / 12288)) + "},"
                + "\"interrupts\":7,\"events\":7,\"intr_in_full\":7,\"intr_out_empty\":7,\"out_full_first\":7,"
                + "\"out_full_total\":7,\"packetsOut\":7,\"bytesOut\":7,\"packetsIn\":7,\"bytesIn\":7,\"malformed\":7,"
                + "\"requestorRejected\":7,\"fault\":null,"
                + "\"packetsInByType\":{\"inband\":7,\"transferPages\":14,\"gpaDirect\":21,\"completions\":28},"
                + "\"packetsOutByType\":{\"inband\":35,\"transferPages\":0,\"gpaDirect\":42,\"completions\":49},"
                + "\"hostComplaints\":{\"no_common_version\":28,\"short_message\":0,\"malformed_message\":0,"
                + "\"refused_request\":0,\"channel_fault\":0,\"bad_control_message\":0},\"logLinesSuppressed\":23,"
                + "\"outstanding\":{\"withDevice\":9,\"creditUsed\":10,\"credit\":64,\"completionsOwed\":8,"
                + "\"completionsAwaited\":7,\"receiveSlotsHeld\":11},"
                + "\"sendSections\":{\"inUse\":7,\"count\":1000,\"sectionSize\":6144}},"
                + "\"kernel\":{\"out_mask\":1,\"interrupts\":4242}}";
        assertEquals(expected, StatsJson.channel(open).encode());
    }

    @Test
    void aFaultedChannelHasItsReasonAndAHostEndHasNoHandledNorComplaints() {
        Offer five = new Offer(5, UUID.fromString("35fa2e29-ea23-4236-96ae-3a6ebacba440"),
                UUID.fromString("2450ee40-33bf-4fbd-892e-9fb06e9214cf"), 0, 16384);
        ChannelView faulted = ChannelView.listed(five, "vss", ChannelState.FAULTED, true,
                EndReason.of(EndReason.Kind.OPEN_FAILED, "open failed: no ring"));
        assertEquals("{\"relid\":5,\"class\":\"vss\",\"classId\":\"35fa2e29-ea23-4236-96ae-3a6ebacba440\","
                + "\"instanceId\":\"2450ee40-33bf-4fbd-892e-9fb06e9214cf\",\"subchannel\":0,\"ringSize\":16384,"
                + "\"state\":\"faulted\",\"handled\":true,\"reason\":\"open failed: no ring\"}",
                StatsJson.channel(faulted).encode());

        ChannelView hostEnd = ChannelView.hostEnd(five, "vss", ChannelState.OPEN,
                PrometheusFormatTest.sample(five, "vss", 1).stats());
        String json = StatsJson.channel(hostEnd).encode();
        assertEquals(false, json.contains("handled") || json.contains("hostComplaints") || json.contains("logLinesSuppressed")
                || json.contains("outstanding") || json.contains("sendSections"), json);
        assertEquals("{\"timestamp\":3,\"channels\":[" + json + "]}",
                StatsJson.snapshot(new AgentSnapshot(3, List.of(hostEnd))).encode());
    }

    @Test
    void aChannelThatFaultedAfterTheListingShowsTheFaultInItsStatsOnly() {
        Offer one = new Offer(1, PrometheusFormatTest.HEARTBEAT_CLASS, PrometheusFormatTest.HEARTBEAT_INSTANCE, 0, 16384);
        ChannelView listed = ChannelView.listed(one, "heartbeat", ChannelState.OPEN, true, null);
        ChannelView figures = PrometheusFormatTest.open(one, "heartbeat", 7);
        String plain = StatsJson.channel(listed.withFigures(figures)).encode();
        EndReason fault = EndReason.of(EndReason.Kind.HANDLER_FAILED, "handler 'heartbeat' failed");
        ChannelView faulted = listed.withFigures(new ChannelView(one, "heartbeat", ChannelState.FAULTED, true, fault,
                figures.stats(), figures.complaints(), figures.outstanding(), figures.sections(), null));
        assertEquals(fault, faulted.fault());
        // the listing still says open and gives no reason; only the figures, taken later, say why it faulted
        assertEquals(plain.replace("\"fault\":null", "\"fault\":\"handler 'heartbeat' failed\""),
                StatsJson.channel(faulted).encode());

        ChannelView closed = listed.withFigures(new ChannelView(one, "heartbeat", ChannelState.CLOSED, true,
                EndReason.of(EndReason.Kind.CLOSED, "closed by the guest"), figures.stats(), figures.complaints(),
                figures.outstanding(), figures.sections(), null));
        assertEquals(plain, StatsJson.channel(closed).encode());
    }

    @Test
    void subchannelsAreListedUnderTheirPrimary() {
        UUID nic = UUID.fromString("f8615163-df3e-46c5-913f-f2d2f965ed0e");
        UUID instance = UUID.fromString("00000000-0000-0000-0000-0000000000a1");
        ChannelView primary = ChannelView.listed(new Offer(3, nic, instance, 0, 16384), "netvsc", ChannelState.OPEN,
                true, null);
        ChannelView sub1 = ChannelView.listed(new Offer(4, nic, instance, 1, 16384), "netvsc", ChannelState.OPEN,
                true, null);
        ChannelView sub2 = ChannelView.listed(new Offer(6, nic, instance, 2, 16384), "netvsc", ChannelState.OPEN,
                true, null);
        ChannelView other = ChannelView.listed(new Offer(5, nic, UUID.randomUUID(), 0, 16384), "netvsc",
                ChannelState.OPEN, true, null);
        var json = StatsJson.channels(new AgentSnapshot(1, List.of(primary, sub1, other, sub2)));
        assertEquals("[4,6]", json.getJsonObject(0).getJsonArray("subchannels").encode());
        assertEquals(3, json.getJsonObject(1).getInteger("primary"));
        assertEquals(false, json.getJsonObject(2).containsKey("subchannels") || json.getJsonObject(2).containsKey("primary"));
        assertEquals(3, json.getJsonObject(3).getInteger("primary"));
    }
}
