package dev.vmbus.channel;

import dev.vmbus.ring.GpaRanges;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.RingFault;
import dev.vmbus.ring.RingReader;
import dev.vmbus.ring.RingSnapshot;
import dev.vmbus.ring.RingWriter;
import dev.vmbus.ring.TransferPageRanges;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * One open channel, from one end: the seed API of Linux's {@code vmbus_sendpacket}, {@code vmbus_recvpacket}
 * and {@code vmbus_recvpacket_raw} with exactly their results (see {@link SendStatus}, {@link RecvStatus}), the
 * packet iterator those reads are made of (spec 2.5, 2.6: {@link #nextPacket()} then {@link #commit()}), and the
 * channel's life: open until an {@link EndReason} ends it, after which sends answer {@code -ENODEV} (or
 * "faulted") as Linux's do after a rescind. The life is kept here and nowhere else; the runtime
 * ({@code dev.vmbus.runtime.ChannelDriver}) reads it, ends it and takes the stats.
 *
 * <p>The guest end writes the TX ring and reads the RX ring; the host end the other way round. The channel owns
 * both rings: the runtime never touches them, and asks the channel to mask its interrupts
 * ({@link #maskInterrupts()}, {@link #unmaskInterrupts()}) and to arm {@code pending_send_sz}
 * ({@link #armPendingSend(int)}, {@link #clearPendingSend()}). These are the primitives of the drain protocol
 * (spec 2.7); the loop that uses them is the runtime's ({@code Inbox}).
 *
 * <p>Words, one meaning each: a <em>signal</em> goes to the peer, an <em>interrupt</em> comes from the peer (a
 * <em>kick</em> is how uio signals). The channel decides when to signal from what the rings return and calls its
 * {@link PeerSignal}, the one signalling path (every send, {@link #sendRaw}, {@link #commit()}); the rings never
 * signal by themselves.
 *
 * <p>Ring memory belongs to the transport, which may unmap it under the channel (a uio device rescinded): an
 * access then throws {@link RingUnmappedException} instead of touching the pages; every other failure is a bug
 * and keeps its own exception. Not thread-safe: one owner thread (an event loop) calls everything.
 */
public final class VmbusChannel {
    private final Offer offer;
    private final RingWriter out;
    private final RingReader in;
    /** Sends are staged, not published, until {@link #endBurst()}. */
    private boolean burst;
    private final PeerSignal peer;
    private final Requestor requestor;

    /** Why the channel ended; null while it is open. */
    private EndReason end;
    private long lastTransactionId;
    private long events;
    private long interrupts;
    /** Whether this end has asked the peer not to interrupt ({@link #maskInterrupts()}). */
    private boolean masked;
    /** Whether {@code pending_send_sz} is armed ({@link #armPendingSend(int)}). */
    private boolean pendingArmed;
    /** Decode targets reused for every received packet; each Packet gets its own copy. */
    private final TransferPageRanges xferScratch = new TransferPageRanges();
    private final GpaRanges gpaScratch = new GpaRanges();
    private final long[] received = new long[16];
    private final long[] sent = new long[16];

    private VmbusChannel(Offer offer, RingWriter out, RingReader in, PeerSignal peer, Requestor requestor) {
        this.offer = offer;
        this.out = out;
        this.in = in;
        this.peer = peer;
        this.requestor = requestor;
    }

    /**
     * The guest end: writes {@code rings.tx()}, reads {@code rings.rx()}. The caller has initialised the
     * headers if this is a fresh open.
     *
     * @param requestorSize slots for requests that want a completion; 0 for none (ids are then the caller's)
     */
    public static VmbusChannel guest(Offer offer, ChannelRings rings, PeerSignal toHost, int requestorSize) {
        return new VmbusChannel(offer, new RingWriter(rings.tx()), new RingReader(rings.rx()), toHost,
                requestorSize > 0 ? new Requestor(requestorSize) : null);
    }

    /** The host end: writes {@code rings.rx()}, reads {@code rings.tx()}. */
    public static VmbusChannel host(Offer offer, ChannelRings rings, PeerSignal toGuest, int requestorSize) {
        return new VmbusChannel(offer, new RingWriter(rings.rx()), new RingReader(rings.tx()), toGuest,
                requestorSize > 0 ? new Requestor(requestorSize) : null);
    }

    public Offer offer() {
        return offer;
    }

    public int relid() {
        return offer.relid();
    }

    /** {@link ChannelState#OPEN} until an {@link EndReason} ended it, then the state that reason decides. */
    public ChannelState state() {
        return end == null ? ChannelState.OPEN : end.state();
    }

    /** Why the channel ended, or null while it is open. */
    public EndReason endReason() {
        return end;
    }

    /** The requestor, or null if this channel was opened without one. */
    public Requestor requestor() {
        return requestor;
    }

    // ---- send -------------------------------------------------------------------------------------------------

    /**
     * {@code vmbus_sendpacket(channel, buffer, bufferlen, requestid, type, flags)}.
     *
     * <p>With a requestor and {@code flags == 1} exactly, the id written is a fresh requestor id and
     * {@code requestId} is stored as its address, as {@code vmbus_next_request_id} does; otherwise
     * {@code requestId} is written as is (responses echo the host's id this way).
     */
    public SendStatus sendPacket(byte[] payload, int offset, int length, long requestId, int type, int flags) {
        return send(payload, null, offset, length, requestId, type, flags);
    }

    /** As {@link #sendPacket(byte[], int, int, long, int, int)} with the payload in native memory. */
    public SendStatus sendPacket(MemorySegment payload, long offset, int length, long requestId, int type, int flags) {
        return send(null, payload, offset, length, requestId, type, flags);
    }

    /**
     * {@code vmbus_sendpacket_pagebuffer(channel, pagebuffers, pagecount, buffer, bufferlen, requestid)}: a
     * GPA-direct packet whose ranges are single-page {@code hv_page_buffer}s ({@link GpaRanges#addPage}),
     * descriptor {@code 24 + 16 * pagecount} bytes, type 9 and flags 1 (so the id comes from the requestor).
     *
     * @return Linux's results: {@link SendStatus#INVALID_ARGUMENT} for more than 32 pages (and, unlike Linux, for
     *         none, and for a range spanning more than one page, which {@code hv_page_buffer} cannot express);
     *         otherwise as {@link #sendPacket}
     */
    public SendStatus sendPacketPageBuffer(GpaRanges pageBuffers, byte[] payload, int offset, int length,
                                           long requestId) {
        int n = pageBuffers.count();
        if (n == 0 || n > PacketLayout.MAX_PAGE_BUFFER_COUNT || pageBuffers.wordCount() != 2 * n) {
            return SendStatus.INVALID_ARGUMENT;
        }
        return sendGpaDirect(pageBuffers, payload, null, offset, length, requestId);
    }

    /**
     * {@code vmbus_sendpacket_mpb_desc(channel, desc, desc_size, buffer, bufferlen, requestid)}: a GPA-direct
     * packet with any number of multi-page ranges, {@code desc_size = 24 + 8 * ranges.wordCount()}, type 9 and
     * flags 1. Linux checks nothing here; we refuse ({@link SendStatus#INVALID_ARGUMENT}) an empty range list and
     * a packet whose {@code len8} would not fit 16 bits, which Linux would publish truncated.
     */
    public SendStatus sendPacketMpbDesc(GpaRanges ranges, byte[] payload, int offset, int length, long requestId) {
        return sendGpaDirect(ranges, payload, null, offset, length, requestId);
    }

    /** As {@link #sendPacketMpbDesc(GpaRanges, byte[], int, int, long)} with the payload in native memory. */
    public SendStatus sendPacketMpbDesc(GpaRanges ranges, MemorySegment payload, long offset, int length,
                                        long requestId) {
        return sendGpaDirect(ranges, null, payload, offset, length, requestId);
    }

    private SendStatus sendGpaDirect(GpaRanges ranges, byte[] array, MemorySegment segment, long offset, int length,
                                     long requestId) {
        if (ranges.count() == 0 || !fits(ranges.headerLength(), length)) {
            return SendStatus.INVALID_ARGUMENT;
        }
        return send(MODE_GPA, null, ranges, array, segment, offset, length, requestId,
                PacketType.DATA_USING_GPA_DIRECT, PacketLayout.FLAG_COMPLETION_REQUESTED);
    }

    /**
     * Sends a transfer-page packet (type 7): what a host sends to hand the guest data in a buffer they share
     * (netvsp's receive path). {@code flags} 1 asks for a completion, which every host does; with a requestor
     * the id then comes from it, as for {@link #sendPacket}.
     *
     * @return as {@link #sendPacket}; {@link SendStatus#INVALID_ARGUMENT} for no range, flags other than 0 or 1,
     *         or a packet too long for {@code len8}
     */
    public SendStatus sendTransferPages(TransferPageRanges ranges, byte[] payload, int offset, int length,
                                        long requestId, int flags) {
        if (ranges.count() == 0 || (flags & ~PacketLayout.FLAG_COMPLETION_REQUESTED) != 0
                || !fits(ranges.headerLength(), length)) {
            return SendStatus.INVALID_ARGUMENT;
        }
        return send(MODE_XFER, ranges, null, payload, null, offset, length, requestId,
                PacketType.DATA_USING_XFER_PAGES, flags);
    }

    /**
     * Completes the peer's request {@code transactionId} with a {@code VM_PKT_COMP} packet (flags 0), as
     * {@code vmbus_sendpacket(chan, buf, len, trans_id, VM_PKT_COMP, 0)}; an empty payload is legal.
     */
    public SendStatus sendCompletion(long transactionId, byte[] payload, int offset, int length) {
        return sendPacket(payload, offset, length, transactionId, PacketType.COMP, 0);
    }

    private static boolean fits(int headerLength, int payloadLength) {
        return payloadLength >= 0 && (long) headerLength + payloadLength <= RingWriter.MAX_PACKET_LENGTH;
    }

    private static final int MODE_PLAIN = 0;
    private static final int MODE_XFER = 1;
    private static final int MODE_GPA = 2;

    private SendStatus send(byte[] array, MemorySegment segment, long offset, int length, long requestId,
                            int type, int flags) {
        return send(MODE_PLAIN, null, null, array, segment, offset, length, requestId, type, flags);
    }

    private SendStatus send(int mode, TransferPageRanges xfer, GpaRanges gpa, byte[] array, MemorySegment segment,
                            long offset, int length, long requestId, int type, int flags) {
        if (end != null) {
            return end.state() == ChannelState.FAULTED ? SendStatus.FAULTED : SendStatus.NO_DEVICE;
        }
        long transId = requestId;
        boolean allocated = false;
        if (requestor != null && flags == PacketLayout.FLAG_COMPLETION_REQUESTED) {
            transId = requestor.next(requestId);
            if (transId == Requestor.RQST_ERROR) {
                return SendStatus.REQUESTOR_FULL;
            }
            allocated = true;
        }
        int result;
        try {
            result = stage(mode, xfer, gpa, array, segment, offset, length, transId, type, flags);
            if (result == RingWriter.FULL && out.hasStaged()) {
                // Staged packets count as used, and the peer cannot free them before they are published: publish
                // them now, or a wait for space could wait for a signal that never comes.
                SendStatus published = written(out.publish());
                if (published != SendStatus.OK) {
                    result = RingWriter.FAULTED;
                } else {
                    result = stage(mode, xfer, gpa, array, segment, offset, length, transId, type, flags);
                }
            }
            if (result == RingWriter.WRITTEN && !burst) {
                result = out.publish();
            }
        } catch (IllegalStateException e) {
            if (allocated) {
                requestor.requestAddress(transId);
            }
            throw unmapped(e);
        }
        SendStatus status = written(result);
        if (status == SendStatus.OK) {
            lastTransactionId = transId;
            sent[type & 0xF]++;
        } else if (allocated) {
            requestor.requestAddress(transId); // nothing was published: give the id back
        }
        return status;
    }

    /** One packet into the ring, not yet published ({@link RingWriter#stage}). */
    private int stage(int mode, TransferPageRanges xfer, GpaRanges gpa, byte[] array, MemorySegment segment,
                      long offset, int length, long transId, int type, int flags) {
        return switch (mode) {
            case MODE_XFER -> array != null
                    ? out.stageTransferPages(flags, transId, xfer, array, (int) offset, length)
                    : out.stageTransferPages(flags, transId, xfer, segment, offset, length);
            case MODE_GPA -> array != null
                    ? out.stageGpaDirect(flags, transId, gpa, array, (int) offset, length)
                    : out.stageGpaDirect(flags, transId, gpa, segment, offset, length);
            default -> array != null
                    ? out.stage(type, flags, transId, array, (int) offset, length)
                    : out.stage(type, flags, transId, segment, offset, length);
        };
    }

    /**
     * From now until {@link #endBurst()}, sends are staged in the ring instead of published one by one: the
     * peer sees them together at {@link #endBurst()}, which pays the publishing fences and makes the signal
     * decision once for all of them (as {@link RingWriter#stage} describes). For what one drain pass sends
     * (completions, answers): the caller ends the burst before it goes idle. A send that finds the ring full
     * publishes what is staged first, so a wait for space always waits on published packets.
     */
    public void beginBurst() {
        burst = true;
    }

    /** Publishes what the burst staged and signals the peer if the ring's rule asks for it; sends publish again. */
    public void endBurst() {
        burst = false;
        if (end == null && out.hasStaged()) {
            try {
                written(out.publish());
            } catch (IllegalStateException e) {
                throw unmapped(e);
            }
        }
    }

    /**
     * Fault knob: writes {@code length} bytes that already form a packet (descriptor included, unchecked) as the
     * next outbound packet, signalling the peer by the same rule as {@link #sendPacket}. This is how a test or a
     * fault-injecting host puts a malformed packet on the ring.
     */
    public SendStatus sendRaw(MemorySegment packet, long offset, int length) {
        if (end != null) {
            return end.state() == ChannelState.FAULTED ? SendStatus.FAULTED : SendStatus.NO_DEVICE;
        }
        try {
            return written(out.writeRaw(packet, offset, length));
        } catch (IllegalStateException e) {
            throw unmapped(e);
        }
    }

    /** What a ring write's result means for the caller; signals the peer when the ring asked for it. */
    private SendStatus written(int result) {
        switch (result) {
            case RingWriter.WRITTEN_SIGNAL:
                signalPeer();
                return SendStatus.OK;
            case RingWriter.WRITTEN:
                return SendStatus.OK;
            case RingWriter.FULL:
                return SendStatus.TRY_AGAIN;
            default:
                markFaulted(out.fault());
                return SendStatus.FAULTED;
        }
    }

    /** The {@code trans_id} the last successful send wrote ({@code vmbus_sendpacket_getid}). */
    public long lastTransactionId() {
        return lastTransactionId;
    }

    // ---- receive ----------------------------------------------------------------------------------------------

    /** {@code vmbus_recvpacket}: copies the payload (from {@code offset8*8}) of the next packet into {@code buffer}. */
    public RecvStatus recvPacket(byte[] buffer, RecvResult result) {
        return receive(buffer, result, false);
    }

    /** {@code vmbus_recvpacket_raw}: copies the whole packet, descriptor included, without the trailer. */
    public RecvStatus recvPacketRaw(byte[] buffer, RecvResult result) {
        return receive(buffer, result, true);
    }

    private RecvStatus receive(byte[] buffer, RecvResult result, boolean raw) {
        if (buffer.length == 0) {
            return RecvStatus.INVALID_ARGUMENT; // outputs untouched, as Linux
        }
        if (end != null) {
            result.set(0, 0, 0, 0);
            return end.state() == ChannelState.FAULTED ? RecvStatus.FAULTED : RecvStatus.NO_DEVICE;
        }
        try {
            int packetLength = in.peek();
            if (packetLength == RingReader.EMPTY) {
                result.set(0, 0, 0, 0);
                return RecvStatus.OK;
            }
            if (packetLength < 0) {
                result.set(0, 0, 0, 0);
                markFaulted(in.fault());
                return RecvStatus.FAULTED;
            }
            int from = raw ? 0 : in.dataOffset();
            int length = packetLength - from;
            result.set(length, in.transactionId(), in.type(), in.flags());
            if (length > buffer.length) {
                return RecvStatus.NO_BUFFER_SPACE; // not consumed: the same packet comes next time
            }
            if (raw) {
                MemorySegment dst = MemorySegment.ofArray(buffer);
                in.copyPacket(dst, 0);
            } else {
                in.copyOut(from, buffer, 0, length);
            }
            in.consume();
        } catch (IllegalStateException e) {
            throw unmapped(e);
        }
        commit();
        return RecvStatus.OK;
    }

    /**
     * Takes the next packet off the inbound ring, copying its payload out once; does not publish
     * {@code read_index} (call {@link #commit()} after a batch). Unlike the Linux-shaped reads above, it
     * interprets the packet: a type other than 6, 7, 9 or 0xB, a flag other than completion-requested, or a
     * malformed transfer-page or GPA-direct header faults the channel with its {@link RingFault.Kind}; the ranges
     * of a valid type 7 or 9 packet come with it, in the packet's own copy.
     *
     * @return the packet, or null if the ring is empty or the channel is not open (see {@link #state()})
     */
    public Packet nextPacket() {
        if (end != null) {
            return null;
        }
        try {
            return takePacket();
        } catch (IllegalStateException e) {
            throw unmapped(e);
        }
    }

    private Packet takePacket() {
        int packetLength = in.peek();
        if (packetLength <= 0) {
            if (packetLength < 0) {
                markFaulted(in.fault());
            }
            return null;
        }
        if (!in.checkDescriptor()) {
            markFaulted(in.fault());
            return null;
        }
        TransferPageRanges xfer = null;
        GpaRanges gpa = null;
        int type = in.type();
        if (type == PacketType.DATA_USING_XFER_PAGES) {
            if (!in.readTransferPages(xferScratch)) {
                markFaulted(in.fault());
                return null;
            }
            xfer = xferScratch.copy();
        } else if (type == PacketType.DATA_USING_GPA_DIRECT) {
            if (!in.readGpaDirect(gpaScratch)) {
                markFaulted(in.fault());
                return null;
            }
            gpa = gpaScratch.copy();
        }
        byte[] payload = new byte[in.payloadLength()];
        in.copyPayload(payload, 0);
        Packet packet = new Packet(offer.relid(), type, in.flags(), in.transactionId(), payload, xfer, gpa);
        in.consume();
        received[type]++;
        return packet;
    }

    /** Packets of {@code type} taken by {@link #nextPacket()} so far (types 6, 7, 9 and 0xB; 0 for others). */
    public long packetsReceived(int type) {
        return type >= 0 && type < received.length ? received[type] : 0;
    }

    /** Packets of {@code type} this end sent (types 6, 7, 9 and 0xB; not raw writes; 0 for others). */
    public long packetsSent(int type) {
        return type >= 0 && type < sent.length ? sent[type] : 0;
    }

    /** Publishes {@code read_index} for the packets taken since the last commit; signals a blocked peer. */
    public void commit() {
        boolean signal;
        try {
            signal = in.commit();
        } catch (IllegalStateException e) {
            throw unmapped(e);
        }
        if (signal) {
            signalPeer();
        }
        if (in.fault() != null) {
            markFaulted(in.fault());
        }
    }

    // ---- interrupts from the peer, and waiting for room (spec 2.4, 2.7) ---------------------------------------

    /**
     * {@code hv_begin_read}: asks the peer not to interrupt while this end drains (its mask in the inbound
     * ring's header). Does nothing if already masked.
     */
    public void maskInterrupts() {
        if (masked) {
            return;
        }
        try {
            in.mask();
        } catch (IllegalStateException e) {
            throw unmapped(e);
        }
        masked = true;
    }

    /**
     * {@code hv_end_read}: allows interrupts again and re-checks the inbound ring.
     *
     * @return true if packets arrived while masked: the peer will not interrupt for them, so drain again
     */
    public boolean unmaskInterrupts() {
        masked = false;
        try {
            return in.unmask() != 0;
        } catch (IllegalStateException e) {
            throw unmapped(e);
        }
    }

    /** The peer interrupted this end (counted here, as Linux's {@code interrupts}). */
    public void interrupted() {
        interrupts++;
    }

    /** Interrupts received from the peer so far. */
    public long interrupts() {
        return interrupts;
    }

    /** The outbound ring's data bytes: a packet taking as many ring bytes or more can never be written. */
    public int outboundDataSize() {
        return out.ring().dataSize();
    }

    /**
     * A send found the outbound ring full: arms {@code pending_send_sz = ringBytes} (what the packet needs, see
     * {@link RingWriter#requiredSpace}) so that the peer signals once it has freed that much (spec 2.4), and
     * re-checks the free space after arming.
     *
     * @return true if that much is already free: retry now, for no signal will come
     */
    public boolean armPendingSend(int ringBytes) {
        pendingArmed = true;
        try {
            return out.armPendingSend(ringBytes);
        } catch (IllegalStateException e) {
            throw unmapped(e);
        }
    }

    /** Nothing waits for room any more: clears {@code pending_send_sz} if {@link #armPendingSend} armed it. */
    public void clearPendingSend() {
        if (!pendingArmed) {
            return;
        }
        try {
            out.clearPendingSend();
        } catch (IllegalStateException e) {
            throw unmapped(e);
        }
        pendingArmed = false;
    }

    // ---- signals to the peer, figures ---------------------------------------------------------------------------

    private void signalPeer() {
        events++;
        peer.signal();
    }

    /** Signals sent to the peer so far (Linux's {@code sig_events}). */
    public long events() {
        return events;
    }

    /**
     * Every figure of this end at this moment: both ring headers and the counters of both directions. Why it ended is
     * {@link #endReason()}.
     */
    public ChannelStats stats() {
        RingSnapshot outbound;
        RingSnapshot inbound;
        try {
            outbound = out.ring().snapshot();
            inbound = in.ring().snapshot();
        } catch (IllegalStateException e) {
            throw unmapped(e);
        }
        return new ChannelStats(outbound, inbound, interrupts, events, in.intrInFull(),
                out.intrOutEmpty(), out.outFullFirst(), out.outFullTotal(), out.packets(), out.bytes(),
                in.packets(), in.bytes(), in.malformed(), requestor != null ? requestor.rejected() : 0,
                PacketCounts.of(received), PacketCounts.of(sent));
    }

    // ---- life cycle -------------------------------------------------------------------------------------------

    /**
     * Ends the channel for {@code reason} if it is still open (the first reason is the one it keeps: a faulted
     * channel that is then rescinded or closed still says why it faulted).
     *
     * @return whether this call ended it
     */
    public boolean end(EndReason reason) {
        if (end != null) {
            return false;
        }
        end = Objects.requireNonNull(reason, "reason");
        return true;
    }

    /**
     * What a ring access that failed with {@code e} means: if the transport unmapped the ring memory, a
     * {@link RingUnmappedException}; anything else is a bug, re-thrown as it is.
     */
    private RingUnmappedException unmapped(IllegalStateException e) {
        if (out.ring().header().scope().isAlive()) {
            throw e;
        }
        return new RingUnmappedException(offer.relid(), e);
    }

    private void markFaulted(RingFault ringFault) {
        end(EndReason.ringFault(ringFault != null ? ringFault
                : new RingFault(RingFault.Kind.PROTOCOL, "unknown")));
    }
}
