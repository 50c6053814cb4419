package dev.vmbus.host;

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
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.SharedGuestMemory;
import dev.vmbus.transport.sim.SimBus;
import dev.vmbus.transport.RecordedOffers;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The simulated host's buffered channel over {@code sim}, against a guest written as a device would be: transfer
 * pages read in place and completed, GPA-direct packets from guest memory completed by the host, and each fault
 * knob and guest mistake.
 */
class BufferedHostChannelTest {
    private static final UUID CLASS_ID = UUID.fromString("4b1f3d2a-77e1-4f0e-8a55-3c1d2e3f4051");
    private static final int SLOT = 2048;
    private static final byte[] NVSP_107 = {107, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, 0, 0, 0, 0};

    private Vertx vertx;
    private Context hostContext;
    private Context guestContext;
    private SharedGuestMemory memory;
    private final Promise<BufferedHostChannel> host = Promise.promise();
    private final Queue<BufferedHostChannel.GpaData> gpa = new ConcurrentLinkedQueue<>();
    private final Queue<Packet> received = new ConcurrentLinkedQueue<>();
    private final Promise<EndReason> guestEnded = Promise.promise();
    private ChannelDriver guest;
    private ChannelLink guestLink;
    private SimBus bus;

    @BeforeEach
    void open() throws Exception {
        vertx = Vertx.vertx();
        hostContext = vertx.getOrCreateContext();
        guestContext = vertx.getOrCreateContext();
        bus = new SimBus(vertx);
        bus.host().start().await(10, TimeUnit.SECONDS);
        memory = bus.host().guestMemory(32 * 4096).await(10, TimeUnit.SECONDS);
        HostTransport.ChannelListener listener = new HostTransport.ChannelListener() {
            @Override
            public void opened(ChannelLink link) {
                BufferedHostChannel[] self = new BufferedHostChannel[1];
                self[0] = new BufferedHostChannel(link, hostContext, SLOT, memory, gpa::add,
                        p -> self[0].driver().send(p.payload(), p.transactionId(), PacketType.DATA_INBAND, 0));
                host.tryComplete(self[0]);
            }

            @Override
            public void closed(int relid, EndReason reason) {
            }
        };
        bus.host().offer(new Offer(9, CLASS_ID, UUID.randomUUID(), 0, 8 * 4096),
                new HostTransport.Buffers(16L * SLOT, 8 * 4096), listener).await(10, TimeUnit.SECONDS);
        RecordedOffers offers = new RecordedOffers();
        bus.guest().start(guestContext, offers).await(10, TimeUnit.SECONDS);
        Offer offer = offers.next();
        guest = OnContext.call(guestContext, () -> bus.guest().open(offer).map(link -> {
            guestLink = link;
            return ChannelDriver.guest(link, guestContext, 0, received::add).endHandler(guestEnded::tryComplete);
        })).await(10, TimeUnit.SECONDS);
        host.future().await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private <T> T onHost(Supplier<Future<T>> action) throws Exception {
        return OnContext.call(hostContext, action).await(10, TimeUnit.SECONDS);
    }

    private void guestSend(byte[] payload, long id, int type, int flags, GpaRanges ranges) throws Exception {
        OnContext.call(guestContext, () -> guest.send(payload, id, type, flags, null, ranges))
                .await(10, TimeUnit.SECONDS);
    }

    /** The next packet the host sent the guest. */
    private Packet received() {
        return await("a packet from the host").atMost(10, TimeUnit.SECONDS).until(received::poll, Objects::nonNull);
    }

    @Test
    void transferPagesAreReadInPlaceAndTheirSlotsComeBackOnCompletion() throws Exception {
        BufferedHostChannel h = host.future().result();
        byte[] small = "sixty-four bytes of frame....................................end".getBytes(StandardCharsets.US_ASCII);
        byte[] large = new byte[1500];
        large[1499] = 42;
        assertTrue(onHost(() -> h.send(List.of(small, large), NVSP_107)));
        Packet p = received();
        assertEquals(PacketType.DATA_USING_XFER_PAGES, p.type());
        assertTrue(p.completionRequested());
        TransferPageRanges ranges = p.transferPages();
        assertEquals(BufferedHostChannel.PAGE_SET_ID, ranges.pageSetId());
        assertEquals(2, ranges.count());
        ChannelBuffer recv = guestLink.buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow();
        assertArrayEquals(small, recv.read(Integer.toUnsignedLong(ranges.byteOffset(0)), ranges.byteCount(0)));
        MemorySegment inPlace = recv.slice(Integer.toUnsignedLong(ranges.byteOffset(1)), ranges.byteCount(1));
        assertEquals(42, inPlace.get(ValueLayout.JAVA_BYTE, 1499));
        assertArrayEquals(NVSP_107, java.util.Arrays.copyOf(p.payload(), NVSP_107.length));
        assertEquals(14, h.slots().free());

        guestSend(new byte[] {108, 0, 0, 0, 1, 0, 0, 0}, p.transactionId(), PacketType.COMP, 0, null);
        guestSend("ping".getBytes(StandardCharsets.US_ASCII), 5, PacketType.DATA_INBAND, 0, null);
        assertEquals(5, received().transactionId()); // the host has seen the completion
        assertEquals(16, h.slots().free());
        assertEquals(1, h.completionsReceived());
    }

    @Test
    void aRangePastTheBufferIsRefusedByTheGuestWithoutReadingOutside() throws Exception {
        BufferedHostChannel h = host.future().result();
        hostContext.runOnContext(v -> h.rangePastBuffer());
        assertTrue(onHost(() -> h.send(List.of(new byte[64]), NVSP_107)));
        Packet p = received();
        ChannelBuffer recv = guestLink.buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow();
        long offset = Integer.toUnsignedLong(p.transferPages().byteOffset(0));
        assertEquals(recv.size(), offset);
        assertFalse(recv.contains(offset, p.transferPages().byteCount(0)));
        assertThrows(ChannelBuffer.OutOfBufferException.class, () -> recv.slice(offset, p.transferPages().byteCount(0)));
    }

    @Test
    void gpaDirectPacketsAreReadFromGuestMemoryAndCompleted() throws Exception {
        BufferedHostChannel h = host.future().result();
        GuestPages pages = bus.guest().guestMemory().allocate(2);
        byte[] rndis = new byte[300];
        for (int i = 0; i < rndis.length; i++) {
            rndis[i] = (byte) (i * 7);
        }
        MemorySegment.copy(rndis, 0, pages.memory(), ValueLayout.JAVA_BYTE, 4000, rndis.length);
        GpaRanges ranges = new GpaRanges().add(rndis.length, 4000 % 4096, pages.pfns(4000, rndis.length), 0);
        guestSend(NVSP_107, 77, PacketType.DATA_USING_GPA_DIRECT, PacketLayout.FLAG_COMPLETION_REQUESTED, ranges);
        BufferedHostChannel.GpaData data = await("the host's GPA-direct data").atMost(10, TimeUnit.SECONDS)
                .until(gpa::poll, Objects::nonNull);
        assertArrayEquals(rndis, data.data());
        Packet completion = received();
        assertEquals(PacketType.COMP, completion.type());
        assertEquals(77, completion.transactionId());

        // Knob: a completion id the guest never issued.
        hostContext.runOnContext(v -> h.completeWithUnissuedIds(true));
        guestSend(NVSP_107, 78, PacketType.DATA_USING_GPA_DIRECT, PacketLayout.FLAG_COMPLETION_REQUESTED, ranges);
        assertEquals(78 + BufferedHostChannel.UNISSUED, received().transactionId());

        // Knob: completions that never come; the echo of a later in-band packet arrives with none before it.
        hostContext.runOnContext(v -> {
            h.completeWithUnissuedIds(false);
            h.withholdCompletions(true);
        });
        guestSend(NVSP_107, 79, PacketType.DATA_USING_GPA_DIRECT, PacketLayout.FLAG_COMPLETION_REQUESTED, ranges);
        guestSend("ping".getBytes(StandardCharsets.US_ASCII), 80, PacketType.DATA_INBAND, 0, null);
        Packet next = received();
        assertEquals(PacketType.DATA_INBAND, next.type());
        assertEquals(80, next.transactionId());
        assertEquals(3, onHost(() -> Future.succeededFuture(h.gpaPackets())));
        pages.close();
    }

    @Test
    void aPfnPastGuestMemoryFaultsOnlyThatChannel() throws Exception {
        BufferedHostChannel h = host.future().result();
        GpaRanges ranges = new GpaRanges().addPage(64, 0, 32); // guest memory has 32 pages: 0..31
        guestSend(NVSP_107, 90, PacketType.DATA_USING_GPA_DIRECT, PacketLayout.FLAG_COMPLETION_REQUESTED, ranges);
        EndReason reason = guestEnded.future().await(10, TimeUnit.SECONDS);
        assertEquals(EndReason.Kind.HOST_RESCINDED, reason.kind());
        String fault = onHost(() -> Future.succeededFuture(h.fault()));
        assertEquals("GPA-direct packet 90: GPA range 0: PFN 32 is past the end of guest memory sim guest memory"
                + " (32 pages)", fault);
    }

    @Test
    void aCompletionForNothingTheHostSentFaultsTheChannel() throws Exception {
        BufferedHostChannel h = host.future().result();
        guestSend(new byte[8], 12345, PacketType.COMP, 0, null);
        guestEnded.future().await(10, TimeUnit.SECONDS);
        String fault = onHost(() -> Future.succeededFuture(h.fault()));
        assertEquals("the guest completed transaction id 12345, which names no outstanding transfer-page packet", fault);
        assertEquals(1, onHost(() -> Future.succeededFuture(h.slots().unknownCompletions())));
    }
}
