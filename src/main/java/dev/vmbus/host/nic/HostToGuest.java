package dev.vmbus.host.nic;

import dev.vmbus.host.ReceiveSlots;
import dev.vmbus.net.FlowHash;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.PerPacketInfo;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.net.Vlan;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import dev.vmbus.ring.TransferPageRanges;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static dev.vmbus.host.nic.HostNic.CONTROL_SLOTS;
import static dev.vmbus.host.nic.HostNic.MAX_CONTROL_BYTES;
import static dev.vmbus.host.nic.HostNic.MAX_PARKED_BATCHES;
import static dev.vmbus.host.nic.HostNic.MAX_PENDING_FRAMES;
import static dev.vmbus.host.nic.HostNic.MAX_RANGES;

/**
 * The host's NIC's path to the guest (spec §5.1 H6, H8): control responses and frames from the backend become RNDIS
 * messages in free receive slots, up to {@link HostNic#MAX_RANGES} per transfer-page packet, each frame on the queue
 * its flow's hash names through the guest's indirection table. Frames are dropped (and counted) while the packet
 * filter is NONE; with no free slot, or while more than a few batches wait for ring space, the backend is paused
 * until the guest returns slots. {@link HostNic#CONTROL_SLOTS} slots stay for control messages.
 *
 * <p>Threads: the host's context; frames from the backend come through it too.
 */
final class HostToGuest {
    /** The checksum PPI every received frame carries: zero, "not validated" (spec §5.2). */
    private static final List<PerPacketInfo> RX_INFO = List.of(PerPacketInfo.u32(PerPacketInfo.TYPE_CHECKSUM, 0));
    private static final RndisMessage.Header RX_HEADER = RndisMessage.Packet.header(RX_INFO);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    /**
     * The same with a VLAN PPI last, for a tagged frame to a guest that takes tags out of band (its NDIS_CONFIG has
     * {@link Nvsp#CAP_IEEE8021Q}), as Hyper-V's switch gives a trunk port's tags; the PPI's u32, the header's last
     * word, is written per frame.
     */
    private static final RndisMessage.Header RX_VLAN_HEADER = RndisMessage.Packet.header(List.of(RX_INFO.get(0),
            PerPacketInfo.u32(PerPacketInfo.TYPE_VLAN, 0)));

    /** Why the host paused its backend: the limit that tripped (each counted in {@link #pauses}). */
    enum PauseReason {
        /** No receive slot free (beyond the control reserve): the guest has not returned enough. */
        NO_RECEIVE_SLOT("noReceiveSlot"),
        /** {@link HostNic#MAX_PARKED_BATCHES} batches wait for room in the ring: the guest drains it too slowly. */
        BATCHES_WAITING("batchesWaiting"),
        /** A queue holds {@link HostNic#MAX_PENDING_FRAMES} frames: the frame that found it full was dropped. */
        FRAMES_QUEUED("framesQueued");

        final String key;

        PauseReason(String key) {
            this.key = key;
        }
    }

    private final HostNic nic;
    /** The queue whose batch is being written in place into receive slots (within one burst), or null. */
    private HostNicQueue openQueue;
    boolean portPaused;
    /** Pauses of the backend since start, by {@link PauseReason#ordinal()}, and how long they lasted in all. */
    final long[] pauses = new long[PauseReason.values().length];
    long pausedNanos;
    private long pausedSince;
    // figures since start
    long dropsNotReady;
    long dropsFilter;
    long dropsTooLong;
    long dropsBacklog;
    /** Tagged frames given to the guest with their tag out of band. */
    long vlanToGuest;

    HostToGuest(HostNic nic) {
        this.nic = nic;
    }

    void sendControl(HostNicQueue q, byte[] message) {
        if (q.controlBytes + message.length > MAX_CONTROL_BYTES) {
            nic.channels.faulted(q, "more than " + MAX_CONTROL_BYTES + " bytes of control responses wait for"
                    + " receive slots the guest does not return");
            return;
        }
        q.control.add(message);
        q.controlBytes += message.length;
        scheduleFlush(q); // after the completion of the request that asked for it
    }

    /** Flushes {@code q} on a later turn of the context, once for everything queued meanwhile. */
    private void scheduleFlush(HostNicQueue q) {
        if (!q.flushQueued) {
            q.flushQueued = true;
            nic.context.runOnContext(v -> {
                q.flushQueued = false;
                flush(q);
            });
        }
    }

    /**
     * A frame from the backend ({@code frame[0, length)}, the port's until this returns), on the host's context;
     * {@code more} if the backend hands over another in the same task. While nothing waits on its queue and a slot
     * and ring room are free, the frame is written straight into a receive slot as the next range of the batch the
     * burst fills, sent with the burst's last frame (or once it holds {@link HostNic#MAX_RANGES}); otherwise it is
     * copied into a message that waits for {@link #flush}.
     */
    void fromOutside(byte[] frame, int length, boolean more) {
        int tci = nic.nvsp.vlanOutOfBand && Vlan.tagged(frame, 0, length) ? Vlan.tci(frame, 0) : -1;
        int wire = tci < 0 ? length : length - Vlan.TAG;
        if (nic.phase != HostNic.Phase.ACTIVE || !nic.rndis.rndisInitialized || nic.queues.isEmpty()) {
            dropsNotReady++;
        } else if (nic.rndis.packetFilter == Rndis.FILTER_NONE) {
            dropsFilter++;
        } else if (wire > nic.nvsp.ndisMtu || messageLength(wire, tci) > nic.nvsp.slots.slotSize()) {
            dropsTooLong++;
        } else {
            HostNicQueue q = pick(frame, length);
            if (openQueue != null && openQueue != q) {
                closeOpen();
            }
            if (!inPlace(q, frame, length, tci)) {
                closeOpen(); // what the burst wrote in place goes before this frame
                if (q.data.size() >= MAX_PENDING_FRAMES) {
                    dropsBacklog++;
                    pausePort(PauseReason.FRAMES_QUEUED);
                } else {
                    byte[] message = new byte[messageLength(wire, tci)];
                    writeMessage(MemorySegment.ofArray(message), 0, frame, length, tci);
                    q.data.add(message);
                    scheduleFlush(q);
                }
            }
        }
        if (!more || (openQueue != null && nic.nvsp.slots.openCount() >= MAX_RANGES)) {
            closeOpen();
        }
    }

    /**
     * Writes the frame into a receive slot of the batch being filled for {@code q}, if nothing waits on {@code q},
     * a slot beyond the control reserve is free and the ring has not several batches waiting already; false if not.
     */
    private boolean inPlace(HostNicQueue q, byte[] frame, int length, int tci) {
        ReceiveSlots slots = nic.nvsp.slots;
        if (!q.data.isEmpty() || !q.control.isEmpty() || !q.driver.open() || slots.free() <= reserve(slots)
                || q.driver.parkedCount() >= MAX_PARKED_BATCHES) {
            return false;
        }
        int wire = tci < 0 ? length : length - Vlan.TAG;
        long at = slots.take(messageLength(wire, tci));
        writeMessage(slots.memory(), at, frame, length, tci);
        openQueue = q;
        q.framesToGuest++;
        q.bytesToGuest += wire;
        return true;
    }

    /** The bytes a PACKET_MSG takes for a frame of {@code wire} bytes on the wire, with a VLAN PPI if {@code tci >= 0}. */
    private static int messageLength(int wire, int tci) {
        return (tci < 0 ? RX_HEADER : RX_VLAN_HEADER).length() + wire;
    }

    /**
     * Writes {@code frame[0, length)} as a PACKET_MSG at {@code at} of {@code out}: as it is, or, with {@code tci >= 0},
     * its tag taken out into the VLAN PPI and the rest of the frame closed up behind its addresses.
     */
    private void writeMessage(MemorySegment out, long at, byte[] frame, int length, int tci) {
        if (tci < 0) {
            int head = RX_HEADER.write(out, at, length);
            MemorySegment.copy(frame, 0, out, ValueLayout.JAVA_BYTE, at + head, length);
            return;
        }
        int head = RX_VLAN_HEADER.write(out, at, length - Vlan.TAG);
        out.set(U32, at + head - 4, Vlan.ndisInfo(tci));
        MemorySegment.copy(frame, 0, out, ValueLayout.JAVA_BYTE, at + head, Vlan.AT);
        MemorySegment.copy(frame, Vlan.AT + Vlan.TAG, out, ValueLayout.JAVA_BYTE, at + head + Vlan.AT,
                length - Vlan.AT - Vlan.TAG);
        vlanToGuest++;
    }

    /** Slots kept free for control messages: {@link HostNic#CONTROL_SLOTS} where the buffer has room for it. */
    private static int reserve(ReceiveSlots slots) {
        return slots.count() > 2 * CONTROL_SLOTS ? CONTROL_SLOTS : 0;
    }

    /** Sends the batch written in place, if any, on its queue. */
    private void closeOpen() {
        HostNicQueue q = openQueue;
        if (q == null) {
            return;
        }
        openQueue = null;
        ReceiveSlots slots = nic.nvsp.slots;
        if (nic.faults.rangePastBuffer()) {
            slots.rangePastBuffer();
        }
        TransferPageRanges ranges = new TransferPageRanges(slots.openCount());
        long id = slots.close(pageSet(), ranges);
        sendBatch(q, id, ranges, Nvsp.CHANNEL_DATA);
    }

    /** The queue a frame goes to: its flow's hash through the guest's indirection table, else the primary. */
    private HostNicQueue pick(byte[] frame, int length) {
        if (nic.queues.size() == 1) {
            return nic.queues.firstEntry().getValue();
        }
        int hash = FlowHash.of(frame, length);
        int index;
        if (nic.rndis.rssTable != null) {
            index = nic.rndis.rssTable[Math.floorMod(hash, nic.rndis.rssTable.length)];
        } else {
            index = Math.floorMod(hash, nic.nvsp.subchannelsGranted + 1);
        }
        HostNicQueue q = nic.queues.get(index);
        return q != null ? q : nic.queues.firstEntry().getValue();
    }

    void flushAll() {
        closeOpen();
        for (HostNicQueue q : List.copyOf(nic.queues.values())) {
            flush(q);
        }
    }

    /** Sends what waits on {@code q} while receive slots and ring room last: control first, then frames. */
    private void flush(HostNicQueue q) {
        ReceiveSlots slots = nic.nvsp.slots;
        if (slots == null || !q.driver.open()
                || (nic.phase != HostNic.Phase.ACTIVE && nic.phase != HostNic.Phase.INITIALIZING)) {
            return;
        }
        closeOpen(); // a burst's frames written in place go first
        while (!q.control.isEmpty()) {
            byte[] message = q.control.peek();
            ReceiveSlots.Batch batch = fill(List.of(message));
            if (batch == null) {
                return; // wait for the guest to return slots
            }
            q.control.poll();
            q.controlBytes -= message.length;
            sendBatch(q, batch.transactionId(), batch.ranges(), Nvsp.CHANNEL_CONTROL);
        }
        while (!q.data.isEmpty() && nic.phase == HostNic.Phase.ACTIVE) {
            int room = slots.free() - reserve(slots);
            int n = Math.min(Math.min(MAX_RANGES, q.data.size()), room);
            if (n <= 0) {
                pausePort(PauseReason.NO_RECEIVE_SLOT);
                return;
            }
            if (q.driver.parkedCount() >= MAX_PARKED_BATCHES) {
                pausePort(PauseReason.BATCHES_WAITING);
                return;
            }
            List<byte[]> frames = new ArrayList<>(n);
            long bytes = 0;
            for (int i = 0; i < n; i++) {
                byte[] m = q.data.poll();
                frames.add(m);
                bytes += RndisMessage.Packet.dataLength(m);
            }
            ReceiveSlots.Batch batch = fill(frames);
            q.framesToGuest += n;
            q.bytesToGuest += bytes;
            sendBatch(q, batch.transactionId(), batch.ranges(), Nvsp.CHANNEL_DATA);
        }
        if (portPaused) {
            resumeIfRoom();
        }
    }

    private ReceiveSlots.Batch fill(List<byte[]> messages) {
        if (nic.faults.rangePastBuffer()) {
            nic.nvsp.slots.rangePastBuffer();
        }
        return nic.nvsp.slots.fill(messages, pageSet());
    }

    /** The page set the batches name: the guest's receive buffer's, unless the fault knob says another. */
    private int pageSet() {
        return nic.faults.wrongPageSetId() ? (nic.nvsp.pageSetId ^ 0x5A5A) & 0xFFFF : nic.nvsp.pageSetId;
    }

    private void sendBatch(HostNicQueue q, long transactionId, TransferPageRanges ranges, int channelType) {
        long id = nic.faults.transactionIdPastSlots() ? nic.nvsp.slots.count() + 1L : transactionId;
        byte[] payload = new NvspMessage.RndisPacket(channelType, Nvsp.NO_SECTION, 0).encode(nic.nvsp.messageSize());
        q.batches++;
        Future<Void> sent = q.driver.send(payload, id, PacketType.DATA_USING_XFER_PAGES,
                PacketLayout.FLAG_COMPLETION_REQUESTED, ranges, null);
        if (!sent.isComplete()) {
            sent.onComplete(ar -> nic.context.runOnContext(x -> flush(q)));
        }
    }

    void pausePort(PauseReason why) {
        if (!portPaused) {
            portPaused = true;
            pauses[why.ordinal()]++;
            pausedSince = System.nanoTime();
            nic.port.pause();
        }
    }

    void resumePort() {
        if (portPaused) {
            portPaused = false;
            pausedNanos += System.nanoTime() - pausedSince;
            nic.port.resume();
        }
    }

    /** The backend's pauses by reason, and how long it has been paused in all (ms, the current pause included). */
    JsonObject pausesJson() {
        JsonObject json = new JsonObject();
        for (PauseReason r : PauseReason.values()) {
            json.put(r.key, pauses[r.ordinal()]);
        }
        long nanos = pausedNanos + (portPaused ? System.nanoTime() - pausedSince : 0);
        return json.put("pausedMs", nanos / 1_000_000);
    }

    private void resumeIfRoom() {
        for (HostNicQueue q : nic.queues.values()) {
            if (q.data.size() > MAX_PENDING_FRAMES / 2 || q.driver.parkedCount() >= MAX_PARKED_BATCHES) {
                return;
            }
        }
        if (nic.nvsp.slots != null && nic.nvsp.slots.free() > CONTROL_SLOTS) {
            resumePort();
        }
    }
}
