package dev.vmbus.host.nic;

import dev.vmbus.host.ReceiveSlots;
import dev.vmbus.net.FlowHash;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.PerPacketInfo;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.ring.PacketLayout;
import dev.vmbus.ring.PacketType;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.lang.foreign.MemorySegment;
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
    private static final int RX_INFO_LENGTH = RndisMessage.Packet.ppiLength(RX_INFO);

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

    /** A frame from the backend, on the host's context. */
    void fromOutside(byte[] frame) {
        if (nic.phase != HostNic.Phase.ACTIVE || !nic.rndis.rndisInitialized || nic.queues.isEmpty()) {
            dropsNotReady++;
            return;
        }
        if (nic.rndis.packetFilter == Rndis.FILTER_NONE) {
            dropsFilter++;
            return;
        }
        if (frame.length > nic.nvsp.ndisMtu || RndisMessage.Packet.ppiLength(RX_INFO) + Rndis.PACKET_HEADER_SIZE
                + frame.length > nic.nvsp.slots.slotSize()) {
            dropsTooLong++;
            return;
        }
        HostNicQueue q = pick(frame);
        if (q.data.size() >= MAX_PENDING_FRAMES) {
            dropsBacklog++;
            pausePort(PauseReason.FRAMES_QUEUED);
            return;
        }
        byte[] message = new byte[Rndis.PACKET_HEADER_SIZE + RX_INFO_LENGTH + frame.length];
        int at = RndisMessage.Packet.writeHeader(MemorySegment.ofArray(message), 0, frame.length, RX_INFO);
        System.arraycopy(frame, 0, message, at, frame.length);
        q.data.add(message);
        scheduleFlush(q);
    }

    /** The queue a frame goes to: its flow's hash through the guest's indirection table, else the primary. */
    private HostNicQueue pick(byte[] frame) {
        if (nic.queues.size() == 1) {
            return nic.queues.firstEntry().getValue();
        }
        int hash = FlowHash.of(frame);
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
        while (!q.control.isEmpty()) {
            byte[] message = q.control.peek();
            ReceiveSlots.Batch batch = fill(List.of(message));
            if (batch == null) {
                return; // wait for the guest to return slots
            }
            q.control.poll();
            q.controlBytes -= message.length;
            sendBatch(q, batch, Nvsp.CHANNEL_CONTROL);
        }
        while (!q.data.isEmpty() && nic.phase == HostNic.Phase.ACTIVE) {
            int room = slots.free() - (slots.count() > 2 * CONTROL_SLOTS ? CONTROL_SLOTS : 0);
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
                bytes += m.length - Rndis.PACKET_HEADER_SIZE - RX_INFO_LENGTH;
            }
            ReceiveSlots.Batch batch = fill(frames);
            q.framesToGuest += n;
            q.bytesToGuest += bytes;
            sendBatch(q, batch, Nvsp.CHANNEL_DATA);
        }
        if (portPaused) {
            resumeIfRoom();
        }
    }

    private ReceiveSlots.Batch fill(List<byte[]> messages) {
        if (nic.faults.rangePastBuffer()) {
            nic.nvsp.slots.rangePastBuffer();
        }
        int set = nic.faults.wrongPageSetId() ? (nic.nvsp.pageSetId ^ 0x5A5A) & 0xFFFF : nic.nvsp.pageSetId;
        return nic.nvsp.slots.fill(messages, set);
    }

    private void sendBatch(HostNicQueue q, ReceiveSlots.Batch batch, int channelType) {
        long id = nic.faults.transactionIdPastSlots() ? nic.nvsp.slots.count() + 1L : batch.transactionId();
        byte[] payload = new NvspMessage.RndisPacket(channelType, Nvsp.NO_SECTION, 0).encode(nic.nvsp.messageSize());
        q.batches++;
        Future<Void> sent = q.driver.send(payload, id, PacketType.DATA_USING_XFER_PAGES,
                PacketLayout.FLAG_COMPLETION_REQUESTED, batch.ranges(), null);
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
