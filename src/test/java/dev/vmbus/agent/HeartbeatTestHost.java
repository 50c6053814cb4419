package dev.vmbus.agent;

import dev.vmbus.channel.Packet;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.PacedSends;
import io.vertx.core.Context;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A scripted host for runtime tests: heartbeat requests in whatever number and order the test wants, with
 * every reply recorded per channel.
 */
public final class HeartbeatTestHost implements HostTransport.ChannelListener {
    final Context context;
    final Map<Integer, ChannelDriver> drivers = new ConcurrentHashMap<>();
    final Map<Integer, LinkedBlockingQueue<Packet>> replies = new ConcurrentHashMap<>();
    final Map<Integer, LinkedBlockingQueue<String>> closed = new ConcurrentHashMap<>();
    final LinkedBlockingQueue<Integer> opened = new LinkedBlockingQueue<>();

    HeartbeatTestHost(Context context) {
        this.context = context;
    }

    @Override
    public void opened(ChannelLink link) {
        int relid = link.offer().relid();
        LinkedBlockingQueue<Packet> queue = replies.computeIfAbsent(relid, r -> new LinkedBlockingQueue<>());
        drivers.put(relid, ChannelDriver.host(link, context, 0, queue::add));
        opened.add(relid);
    }

    @Override
    public void closed(int relid, dev.vmbus.channel.EndReason reason) {
        closed.computeIfAbsent(relid, r -> new LinkedBlockingQueue<>()).add(reason.text());
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
}
