package dev.vmbus.transport;

import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver;
import io.vertx.core.Context;

import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every transport must do with a channel's buffers and the guest's memory, checked against a host running
 * {@link BufferHostLogic}: the same names and bytes on both ends, bounds that hold against hostile offsets, and
 * GPA-direct pages the host resolves (and refuses past the end).
 */
public final class BufferChecks {
    private final ChannelDriver driver;
    private final Context context;
    private final Queue<Packet> received;
    private final AtomicLong ids = new AtomicLong(100);

    private BufferChecks(ChannelDriver driver, Context context, Queue<Packet> received) {
        this.driver = driver;
        this.context = context;
        this.received = received;
    }

    /** Opens {@code offer} on {@code guest} from {@code context}. */
    public static BufferChecks open(GuestTransport guest, Offer offer, Context context) throws Exception {
        Queue<Packet> received = new ConcurrentLinkedQueue<>();
        ChannelDriver driver = OnContext.call(context, () -> guest.open(offer)
                .map(link -> ChannelDriver.guest(link, context, 0, received::add))).await(10, TimeUnit.SECONDS);
        return new BufferChecks(driver, context, received);
    }

    public ChannelLink link() {
        return driver.link();
    }

    /** Sends a command and returns the host's answer. */
    public byte[] ask(String command) throws Exception {
        long id = ids.incrementAndGet();
        context.runOnContext(v -> driver.send(command.getBytes(StandardCharsets.US_ASCII), id, PacketType.DATA_INBAND, 0));
        Packet p = await("the answer to " + command).atMost(10, TimeUnit.SECONDS).until(received::poll, Objects::nonNull);
        assertEquals(id, p.transactionId());
        return p.payload();
    }

    public String askText(String command) throws Exception {
        return new String(ask(command), StandardCharsets.US_ASCII).replace("\0", "").trim();
    }

    /** Both buffers: named alike on both ends, shared byte for byte, bounds-checked. */
    public void buffersAreSharedAndBounded(long receiveSize, long sendSize) throws Exception {
        List<ChannelBuffer> buffers = link().buffers();
        assertEquals(2, buffers.size(), "buffers: " + buffers);
        ChannelBuffer recv = link().buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow();
        ChannelBuffer send = link().buffer(ChannelBuffer.Kind.SEND).orElseThrow();
        assertEquals(receiveSize, recv.size());
        assertEquals(sendSize, send.size());
        assertTrue(Integer.toUnsignedLong(recv.gpadl()) >= HostTransport.FIRST_GPADL, recv.name().toString());
        assertFalse(recv.gpadl() == send.gpadl(), "two buffers share GPADL " + recv.gpadl());
        assertEquals(recv.name() + " " + send.name(), askText("names"));
        assertEquals(recv.name(), ChannelBuffer.parseName(recv.name().toString(), ChannelBuffer.Kind.RECEIVE));

        // Host writes, guest reads in place: exactly the range written, nothing around it.
        assertEquals("filled", askText("fill:recv:100:50:7"));
        byte[] seen = recv.read(99, 52);
        assertEquals(0, seen[0]);
        assertEquals(0, seen[51]);
        byte[] sevens = new byte[50];
        Arrays.fill(sevens, (byte) 7);
        assertArrayEquals(sevens, Arrays.copyOfRange(seen, 1, 51));
        assertEquals(7, recv.slice(149, 1).get(ValueLayout.JAVA_BYTE, 0));

        // Guest writes the last bytes of the send buffer, host reads them.
        byte[] tail = new byte[16];
        for (int i = 0; i < tail.length; i++) {
            tail[i] = (byte) (0xA0 + i);
        }
        send.write(sendSize - 16, tail);
        assertArrayEquals(tail, Arrays.copyOf(ask("read:send:" + (sendSize - 16) + ":16"), 16));

        // A range one byte past the end, or one whose end overflows, is refused on both sides, touching nothing.
        var e = assertThrows(ChannelBuffer.OutOfBufferException.class, () -> recv.slice(receiveSize - 1, 2));
        assertEquals(receiveSize - 1, e.offset());
        assertThrows(ChannelBuffer.OutOfBufferException.class, () -> recv.read(Long.MAX_VALUE, 2));
        assertThrows(ChannelBuffer.OutOfBufferException.class, () -> send.write(-1, new byte[1]));
        assertFalse(recv.contains(0xFFFF_FFFFL, 0xFFFF_FFFFL));
        assertTrue(askText("read:recv:" + receiveSize + ":1").startsWith("error: range of 1 bytes at offset "
                + receiveSize + " is outside " + recv.name()), "host read past the end");
    }

    /** Guest pages whose PFNs the host resolves to the same bytes; a PFN past the end is refused. */
    public void guestMemoryIsSharedByPfn(GuestTransport guest, long memoryPages) throws Exception {
        GuestMemory memory = guest.guestMemory();
        assertEquals(null, memory.unavailableReason());
        assertEquals(memoryPages, memory.freePages());
        try (GuestPages pages = memory.allocate(2)) {
            assertEquals(memoryPages - 2, memory.freePages());
            byte[] data = new byte[200];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 3 + 1);
            }
            // 200 bytes from offset 4000 cross into the second page.
            java.lang.foreign.MemorySegment.copy(data, 0, pages.memory(), ValueLayout.JAVA_BYTE, 4000, data.length);
            long[] pfns = pages.pfns(4000, 200);
            assertEquals(2, pfns.length);
            assertEquals(pages.pfn(0) * 4096 + 4000, pages.gpa(4000));
            byte[] back = ask("gpa:4000:200:" + pfns[0] + "," + pfns[1]);
            assertArrayEquals(data, Arrays.copyOf(back, 200));

            String refused = askText("gpa:0:16:" + memoryPages);
            assertTrue(refused.startsWith("error: PFN " + memoryPages + " is past the end of guest memory"), refused);
            String short1 = askText("gpa:4000:200:" + pfns[0]);
            assertTrue(short1.startsWith("error: GPA range of 200 bytes at offset 4000 needs 2 PFNs"), short1);
            var full = assertThrows(GuestMemory.GuestMemoryException.class, () -> memory.allocate((int) memoryPages));
            assertTrue(full.getMessage().startsWith("no " + memoryPages + " contiguous free pages"), full.getMessage());
        }
        assertEquals(memoryPages, memory.freePages());
    }
}
