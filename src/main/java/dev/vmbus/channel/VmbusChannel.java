package dev.vmbus.channel;

import dev.vmbus.ring.GpaRanges;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.RingFault;
import dev.vmbus.ring.RingReader;
import dev.vmbus.ring.RingWriter;
import dev.vmbus.ring.TransferPageRanges;

import java.lang.foreign.MemorySegment;

/**
 * One open channel, from one end: the seed API of Linux's {@code vmbus_sendpacket}, {@code vmbus_recvpacket}
 * and {@code vmbus_recvpacket_raw} with exactly their results (see {@link SendStatus}, {@link RecvStatus}), the
 * packet iterator those reads are made of (spec 2.5, 2.6: {@link #nextPacket()} then {@link #commit()}), and the
 * channel's life: open until an {@link EndReason} ends it, after which sends answer {@code -ENODEV} (or
 * "faulted") as Linux's do after a rescind. The life is kept here and nowhere else; the runtime
 * ({@code dev.vmbus.runtime.ChannelDriver}) reads it, ends it, counts interrupts and takes the stats.
 *
 * <p>The guest end writes the TX ring and reads the RX ring; the host end the other way round. The channel
 * decides when to signal the peer from what the rings return and calls its {@link PeerSignal}; the rings never
 * signal by themselves. Not thread-safe: one owner thread (an event loop) calls everything.
 */
public final class VmbusChannel {
    private final Offer offer;
    private final RingWriter out;
    private final RingReader in;
    private final PeerSignal peer;
    private final Requestor requestor;

    /** Why the channel ended; null while it is open. */
    private EndReason end;
    private long lastTransactionId;
    private long events;
    /** Decode targets reused for every received packet; each Packet gets its own copy. */
    private final TransferPageRanges xferScratch = new TransferPageRanges();
    private final GpaRanges gpaScratch = new GpaRanges();
    private final long[] received = new long[16];

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

    public RingWriter outbound() {
        return out;
    }

    public RingReader inbound() {
        return in;
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
        int result = switch (mode) {
            case MODE_XFER -> array != null
                    ? out.writeTransferPages(flags, transId, xfer, array, (int) offset, length)
                    : out.writeTransferPages(flags, transId, xfer, segment, offset, length);
            case MODE_GPA -> array != null
                    ? out.writeGpaDirect(flags, transId, gpa, array, (int) offset, length)
                    : out.writeGpaDirect(flags, transId, gpa, segment, offset, length);
            default -> array != null
                    ? out.write(type, flags, transId, array, (int) offset, length)
                    : out.write(type, flags, transId, segment, offset, length);
        };
        switch (result) {
            case RingWriter.WRITTEN_SIGNAL:
                signalPeer();
                // fall through
            case RingWriter.WRITTEN:
                lastTransactionId = transId;
                return SendStatus.OK;
            case RingWriter.FULL:
                if (allocated) {
                    requestor.requestAddress(transId); // nothing was published: give the id back
                }
                return SendStatus.TRY_AGAIN;
            default:
                if (allocated) {
                    requestor.requestAddress(transId);
                }
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

    /** Publishes {@code read_index} for the packets taken since the last commit; signals a blocked peer. */
    public void commit() {
        if (in.commit()) {
            signalPeer();
        }
        if (in.fault() != null) {
            markFaulted(in.fault());
        }
    }

    private void signalPeer() {
        events++;
        peer.raise();
    }

    /** Signals raised to the peer so far (Linux's {@code sig_events}). */
    public long events() {
        return events;
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
        end = java.util.Objects.requireNonNull(reason, "reason");
        return true;
    }

    private void markFaulted(RingFault ringFault) {
        end(EndReason.ringFault(ringFault != null ? ringFault
                : new RingFault(RingFault.Kind.PROTOCOL, "unknown")));
    }
}
