package dev.vmbus.bench;

import dev.vmbus.channel.Packet;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.HostTransport;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import org.HdrHistogram.Histogram;

/**
 * The benchmark's host end of a heartbeat channel: keeps {@code window} heartbeat requests in flight, and
 * for each reply records host-send to host-receive time and sends the next. Runs on the host's context.
 */
public final class RoundTripHost implements HostTransport.ChannelListener {
    private final Context context;
    private final int window;
    private final Promise<ChannelDriver> opened = Promise.promise();
    private final long[] sentAt;
    private ChannelDriver driver;
    private Histogram recorder = BenchResult.recorder();
    private long nextSequence;
    private boolean running;
    private int inFlight;

    RoundTripHost(Context context, int window) {
        this.context = context;
        this.window = window;
        this.sentAt = new long[Integer.highestOneBit(Math.max(1, window)) * 4];
    }

    /** The host context everything here runs on. */
    Context context() {
        return context;
    }

    io.vertx.core.Future<ChannelDriver> opened() {
        return opened.future();
    }

    @Override
    public void opened(ChannelLink link) {
        driver = ChannelDriver.host(link, context, 0, this::onReply);
        opened.tryComplete(driver);
    }

    @Override
    public void closed(int relid, dev.vmbus.channel.EndReason reason) {
        running = false;
    }

    /** Starts (or restarts with a fresh recorder) the closed loop; call on the host context. */
    void start() {
        recorder = BenchResult.recorder();
        running = true;
        while (inFlight < window) {
            sendNext();
        }
    }

    /** Stops sending; replies still in flight are not recorded. Returns what was recorded. */
    Histogram stop() {
        running = false;
        return recorder;
    }

    private void sendNext() {
        long seq = nextSequence++;
        IcMessage m = IcMessage.request(IcConstants.MSGTYPE_HEARTBEAT, IcVersion.of(3, 0), IcVersion.of(3, 0), 16, 0);
        m.putU64(IcMessage.HEADER_LENGTH, seq);
        sentAt[(int) (seq & (sentAt.length - 1))] = System.nanoTime();
        inFlight++;
        driver.send(m.bytes(), seq, PacketType.DATA_INBAND, 0);
    }

    private void onReply(Packet reply) {
        long now = System.nanoTime();
        inFlight--;
        long seq = reply.transactionId();
        if (running) {
            recorder.recordValue(now - sentAt[(int) (seq & (sentAt.length - 1))]);
            sendNext();
        }
    }
}
