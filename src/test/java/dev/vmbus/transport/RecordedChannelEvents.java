package dev.vmbus.transport;

import dev.vmbus.channel.EndReason;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A host transport's {@link HostTransport.ChannelListener} for tests that only watch what the host logic hears of a
 * channel: {@code "opened"} and {@code "closed: <reason>"}, in order, in a queue the test reads.
 */
public final class RecordedChannelEvents implements HostTransport.ChannelListener {
    /** What the host logic heard, in order. */
    public final Queue<String> heard = new ConcurrentLinkedQueue<>();

    @Override
    public void opened(ChannelLink link) {
        heard.add("opened");
    }

    @Override
    public void closed(int relid, EndReason reason) {
        heard.add("closed: " + reason.text());
    }
}
