package dev.vmbus.agent;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.Offer;
import dev.vmbus.device.heartbeat.HeartbeatHandler;
import dev.vmbus.ic.IcNegotiation;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.testkit.TestAgent;

import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * Measurement, not a test: the round trip of one healthy heartbeat channel while {@code args[0]} (default 63) other
 * heartbeat channels are flooded with hostile negotiations ({@code args[1]} per channel per round, default 64),
 * for {@code args[2]} rounds (default 2000). Prints p50, p99 and max of the healthy round trip in microseconds,
 * and the same with no flood, from one run. Figures go to docs/benchmarks/roundtrip.md.
 */
public final class HostileLatencyMain {
    public static void main(String[] args) throws Exception {
        int hostile = args.length > 0 ? Integer.parseInt(args[0]) : 63;
        int perRound = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.SEVERE); // the flood's 5 lines each
        try (TestAgent agent = TestAgent.start(new HeartbeatHandler())) {
            HeartbeatTestHost host = new HeartbeatTestHost(agent);
            for (int relid = 1; relid <= hostile + 1; relid++) {
                host.offer(new Offer(relid, DeviceClass.HEARTBEAT.classId(), UUID.randomUUID(), 0, 65536));
                agent.awaitEvent(ChannelState.OPEN, relid);
            }
            await("the host's end of every channel").atMost(10, TimeUnit.SECONDS)
                    .until(() -> host.drivers.size() == hostile + 1);
            byte[] bad = IcNegotiation.request(List.of(IcVersion.of(9, 9)), List.of(IcVersion.of(9, 9))).bytes();
            System.out.println("quiet:   " + run(host, 0, perRound, rounds, bad));
            System.out.println("flooded: " + run(host, hostile, perRound, rounds, bad));
        }
        System.exit(0);
    }

    private static String run(HeartbeatTestHost host, int hostile, int perRound, int rounds, byte[] bad)
            throws Exception {
        long[] rtt = new long[rounds];
        for (int round = 0; round < rounds; round++) {
            long seq = round;
            long start = host.onHost(() -> {
                for (int relid = 2; relid <= hostile + 1; relid++) {
                    host.burst(relid, 0, perRound, s -> bad);
                }
                host.burst(1, seq, seq + 1);
                return System.nanoTime();
            });
            host.reply(1); // heartbeat seq, or an AssertionError naming the channel
            rtt[round] = (System.nanoTime() - start) / 1000;
            for (int relid = 2; relid <= hostile + 1; relid++) {
                for (int i = 0; i < perRound; i++) {
                    host.reply(relid); // every negotiation on relid is answered
                }
            }
        }
        Arrays.sort(rtt);
        return "p50 " + rtt[rounds / 2] + " us, p99 " + rtt[rounds * 99 / 100] + " us, max " + rtt[rounds - 1]
                + " us over " + rounds + " round trips, " + hostile + " channels x " + perRound + " hostile negotiations per round";
    }
}
