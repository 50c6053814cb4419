package dev.vmbus.agent;

import dev.vmbus.bus.Addresses;
import dev.vmbus.bus.ChannelView;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.HostComplaints;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.device.heartbeat.HeartbeatHandler;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcNegotiation;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.testkit.TestAgent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A host that floods one channel with hostile negotiations costs a counter, not the log; the others keep answering. */
public class HostFloodTest {
    private static final int FLOOD = 3_000;
    private static final int ROUNDS = 30;

    private TestAgent agent;
    private HeartbeatTestHost host;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            lines.add(r.getLoggerName() + ": " + r.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void start() throws Exception {
        Logger.getLogger("").addHandler(capture);
        agent = TestAgent.start(new HeartbeatHandler());
        host = new HeartbeatTestHost(agent);
        for (int relid : new int[] {1, 2}) {
            host.offer(new Offer(relid, DeviceClass.HEARTBEAT.classId(), UUID.randomUUID(), 0, 16384));
            agent.awaitEvent(ChannelState.OPEN, relid);
            assertEquals(relid, host.awaitOpened());
        }
    }

    @AfterEach
    void stop() {
        Logger.getLogger("").removeHandler(capture);
        agent.close();
    }

    /** A negotiation offering only versions no guest knows (framework 9.9, service 9.9). */
    private static byte[] hostileNegotiation(long seq) {
        return IcNegotiation.request(List.of(IcVersion.of(9, 9)), List.of(IcVersion.of(9, 9))).bytes();
    }

    @Test
    void aFloodOfHostileNegotiationsIsCountedExactlyAndLoggedAtABoundedRate() throws Exception {
        int perRound = FLOOD / ROUNDS;
        for (int round = 0; round < ROUNDS; round++) {
            long from = (long) round * perRound;
            host.onHost(() -> {
                host.burst(2, from, from + perRound, HostFloodTest::hostileNegotiation);
                host.burst(1, from, from + 1);
                return null;
            });
            // The healthy channel answers this round's heartbeat while the flood is in flight.
            Packet beat = host.reply(1); // this round's heartbeat, answered during the flood
            assertEquals(from + 1, HeartbeatTestHost.sequence(beat));
        }
        // Linux answers every failed negotiation (with zero versions chosen); so does the guest.
        for (int i = 0; i < FLOOD; i++) {
            Packet reply = host.reply(2); // negotiation i
            assertEquals(0, new IcMessage(reply.payload()).u16(IcNegotiation.FRAMEWORK_COUNT));
        }

        HostComplaints.Tally stats = agent.vertx().eventBus().<ChannelView>request(Addresses.channelStats(2), null)
                .await(5, TimeUnit.SECONDS).body().complaints();
        assertEquals(FLOOD, stats.count(HostComplaints.Kind.NO_COMMON_VERSION), stats.toString());
        assertEquals(FLOOD - HostComplaints.DEFAULT_BURST, stats.logLinesSuppressed(), stats.toString());
        HostComplaints.Tally healthy = agent.vertx().eventBus().<ChannelView>request(Addresses.channelStats(1), null)
                .await(5, TimeUnit.SECONDS).body().complaints();
        assertEquals(0, healthy.count(HostComplaints.Kind.NO_COMMON_VERSION));

        List<String> aboutTheFlood = lines.stream()
                .filter(l -> l.startsWith(HostComplaints.class.getName()) && l.contains("channel 2")).toList();
        assertEquals(HostComplaints.DEFAULT_BURST, aboutTheFlood.size(), String.join("\n", aboutTheFlood));
        assertTrue(aboutTheFlood.getLast().contains("further 'no_common_version' messages on this channel are counted"),
                aboutTheFlood.getLast());
    }
}
