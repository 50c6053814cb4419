package dev.vmbus.agent;

import dev.vmbus.bus.Addresses;
import dev.vmbus.bus.AgentSnapshot;
import dev.vmbus.bus.ChannelView;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.ChannelStats;
import dev.vmbus.channel.EndReason;
import dev.vmbus.ring.RingFault;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.device.heartbeat.HeartbeatHandler;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import dev.vmbus.testkit.LifecycleEvent;
import dev.vmbus.testkit.TestAgent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent on sim: channel verticles, event-bus dispatch, back-pressure, faults and rescinds. */
public class AgentTest {
    private TestAgent agent;
    private HeartbeatTestHost host;

    @BeforeEach
    void start() {
        agent = TestAgent.start(new HeartbeatHandler());
        host = new HeartbeatTestHost(agent);
    }

    @AfterEach
    void stop() {
        agent.close();
    }

    private static Offer heartbeatOffer(int relid, int ringSize) {
        return new Offer(relid, DeviceClass.HEARTBEAT.classId(), UUID.randomUUID(), 0, ringSize);
    }

    @Test
    void aBurstOfThousandsIntoASmallRingIsAnsweredInOrderWithTheHostWaitingForSpace() throws Exception {
        host.offer(heartbeatOffer(1, 8192)); // 4 KiB of data per direction: ~80 heartbeats fit
        agent.awaitEvent(ChannelState.OPEN, 1);
        assertEquals(1, host.awaitOpened());
        int n = 5_000;
        host.onHost(() -> {
            host.burst(1, 1, n + 1);
            return null;
        });
        for (long seq = 1; seq <= n; seq++) {
            Packet p = host.reply(1);
            IcMessage m = new IcMessage(p.payload());
            assertEquals(seq + 1, HeartbeatTestHost.sequence(p), "reply out of order or wrong");
            assertEquals(seq, p.transactionId(), "the host's transaction id is echoed");
            assertEquals(IcConstants.FLAGS_GUEST_RESPONSE, m.flags());
            assertEquals(PacketType.DATA_INBAND, p.type());
            assertEquals(0, p.flags());
        }
        long waits = host.onHost(() -> host.drivers.get(1).pendingSendWaits());
        assertTrue(waits > 0, "the host never had to wait on pending_send_sz");
        ChannelStats stats = agent.vertx().eventBus().<ChannelView>request(Addresses.channelStats(1), null)
                .await(5, TimeUnit.SECONDS).body().stats();
        assertEquals(n, stats.packetsIn());
        assertEquals(n, stats.packetsOut());
        assertTrue(stats.intrInFull() > 0, "the guest must have woken the blocked host");
    }

    @Test
    void aHostilePacketFaultsOneChannelWhileAnotherOfTheSameClassKeepsAnswering() throws Exception {
        host.offer(heartbeatOffer(1, 16384));
        host.offer(heartbeatOffer(2, 16384));
        agent.awaitEvent(ChannelState.OPEN, 1);
        agent.awaitEvent(ChannelState.OPEN, 2);
        host.awaitOpened();
        host.awaitOpened();

        // offset8 = 1: the payload would start inside the descriptor.
        host.onHost(() -> {
            MemorySegment bad = Arena.ofAuto().allocate(32, 8);
            bad.set(ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN), 0, PacketLayout.word0(PacketType.DATA_INBAND, 1, 4, 0));
            var d = host.drivers.get(1);
            d.writeRaw(bad, 0, 32);
            return null;
        });
        LifecycleEvent faulted = agent.awaitEvent(ChannelState.FAULTED, 1);
        assertTrue(faulted.reason().text().contains("DATA_OFFSET_TOO_SMALL"), faulted.toString());
        assertEquals(EndReason.Kind.RING_FAULT, faulted.reason().kind());
        assertEquals(RingFault.Kind.DATA_OFFSET_TOO_SMALL, faulted.reason().ringFault().kind());
        host.awaitClosed(1); // the faulted channel is closed

        host.onHost(() -> {
            host.burst(2, 100, 110);
            return null;
        });
        for (long seq = 100; seq < 110; seq++) {
            assertEquals(seq + 1, HeartbeatTestHost.sequence(host.reply(2)));
        }
        // The listing learns of the fault from the same vmbus.channels event the test saw, delivered on the agent's
        // own context, so it is waited for: read once, it still said OPEN in one run of the suite.
        List<ChannelState> states = await("the listing to show channel 1 faulted").atMost(5, TimeUnit.SECONDS)
                .until(() -> agent.vertx().eventBus().<AgentSnapshot>request(Addresses.CHANNEL_LIST, null)
                        .await(5, TimeUnit.SECONDS).body().channels().stream().map(ChannelView::state).toList(),
                        s -> s.getFirst() == ChannelState.FAULTED);
        assertEquals(List.of(ChannelState.FAULTED, ChannelState.OPEN), states);
    }

    /** Hand-built packets (LE u64 words, descriptor first) for each fault kind of a type-specific header. */
    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> rangedFaults() {
        long xfer = PacketLayout.word0(PacketType.DATA_USING_XFER_PAGES, 4, 4, 1);
        long gpa = PacketLayout.word0(PacketType.DATA_USING_GPA_DIRECT, 4, 4, 1);
        return java.util.stream.Stream.of(
            org.junit.jupiter.params.provider.Arguments.of(RingFault.Kind.UNKNOWN_TYPE,
                    new long[] {PacketLayout.word0(PacketType.DATA_USING_GPADL, 2, 3, 0), 1, 0}),
            org.junit.jupiter.params.provider.Arguments.of(RingFault.Kind.INVALID_FLAGS,
                    new long[] {PacketLayout.word0(PacketType.DATA_INBAND, 2, 3, 0x10), 1, 0}),
            org.junit.jupiter.params.provider.Arguments.of(RingFault.Kind.HEADER_TOO_SHORT,
                    new long[] {PacketLayout.word0(PacketType.DATA_USING_XFER_PAGES, 2, 4, 1), 1, 0, 0}),
            org.junit.jupiter.params.provider.Arguments.of(RingFault.Kind.RANGE_COUNT_ZERO, new long[] {xfer, 1, 0xCAFE, 0}),
            org.junit.jupiter.params.provider.Arguments.of(RingFault.Kind.RANGE_COUNT_OVERRUNS_HEADER,
                    new long[] {xfer, 1, 0xCAFE | 2L << 32, 64}),
            org.junit.jupiter.params.provider.Arguments.of(RingFault.Kind.RANGE_BYTE_COUNT_ZERO,
                    new long[] {xfer, 1, 0xCAFE | 1L << 32, 64L << 32}),
            org.junit.jupiter.params.provider.Arguments.of(RingFault.Kind.RANGE_OFFSET_PAST_PAGE,
                    new long[] {gpa, 1, 1L << 32, 8 | 0x1000L << 32}),
            org.junit.jupiter.params.provider.Arguments.of(RingFault.Kind.PFN_LIST_OVERRUNS_HEADER,
                    new long[] {gpa, 1, 1L << 32, 8}));
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("rangedFaults")
    void eachRangedFaultKindFaultsOnlyItsChannelWithTheKindAsReason(RingFault.Kind kind, long[] words) throws Exception {
        host.offer(heartbeatOffer(1, 16384));
        host.offer(heartbeatOffer(2, 16384));
        agent.awaitEvent(ChannelState.OPEN, 1);
        agent.awaitEvent(ChannelState.OPEN, 2);
        host.awaitOpened();
        host.awaitOpened();

        host.onHost(() -> {
            MemorySegment bad = Arena.ofAuto().allocate(8L * words.length, 8);
            for (int i = 0; i < words.length; i++) {
                bad.set(ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN), 8L * i, words[i]);
            }
            host.drivers.get(1).writeRaw(bad, 0, 8 * words.length);
            return null;
        });
        LifecycleEvent faulted = agent.awaitEvent(ChannelState.FAULTED, 1);
        assertEquals(kind, faulted.reason().ringFault().kind(), faulted.toString());
        assertTrue(faulted.reason().text().contains(kind.name()), faulted.toString());

        host.onHost(() -> {
            host.burst(2, 100, 103);
            return null;
        });
        for (long seq = 100; seq < 103; seq++) {
            assertEquals(seq + 1, HeartbeatTestHost.sequence(host.reply(2)));
        }
        // The listing learns of the fault from the same vmbus.channels event the test saw, delivered on the agent's
        // own context, so it is waited for: read once, it still said OPEN in one run of the suite.
        List<ChannelState> states = await("the listing to show channel 1 faulted").atMost(5, TimeUnit.SECONDS)
                .until(() -> agent.vertx().eventBus().<AgentSnapshot>request(Addresses.CHANNEL_LIST, null)
                        .await(5, TimeUnit.SECONDS).body().channels().stream().map(ChannelView::state).toList(),
                        s -> s.getFirst() == ChannelState.FAULTED);
        assertEquals(List.of(ChannelState.FAULTED, ChannelState.OPEN), states);
    }

    @Test
    void aRescindWithPacketsInFlightEndsTheChannelAndAReOfferWorks() throws Exception {
        host.offer(heartbeatOffer(1, 8192));
        agent.awaitEvent(ChannelState.OPEN, 1);
        host.awaitOpened();
        host.onHost(() -> {
            host.burst(1, 1, 100_000);
            return null;
        });
        for (int i = 0; i < 50; i++) {
            host.reply(1);
        }
        host.rescind(1);
        agent.awaitEvent(ChannelState.RESCINDED, 1);

        host.clearReplies(1);
        host.offer(heartbeatOffer(1, 8192));
        await("channel 1 to be open again").atMost(10, TimeUnit.SECONDS).until(() -> agent.events().stream()
                .filter(e -> e.state() == ChannelState.OPEN && e.relid() == 1).count() == 2);
        assertEquals(1, host.awaitOpened());
        host.clearReplies(1);
        host.onHost(() -> {
            host.burst(1, 7, 8);
            return null;
        });
        assertEquals(8, HeartbeatTestHost.sequence(host.reply(1)));
    }

    @Test
    void anOfferWithoutAnEnabledHandlerIsListedButNotOpened() throws Exception {
        host.offer(new Offer(9, DeviceClass.KVP.classId(), UUID.randomUUID(), 0, 16384));
        agent.awaitEvent(ChannelState.OFFERED, 9);
        ChannelView kvp = agent.vertx().eventBus().<AgentSnapshot>request(Addresses.CHANNEL_LIST, null)
                .await(5, TimeUnit.SECONDS).body().channels().get(0);
        assertEquals("kvp", kvp.className());
        assertEquals(ChannelState.OFFERED, kvp.state());
        assertEquals(false, kvp.handled());
        // a negative: it stays unopened for a while (no event says "decided not to open")
        await("a channel without a handler must not be opened").during(200, TimeUnit.MILLISECONDS)
                .atMost(5, TimeUnit.SECONDS).until(host.opened::isEmpty);
    }
}
