package dev.vmbus.agent;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.testkit.AgentInternals;
import dev.vmbus.testkit.TestAgent;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.PacedSends;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;

/**
 * A raw host end for runtime tests, offered through a {@link TestAgent}'s host transport
 * ({@link AgentInternals#offer}) and run on its host context: heartbeat requests in whatever number and order the
 * test wants, with every reply recorded per channel. Waits are bounded by {@link #TIMEOUT_S}.
 */
public final class HeartbeatTestHost implements HostTransport.ChannelListener {
    static final long TIMEOUT_S = 10;

    private final TestAgent agent;
    final Context context;
    final Map<Integer, ChannelDriver> drivers = new ConcurrentHashMap<>();
    private final Map<Integer, Replies> replies = new ConcurrentHashMap<>();
    private final Map<Integer, Queue<String>> closed = new ConcurrentHashMap<>();
    /** The relids the guest has opened, in order; the test takes them with {@link #awaitOpened}. */
    final Queue<Integer> opened = new ConcurrentLinkedQueue<>();

    HeartbeatTestHost(TestAgent agent) {
        this.agent = agent;
        this.context = AgentInternals.hostContext(agent);
    }

    /** Offers {@code offer} with this host as its host end and waits until it is made. */
    void offer(Offer offer) throws Exception {
        AgentInternals.offer(agent, offer, this).await(TIMEOUT_S, TimeUnit.SECONDS);
    }

    /** Takes channel {@code relid} away from the guest. */
    void rescind(int relid) {
        agent.host().rescind(relid);
    }

    /** Runs {@code task} on the host context and waits for its result. */
    <T> T onHost(Supplier<T> task) throws Exception {
        return OnContext.supply(context, task).await(TIMEOUT_S, TimeUnit.SECONDS);
    }

    @Override
    public void opened(ChannelLink link) {
        int relid = link.offer().relid();
        drivers.put(relid, ChannelDriver.host(link, context, 0, replies(relid)::add));
        opened.add(relid);
    }

    @Override
    public void closed(int relid, EndReason reason) {
        closed.computeIfAbsent(relid, r -> new ConcurrentLinkedQueue<>()).add(reason.text());
    }

    /** Waits for the next channel the guest opens (oldest first) and takes it. */
    int awaitOpened() {
        return await("the guest to open a channel on the host").atMost(TIMEOUT_S, TimeUnit.SECONDS)
                .until(opened::poll, Objects::nonNull);
    }

    /** Waits until the host sees channel {@code relid} closed; the reason. */
    String awaitClosed(int relid) {
        Queue<String> reasons = closed.computeIfAbsent(relid, r -> new ConcurrentLinkedQueue<>());
        return await("channel " + relid + " to be closed on the host").atMost(TIMEOUT_S, TimeUnit.SECONDS)
                .until(reasons::poll, Objects::nonNull);
    }

    /** The guest's next packet on {@code relid} not taken yet, waiting for it if none has come. */
    Packet reply(int relid) {
        try {
            return replies(relid).next().await(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("no reply on channel " + relid + " within " + TIMEOUT_S + " s", e);
        }
    }

    /** Forgets the packets on {@code relid} that no one has taken. */
    void clearReplies(int relid) {
        replies(relid).clear();
    }

    private Replies replies(int relid) {
        return replies.computeIfAbsent(relid, r -> new Replies());
    }

    /** A heartbeat request as the simulated host sends it (framework 3.0, service 3.0). */
    static byte[] heartbeat(long sequence) {
        IcMessage m = IcMessage.request(IcConstants.MSGTYPE_HEARTBEAT, IcVersion.of(3, 0), IcVersion.of(3, 0), 16, 0);
        m.putU64(IcMessage.HEADER_LENGTH, sequence);
        return m.bytes();
    }

    /** Sends heartbeats {@code from..to-1} on {@code relid}, waiting for ring space rather than queueing them all. */
    void burst(int relid, long from, long to) {
        burst(relid, from, to, HeartbeatTestHost::heartbeat);
    }

    /** Sends {@code message(seq)} for {@code seq = from..to-1} on {@code relid}, waiting for ring space. */
    void burst(int relid, long from, long to, java.util.function.LongFunction<byte[]> message) {
        PacedSends.send(context, drivers.get(relid), from, to, message, seq -> seq);
    }

    /** The sequence number in a heartbeat reply. */
    static long sequence(Packet reply) {
        return new IcMessage(reply.payload()).u64(IcMessage.HEADER_LENGTH);
    }

    /**
     * One channel's packets from the guest, in order: the k-th to come completes the k-th promise, made by whichever
     * comes first, the packet or the test's k-th ask, so a waiting test hears of its packet at once. One asker (the
     * test's thread); packets come on the host context.
     */
    private static final class Replies {
        private final Map<Long, Promise<Packet>> slots = new ConcurrentHashMap<>();
        private final AtomicLong came = new AtomicLong();
        private final AtomicLong asked = new AtomicLong();

        void add(Packet packet) {
            slot(came.getAndIncrement()).complete(packet);
        }

        Future<Packet> next() {
            long k = asked.getAndIncrement();
            return slot(k).future().andThen(x -> slots.remove(k));
        }

        /** Takes every packet that has come and no one has asked for. */
        void clear() {
            for (long n = came.get(); asked.get() < n; ) {
                next();
            }
        }

        private Promise<Packet> slot(long k) {
            return slots.computeIfAbsent(k, x -> Promise.promise());
        }
    }
}
