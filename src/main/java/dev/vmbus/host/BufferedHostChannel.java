package dev.vmbus.host;

import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Packet;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.GuestMemory;
import dev.vmbus.transport.SharedGuestMemory;
import io.vertx.core.Context;
import io.vertx.core.Future;

import java.util.List;
import java.util.function.Consumer;

/**
 * The simulated host's end of one channel that moves data the way real device classes do: it sends messages as
 * transfer-page packets from the receive buffer it shares ({@link ReceiveSlots}) and frees their slots when the
 * guest completes them; it reads each GPA-direct packet's ranges out of guest memory ({@link GpaReader}), hands
 * the bytes and the in-band payload to {@code onGpaDirect}, and completes the packet; in-band packets go to
 * {@code onInband}.
 *
 * <p>What the guest gets wrong faults the channel here (the host stops serving it and rescinds it), with the
 * reason in {@link #fault()}: a GPA range that does not resolve in guest memory (a PFN past its end), a GPA-direct
 * packet without completion-requested. A completion for a batch the host never sent is counted
 * ({@link ReceiveSlots#unknownCompletions()}) and, like netvsp's {@code InvalidRndisPacketCompletion}, faults too.
 *
 * <p>Fault knobs, for tests of the guest: {@link #rangePastBuffer()} (the next batch names a range past the
 * receive buffer), {@link #completeWithUnissuedIds(boolean)} (GPA-direct packets are completed with a transaction
 * id the guest never issued), {@link #withholdCompletions(boolean)} (they are never completed).
 *
 * <p>Threads: everything on the host transport's context.
 */
public final class BufferedHostChannel {
    /** Transfer-page set id the guest names the receive buffer by (NVSP 101's 0xCAFE). */
    public static final int PAGE_SET_ID = 0xCAFE;
    /** Most bytes one GPA-direct packet may name. */
    public static final int MAX_GPA_BYTES = 1 << 20;
    /** Added to a guest's id to make one it never issued. */
    static final long UNISSUED = 0x5A5A_0000_0000L;

    /** What the guest sent GPA-direct: the bytes its ranges name, and the packet. */
    public record GpaData(Packet packet, byte[] data) {
    }

    private final ChannelLink link;
    private final ChannelDriver driver;
    private final ReceiveSlots slots;
    private final SharedGuestMemory memory;
    private final Consumer<GpaData> onGpaDirect;
    private final Consumer<Packet> onInband;
    private boolean unissuedIds;
    private boolean withhold;
    private String fault;
    private long gpaPackets;
    private long completionsReceived;

    /**
     * @param slotSize    receive-buffer slot size (the channel must have a receive buffer)
     * @param memory      guest memory GPA ranges are read from, or null to refuse every GPA-direct packet
     */
    public BufferedHostChannel(ChannelLink link, Context context, int slotSize, SharedGuestMemory memory,
                               Consumer<GpaData> onGpaDirect, Consumer<Packet> onInband) {
        ChannelBuffer receive = link.buffer(ChannelBuffer.Kind.RECEIVE).orElseThrow(() ->
                new IllegalArgumentException("relid " + link.offer().relid() + " shares no receive buffer"));
        this.link = link;
        this.slots = new ReceiveSlots(receive, slotSize);
        this.memory = memory;
        this.onGpaDirect = onGpaDirect;
        this.onInband = onInband;
        this.driver = ChannelDriver.host(link, context, 0, this::onPacket);
    }

    public ChannelDriver driver() {
        return driver;
    }

    public ReceiveSlots slots() {
        return slots;
    }

    /** Why this end faulted the channel, or null. */
    public String fault() {
        return fault;
    }

    public long gpaPackets() {
        return gpaPackets;
    }

    public long completionsReceived() {
        return completionsReceived;
    }

    /** Knob: the next batch names a range that starts at the end of the receive buffer. */
    public void rangePastBuffer() {
        slots.rangePastBuffer();
    }

    /** Knob: complete GPA-direct packets with a transaction id the guest never issued. */
    public void completeWithUnissuedIds(boolean on) {
        unissuedIds = on;
    }

    /** Knob: never complete GPA-direct packets. */
    public void withholdCompletions(boolean on) {
        withhold = on;
    }

    /**
     * Sends {@code messages} as one transfer-page packet with completion requested, each in a slot of its own,
     * with {@code payload} in band (NVSP 107 for a NIC). Completes false, sending nothing, when the guest holds
     * too many slots for the batch to fit.
     */
    public Future<Boolean> send(List<byte[]> messages, byte[] payload) {
        if (fault != null || !driver.open()) {
            return Future.failedFuture(new IllegalStateException("relid " + link.offer().relid() + " is not open"
                    + (fault != null ? ": " + fault : "")));
        }
        ReceiveSlots.Batch batch = slots.fill(messages, PAGE_SET_ID);
        if (batch == null) {
            return Future.succeededFuture(false);
        }
        return driver.send(payload, batch.transactionId(), PacketType.DATA_USING_XFER_PAGES,
                PacketLayout.FLAG_COMPLETION_REQUESTED, batch.ranges(), null).map(true);
    }

    private void onPacket(Packet packet) {
        if (fault != null) {
            return;
        }
        switch (packet.type()) {
            case PacketType.COMP -> {
                completionsReceived++;
                if (!slots.complete(packet.transactionId())) {
                    faulted("the guest completed transaction id " + Long.toUnsignedString(packet.transactionId())
                            + ", which names no outstanding transfer-page packet");
                }
            }
            case PacketType.DATA_USING_GPA_DIRECT -> gpaDirect(packet);
            default -> onInband.accept(packet);
        }
    }

    private void gpaDirect(Packet packet) {
        gpaPackets++;
        if (!packet.completionRequested()) {
            faulted("GPA-direct packet " + packet.transactionId() + " does not request a completion");
            return;
        }
        if (memory == null) {
            faulted("GPA-direct packet " + packet.transactionId() + ", but this host shares no guest memory");
            return;
        }
        byte[] data;
        try {
            data = GpaReader.read(memory, packet.gpaRanges(), MAX_GPA_BYTES);
        } catch (GuestMemory.GuestMemoryException e) {
            faulted("GPA-direct packet " + packet.transactionId() + ": " + e.getMessage());
            return;
        }
        onGpaDirect.accept(new GpaData(packet, data));
        if (!withhold) {
            long id = unissuedIds ? packet.transactionId() + UNISSUED : packet.transactionId();
            driver.send(new byte[0], id, PacketType.COMP, 0);
        }
    }

    private void faulted(String why) {
        fault = why;
        driver.end(EndReason.of(EndReason.Kind.HANDLER_FAILED, "host: " + why));
        link.close(); // the host stops serving the channel: the guest sees it rescinded
    }
}
