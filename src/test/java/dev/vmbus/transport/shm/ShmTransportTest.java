package dev.vmbus.transport.shm;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.HostComplaints;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.EchoHostLogic;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.RecordedOffers;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shm transport with the host in its own JVM: real ring files, real Unix sockets. */
@org.junit.jupiter.api.Tag("slow") // a host process per test: run by mvn verify, not by mvn test
class ShmTransportTest {
    private static final int RING_SIZE = 4 * 4096; // 12 KiB data area per direction: the host must wait for space
    private static final int CHANNELS = 4;

    @TempDir
    Path dir;
    private HostProcess host;
    private Vertx vertx;
    private Context context;
    private ShmGuest guest;
    private final RecordedOffers offers = new RecordedOffers();

    @BeforeEach
    void startHost() throws Exception {
        host = HostProcess.start(EchoHostMain.class, dir.toString(), Integer.toString(RING_SIZE), Integer.toString(CHANNELS));
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
        guest = new ShmGuest(vertx, new ShmOptions(dir), new HostComplaints());
        guest.start(context, offers).await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
        if (host != null) {
            host.close();
        }
    }

    /** A guest channel whose received packets land in a queue. */
    private record Guest(ChannelDriver driver, Queue<Packet> received, Promise<EndReason> stopped, Context context) {
        /** The next packet received, waiting up to 10 s; polled on this thread (a stream reads tens of thousands). */
        Packet next(String what) {
            return await(what).pollInSameThread().atMost(10, TimeUnit.SECONDS).until(received::poll, Objects::nonNull);
        }
    }

    private Guest open(Offer offer) throws Exception {
        return open(offer, context);
    }

    /** Opens {@code offer} from {@code context}: the channel then lives on that context's event loop. */
    private Guest open(Offer offer, Context context) throws Exception {
        Queue<Packet> received = new ConcurrentLinkedQueue<>();
        Promise<EndReason> stopped = Promise.promise();
        ChannelDriver driver = OnContext.call(context, () -> guest.open(offer).map((ChannelLink link) ->
                ChannelDriver.guest(link, context, 16, received::add).endHandler(stopped::tryComplete)))
                .await(10, TimeUnit.SECONDS);
        return new Guest(driver, received, stopped, context);
    }

    private void send(Guest g, byte[] payload, long id) throws Exception {
        OnContext.call(g.context, () -> g.driver.send(payload, id, PacketType.DATA_INBAND, 0)).await(10, TimeUnit.SECONDS);
    }

    @Test
    void packetsFlowBothWaysBetweenTwoProcesses() throws Exception {
        Offer offer = offers.next();
        assertEquals(7, offer.relid());
        assertEquals(EchoHostMain.CLASS_ID, offer.classId());
        assertEquals(RING_SIZE, offer.ringSize());
        Guest g = open(offer);

        // Echo: sizes up to twice the ring's data area in total flight, all back in order with their ids.
        List<byte[]> sentPayloads = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            byte[] p = new byte[i % 300];
            Arrays.fill(p, (byte) i);
            sentPayloads.add(p);
            send(g, p, 1000 + i);
        }
        for (int i = 0; i < 500; i++) {
            Packet echo = g.next("echo " + i);
            assertEquals(1000 + i, echo.transactionId());
            byte[] expected = sentPayloads.get(i);
            assertArrayEquals(expected, Arrays.copyOf(echo.payload(), expected.length), "echo " + i);
        }

        // Host-to-guest stream far larger than the ring: the host waits on pending_send_sz, nothing is lost.
        int n = 50_000;
        send(g, "stream:50000".getBytes(StandardCharsets.US_ASCII), 1);
        for (int i = 0; i < n; i++) {
            Packet p = g.next("stream packet " + i);
            assertEquals(i, EchoHostLogic.streamSequence(p.payload()), "stream out of order");
            assertEquals(i + 1L, p.transactionId());
        }
        assertTrue(g.received.isEmpty());
    }

    @Test
    void aGuestThatClosesAndReopensStartsCleanly() throws Exception {
        Offer offer = offers.next();
        Guest first = open(offer);
        send(first, new byte[] {1, 2, 3}, 11);
        assertEquals(11, first.next("the echo").transactionId());
        OnContext.call(context, () -> first.driver.close().otherwiseEmpty()).await(10, TimeUnit.SECONDS);

        Guest second = open(offer);
        send(second, new byte[] {4, 5}, 12);
        Packet p = second.next("the re-opened channel's echo");
        assertEquals(12, p.transactionId());
        assertEquals(4, p.payload()[0]);
    }

    @Test
    void aHostKilledMidStreamClosesTheChannelInsteadOfHanging() throws Exception {
        Offer offer = offers.next();
        Guest g = open(offer);
        send(g, "stream:100000000".getBytes(StandardCharsets.US_ASCII), 1);
        for (int i = 0; i < 1000; i++) {
            g.next("the stream's packet " + i);
        }
        host.close();
        EndReason reason = g.stopped.future().await(10, TimeUnit.SECONDS);
        assertNotNull(reason);
        // Everything received before the kill is intact and in order.
        int last = -1;
        Packet p;
        while ((p = g.received.poll()) != null) {
            int seq = EchoHostLogic.streamSequence(p.payload());
            assertTrue(seq > last, "out of order after kill");
            last = seq;
        }
        await("the guest transport's report of the host gone").atMost(10, TimeUnit.SECONDS)
                .until(offers.disconnects::poll, Objects::nonNull);
        assertTrue(offers.disconnects.isEmpty(), "the host's end was reported more than once");
    }

    /**
     * Vert.x closes the connections of a client that the garbage collector finds unreachable (with a 30 s grace).
     * Channels must outlive that: after full collections and more than the grace, every channel still echoes and
     * none was reported lost.
     */
    @Test
    @Tag("slow") // outlives the 35 s grace: run by mvn verify, not by mvn test
    void everyChannelStillAnswersAfterGarbageCollectionsAndTheClientCleanersGrace() throws Exception {
        List<Guest> guests = new ArrayList<>();
        for (int i = 0; i < CHANNELS; i++) {
            Offer offer = offers.next();
            guests.add(open(offer, vertx.getOrCreateContext())); // each on its own event loop, like channel verticles
        }
        for (int i = 0; i < guests.size(); i++) {
            send(guests.get(i), new byte[] {(byte) i}, 100 + i);
            assertEquals(100 + i, guests.get(i).next("echo " + i).transactionId());
        }
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        await().during(Duration.ofSeconds(35)).atMost(Duration.ofSeconds(45))
                .until(() -> guests.stream().noneMatch(g -> g.stopped.future().isComplete()) && offers.disconnects.isEmpty());
        for (int i = 0; i < guests.size(); i++) {
            send(guests.get(i), new byte[] {(byte) i}, 200 + i);
            Packet echo = guests.get(i).next("channel " + guests.get(i).driver.offer().relid() + "'s echo after the GC");
            assertEquals(200 + i, echo.transactionId());
        }
    }
}
