package dev.vmbus.device.netvsc;

import dev.vmbus.channel.Packet;
import dev.vmbus.net.FlowHash;
import dev.vmbus.net.FramePort;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.ring.PacketType;
import dev.vmbus.spi.ChannelPort;
import dev.vmbus.spi.OutboundPacket;
import dev.vmbus.spi.SendSections;
import io.vertx.core.json.JsonObject;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.List;

/**
 * A {@link Nic}'s send path (spec §3.6): each frame from the backend written as an RNDIS PACKET_MSG into a free
 * send section and named by an NVSP 107 whose transaction id carries {@link Nic#DATA}, the section and a sequence;
 * the host's completion frees the section. While no section is free, frames wait (at most {@link Nic#WAIT_LIMIT})
 * and the backend is paused.
 *
 * <p>With subchannels, each frame goes out on the queue its flow names, as Linux's {@code netvsc_pick_tx} does: the
 * frame's {@link FlowHash} picks one of the 16 entries of the send indirection table (the host's NVSP 134, else
 * entry {@code i} is queue {@code i % queues}), and the frame is sent on that queue's channel, so every frame of a
 * flow leaves in order on one ring. An entry naming a queue that is not open sends on the primary. The send buffer
 * (and so the sections) is the primary's, shared by every queue; a section's completion comes on the channel its
 * frame went out on.
 *
 * <p>Threads: the NIC's (see {@link Nic}).
 */
final class NicSend {
    private static final int SECTION_BITS = 24;

    private final Nic nic;
    private final ArrayDeque<byte[]> waiting = new ArrayDeque<>();
    volatile int sectionSize;
    volatile SendSections sections;
    private long[] sectionTid;
    private int[] sectionQueue;
    /** The host's send indirection table (NVSP 134), or null before it sent one. */
    private volatile int[] sendTable;
    /** The open queues by index (null where none is open), rebuilt whenever a queue opens or ends. */
    private volatile NicQueue[] byIndex = new NicQueue[0];
    private long sendSequence;
    private boolean paused;
    private volatile int framesWaiting;
    volatile long dropsTooLong;
    volatile long dropsNoSection;
    volatile long hostSendErrors;
    /** Frames whose subchannel ended before the host completed them (their sections are free again). */
    volatile long dropsQueueEnded;

    NicSend(Nic nic) {
        this.nic = nic;
    }

    /** The send buffer cut into sections of {@code size} (bring-up). */
    void sections(int size, SendSections cut) {
        sectionSize = size;
        sectionTid = new long[cut.count()];
        sectionQueue = new int[cut.count()];
        sections = cut;
    }

    /** The host's send indirection table (16 queue indexes, any value: an index that names no queue sends on 0). */
    void sendTable(List<Integer> entries) {
        int[] table = new int[entries.size()];
        for (int i = 0; i < table.length; i++) {
            table[i] = entries.get(i);
        }
        sendTable = table;
    }

    /** The queues changed (one opened or ended; any thread): the index table is made again. */
    void queuesChanged() {
        int max = 0;
        for (NicQueue q : nic.queues.values()) {
            max = Math.max(max, q.index);
        }
        NicQueue[] out = new NicQueue[max + 1];
        for (NicQueue q : nic.queues.values()) {
            if (q.index >= 0) {
                out[q.index] = q;
            }
        }
        byIndex = out;
    }

    /**
     * Subchannel {@code index} ended (on the NIC's context): the host completes nothing it carried any more, so
     * the sections of its frames are free again (counted as dropped) and frames that waited go.
     */
    void queueEnded(int index) {
        if (sectionTid == null || index == 0) {
            return;
        }
        boolean freed = false;
        for (int i = 0; i < sectionTid.length; i++) {
            if (sectionTid[i] != 0 && sectionQueue[i] == index) {
                sectionTid[i] = 0;
                sections.give(i);
                dropsQueueEnded++;
                freed = true;
            }
        }
        if (freed && nic.phase == Nic.Phase.UP) {
            pump();
        }
    }

    /** The queue frame {@code f} goes out on: its flow's entry of the send table, else the primary. */
    private NicQueue queueFor(byte[] f) {
        NicQueue[] queues = byIndex;
        NicQueue primary = queues.length > 0 ? queues[0] : null;
        if (queues.length < 2) {
            return primary;
        }
        int hash = FlowHash.of(f);
        int[] table = sendTable;
        int index;
        if (table != null && table.length > 0) {
            index = table[Math.floorMod(hash, table.length)];
        } else {
            index = Math.floorMod(hash, Nvsp.INDIRECTION_TABLE_SIZE) % queues.length;
        }
        NicQueue q = index >= 0 && index < queues.length ? queues[index] : null;
        return q != null ? q : primary;
    }

    /** Forgets the frames that wait (the NIC failed or closed). */
    void clear() {
        waiting.clear();
    }

    JsonObject sectionsJson() {
        SendSections cut = sections;
        SendSections.Use use = cut == null ? null : cut.use();
        return new JsonObject().put("size", sectionSize)
                .put("count", use == null ? 0 : use.count())
                .put("inUse", use == null ? 0 : use.inUse())
                .put("framesWaiting", framesWaiting);
    }

    /** One frame from the backend (on the NIC's context). */
    void fromBackend(byte[] f) {
        if (nic.phase != Nic.Phase.UP) {
            nic.dropsNotUp++;
            return;
        }
        if (f.length + Rndis.PACKET_HEADER_SIZE > sectionSize) {
            dropsTooLong++;
            return;
        }
        if (!waiting.isEmpty() || !transmit(f)) {
            if (waiting.size() >= Nic.WAIT_LIMIT) {
                dropsNoSection++;
            } else {
                waiting.add(f);
                framesWaiting = waiting.size();
            }
            if (!paused) {
                paused = true;
                nic.port.pause();
            }
        }
    }

    /** Writes {@code f} as a PACKET_MSG into a free section and sends NVSP 107 naming it; false if none is free. */
    private boolean transmit(byte[] f) {
        int index = sections.take();
        if (index < 0) {
            return false;
        }
        MemorySegment memory = nic.sendMemory;
        long base = (long) index * sectionSize;
        int head = RndisMessage.Packet.writeHeader(memory, base, f.length, List.of());
        MemorySegment.copy(f, 0, memory, ValueLayout.JAVA_BYTE, base + head, f.length);
        long tid = Nic.DATA | (++sendSequence & ((1L << (63 - SECTION_BITS)) - 1)) << SECTION_BITS | index;
        sectionTid[index] = tid;
        NicQueue q = queueFor(f);
        OutboundPacket packet = new OutboundPacket(new NvspMessage.RndisPacket(Nvsp.CHANNEL_DATA, index,
                head + f.length).encode(Nic.MESSAGE_SIZE), tid, PacketType.DATA_INBAND, 1);
        if (q == null || q.index == 0 || q.port == null) {
            NicQueue primary = q != null && q.index == 0 ? q : nic.queues.get(nic.relid());
            sectionQueue[index] = 0;
            if (primary != null) {
                primary.framesOut++;
                primary.bytesOut += f.length;
            }
            nic.send(packet);
            return true;
        }
        sectionQueue[index] = q.index;
        q.framesOut++;
        q.bytesOut += f.length;
        ChannelPort out = q.port;
        int queue = q.index;
        // a send fails only once its subchannel ended: its frames are dropped and their sections freed, on the
        // NIC's context (the future completes on the subchannel's)
        io.vertx.core.Context here = nic.context;
        out.send(packet).onFailure(e -> here.runOnContext(v -> queueEnded(queue)));
        return true;
    }

    /** The completion of a frame's send ({@code tid} with {@link Nic#DATA}): its section is free again. */
    void completed(Packet packet, long tid) {
        int index = (int) (tid & ((1L << SECTION_BITS) - 1));
        if (sectionTid == null || index >= sectionTid.length || sectionTid[index] != tid) {
            throw new NetvscFault("a completion for transaction id 0x" + Long.toHexString(tid)
                    + ", a data send this guest never issued (or the host already completed)");
        }
        NvspMessage m = Nic.nvsp(packet.payload(), true, "the completion of a frame in send section " + index);
        NvspMessage.RndisPacketComplete done = Nic.expect(m, NvspMessage.RndisPacketComplete.class,
                "a frame in send section " + index);
        if (done.status() != Nvsp.STATUS_SUCCESS) {
            hostSendErrors++; // Linux counts it and frees the section
        }
        sectionTid[index] = 0;
        sections.give(index);
        pump();
    }

    /** A section freed: frames that waited go, and the backend resumes once none wait. */
    private void pump() {
        while (!waiting.isEmpty() && transmit(waiting.peek())) {
            waiting.poll();
        }
        framesWaiting = waiting.size();
        FramePort p = nic.port;
        if (waiting.isEmpty() && paused && p != null) {
            paused = false;
            p.resume();
        }
    }
}
