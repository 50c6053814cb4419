package dev.vmbus.transport.shm;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.ring.GpaRanges;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.TransferPageRanges;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.GuestPages;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.RecordedOffers;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The simulated host's buffered channels in their own process over {@code shm}: transfer pages read in place in
 * the receive buffer and completed, GPA-direct packets from {@code guest.mem}, and a hostile knob or a guest
 * mistake ending only its own channel.
 */
@org.junit.jupiter.api.Tag("slow") // a host process per test: run by mvn verify, not by mvn test
class ShmBufferedHostTest {
    @TempDir
    Path dir;
    private HostProcess host;
    private Vertx vertx;
    private Context context;
    private ShmGuest guest;
    private final Map<Integer, Offer> offers = new HashMap<>();

    private record Guest(ChannelDriver driver, ChannelLink link, Queue<Packet> received, Promise<EndReason> ended) {
        /** The next packet received, waiting up to 10 s. */
        Packet next() {
            return await("the next packet").atMost(10, TimeUnit.SECONDS).until(received::poll, Objects::nonNull);
        }
    }

    @BeforeEach
    void start() throws Exception {
        host = HostProcess.start(BufferedHostMain.class, dir.toString());
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
        guest = new ShmGuest(vertx, new ShmOptions(dir), new dev.vmbus.channel.HostComplaints());
        RecordedOffers offered = new RecordedOffers();
        guest.start(context, offered).await(10, TimeUnit.SECONDS);
        for (Offer o : offered.next(2)) {
            offers.put(o.relid(), o);
        }
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

    private Guest open(int relid) throws Exception {
        Queue<Packet> received = new ConcurrentLinkedQueue<>();
        Promise<EndReason> ended = Promise.promise();
        return OnContext.call(context, () -> guest.open(offers.get(relid)).map(link -> new Guest(
                ChannelDriver.guest(link, context, 0, received::add).endHandler(ended::tryComplete), link, received, ended)))
                .await(10, TimeUnit.SECONDS);
    }

    private void send(Guest g, byte[] payload, long id, int type, int flags, GpaRanges ranges) throws Exception {
        OnContext.call(context, () -> g.driver.send(payload, id, type, flags, null, ranges)).await(10, TimeUnit.SECONDS);
    }

    private void command(Guest g, String text, long id) throws Exception {
        send(g, text.getBytes(StandardCharsets.US_ASCII), id, PacketType.DATA_INBAND, 0, null);
    }

    private static String text(Packet p) {
        assertNotNull(p, "no packet");
        return new String(p.payload(), StandardCharsets.US_ASCII).replace("\0", "").trim();
    }

    @Test
    void transferPagesAndGpaDirectFlowBetweenTwoProcesses() throws Exception {
        Guest g = open(9);
        ChannelBuffer recv = g.link.buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow();
        command(g, "batch:3:1500", 1);
        Packet p = g.next();
        assertEquals(PacketType.DATA_USING_XFER_PAGES, p.type());
        TransferPageRanges ranges = p.transferPages();
        assertEquals(3, ranges.count());
        for (int k = 0; k < 3; k++) {
            byte[] m = recv.read(Integer.toUnsignedLong(ranges.byteOffset(k)), ranges.byteCount(k));
            assertEquals(1500, m.length);
            assertEquals((byte) k, m[0]);
            assertEquals((byte) (k + 1499), m[1499]);
        }
        command(g, "state", 2);
        assertEquals("free 29 completions 0 gpa 0", text(g.next()));
        send(g, new byte[] {108, 0, 0, 0, 1, 0, 0, 0}, p.transactionId(), PacketType.COMP, 0, null);
        command(g, "state", 3);
        assertEquals("free 32 completions 1 gpa 0", text(g.next()));

        GuestPages pages = guest.guestMemory().allocate(2);
        byte[] data = new byte[700];
        Arrays.fill(data, (byte) 0x5C);
        MemorySegment.copy(data, 0, pages.memory(), ValueLayout.JAVA_BYTE, 3900, data.length);
        GpaRanges gpa = new GpaRanges().add(data.length, 3900, pages.pfns(3900, data.length), 0);
        send(g, BufferedHostMain.NVSP_107, 40, PacketType.DATA_USING_GPA_DIRECT, PacketLayout.FLAG_COMPLETION_REQUESTED, gpa);
        Packet echoed = g.next();
        assertEquals(1, echoed.transactionId());
        assertArrayEquals(data, Arrays.copyOf(echoed.payload(), data.length));
        Packet completion = g.next();
        assertEquals(PacketType.COMP, completion.type());
        assertEquals(40, completion.transactionId());
        pages.close();
    }

    @Test
    void aPfnPastGuestMemoryEndsOnlyItsOwnChannel() throws Exception {
        Guest bad = open(9);
        Guest good = open(10);
        send(bad, BufferedHostMain.NVSP_107, 41, PacketType.DATA_USING_GPA_DIRECT, PacketLayout.FLAG_COMPLETION_REQUESTED,
                new GpaRanges().addPage(64, 0, 64)); // guest.mem has 64 pages, 0..63
        EndReason reason = bad.ended.future().await(10, TimeUnit.SECONDS);
        assertEquals(EndReason.Kind.HOST_RESCINDED, reason.kind());
        command(good, "still here", 7);
        assertEquals("still here", text(good.next()));
        assertFalse(good.ended.future().isComplete());
    }

    @Test
    void knobsReachTheGuestAsTheyWouldFromAHostileHost() throws Exception {
        Guest g = open(9);
        ChannelBuffer recv = g.link.buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow();
        command(g, "past", 1);
        command(g, "batch:2:64", 2);
        Packet p = g.next();
        long offset = Integer.toUnsignedLong(p.transferPages().byteOffset(1));
        assertEquals(recv.size(), offset);
        assertFalse(recv.contains(offset, p.transferPages().byteCount(1)));

        command(g, "unissued", 3);
        GuestPages pages = guest.guestMemory().allocate(1);
        GpaRanges gpa = new GpaRanges().addPage(16, 0, pages.pfn(0));
        send(g, BufferedHostMain.NVSP_107, 50, PacketType.DATA_USING_GPA_DIRECT, PacketLayout.FLAG_COMPLETION_REQUESTED, gpa);
        assertEquals(1, g.next().transactionId()); // the data, in band
        Packet completion = g.next();
        assertEquals(PacketType.COMP, completion.type());
        assertEquals(50 + 0x5A5A_0000_0000L, completion.transactionId());

        command(g, "withhold", 4);
        send(g, BufferedHostMain.NVSP_107, 51, PacketType.DATA_USING_GPA_DIRECT, PacketLayout.FLAG_COMPLETION_REQUESTED, gpa);
        assertEquals(1, g.next().transactionId());
        command(g, "after", 5);
        Packet next = g.next();
        assertEquals(PacketType.DATA_INBAND, next.type(), "no completion came before the later echo");
        assertEquals(5, next.transactionId());
        pages.close();
    }
}
