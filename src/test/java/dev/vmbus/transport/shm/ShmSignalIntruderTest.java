package dev.vmbus.transport.shm;

import dev.vmbus.channel.HostComplaints;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.EchoHostLogic;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.RecordedOffers;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Connections to a channel's {@code R.sock} that the protocol does not expect (before the guest's {@code open},
 * or a second one while the channel is open) are closed by the host at once, and the channel itself is not
 * disturbed: the host's {@link SignalListener} and the guest's {@link SignalSocket} against a local intruder.
 */
class ShmSignalIntruderTest {
    private static final UUID CLASS_ID = UUID.fromString("0d6c58a7-2f37-4d8f-9b0e-3f5ad1c2e4b1");

    @TempDir
    Path dir;
    private Vertx hostVertx;
    private Vertx guestVertx;
    private ShmGuest guest;
    private final RecordedOffers offers = new RecordedOffers();

    @BeforeEach
    void start() throws Exception {
        hostVertx = Vertx.vertx();
        Context hostContext = hostVertx.getOrCreateContext();
        OnContext.call(hostContext, () -> {
            ShmHost host = new ShmHost(hostVertx, dir);
            return host.start().compose(x -> host.offer(new Offer(5, CLASS_ID, UUID.randomUUID(), 0, 4 * 4096),
                    new EchoHostLogic(hostContext)));
        }).await(10, TimeUnit.SECONDS);
        guestVertx = Vertx.vertx();
        guest = new ShmGuest(guestVertx, new ShmOptions(dir), new HostComplaints());
        guest.start(guestVertx.getOrCreateContext(), offers).await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        if (guestVertx != null) {
            guestVertx.close().await(10, TimeUnit.SECONDS);
        }
        if (hostVertx != null) {
            hostVertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    /** Connects to relid 5's signal socket as an outsider and returns what its first read gets (bounded). */
    private int intrude() throws Exception {
        try (SocketChannel intruder = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            intruder.connect(UnixDomainSocketAddress.of(dir.resolve(ShmProtocol.signalSocket(5))));
            return firstRead(intruder);
        }
    }

    /** What the first read of {@code socket} gets (-1 once the peer closed it), waiting at most 20 s. */
    static int firstRead(SocketChannel socket) throws Exception {
        Promise<Integer> read = Promise.promise();
        Thread.ofVirtual().start(() -> { // a blocking read, off the test's thread so that the wait is bounded
            try {
                read.complete(socket.read(ByteBuffer.allocate(4)));
            } catch (IOException e) {
                read.fail(e);
            }
        });
        return read.future().await(20, TimeUnit.SECONDS);
    }

    private static Packet echo(ChannelDriver driver, Context context, Queue<Packet> received, long id) {
        context.runOnContext(v -> driver.send(new byte[] {(byte) id}, id, PacketType.DATA_INBAND, 0));
        return await("the echo of " + id).atMost(20, TimeUnit.SECONDS).until(received::poll, Objects::nonNull);
    }

    @Test
    void anUnexpectedSignalConnectionIsClosedAndTheChannelStillWorks() throws Exception {
        Offer offer = offers.next();
        assertEquals(5, offer.relid());
        assertEquals(-1, intrude(), "a signal connection before \"open\" was kept");

        Context context = guestVertx.getOrCreateContext();
        Queue<Packet> received = new ConcurrentLinkedQueue<>();
        ChannelDriver driver = OnContext.call(context, () -> guest.open(offer)
                .map(link -> ChannelDriver.guest(link, context, 16, received::add))).await(20, TimeUnit.SECONDS);
        assertEquals(1, echo(driver, context, received, 1).transactionId());

        assertEquals(-1, intrude(), "a second signal connection on an open channel was kept");
        assertEquals(2, echo(driver, context, received, 2).transactionId());
    }
}
