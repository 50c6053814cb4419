package dev.vmbus.device.netvsc;

import dev.vmbus.channel.Packet;
import dev.vmbus.net.FramePort;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.ring.PacketType;
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
    private long sendSequence;
    private boolean paused;
    private volatile int framesWaiting;
    volatile long dropsTooLong;
    volatile long dropsNoSection;
    volatile long hostSendErrors;

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
        NicQueue q = nic.queues.get(nic.relid());
        sectionQueue[index] = q.index;
        q.framesOut++;
        q.bytesOut += f.length;
        nic.send(new OutboundPacket(new NvspMessage.RndisPacket(Nvsp.CHANNEL_DATA, index, head + f.length)
                .encode(Nic.MESSAGE_SIZE), tid, PacketType.DATA_INBAND, 1));
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
