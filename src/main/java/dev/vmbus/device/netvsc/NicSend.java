package dev.vmbus.device.netvsc;

import dev.vmbus.channel.Packet;
import dev.vmbus.net.FlowHash;
import dev.vmbus.net.FramePort;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.PerPacketInfo;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.net.Vlan;
import dev.vmbus.ring.PacketType;
import dev.vmbus.spi.ChannelPort;
import dev.vmbus.spi.OutboundPacket;
import dev.vmbus.spi.SendSections;
import io.vertx.core.json.JsonArray;
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
 * flow leaves in order on one ring, with that hash in a HASH_VALUE PPI as Linux sends it. An entry naming a queue
 * that is not open sends on the primary. The send buffer (and so the sections) is the primary's, shared by every
 * queue; a section's completion comes on the channel its frame went out on, and on no other (Linux looks it up in
 * that channel's requestor).
 *
 * <p>Bursts: while the backend says more frames follow in the same task ({@link FramePort.Receiver}), frames for
 * the same queue go into the same section, PACKET_MSGs end to end, each starting on the host's packet alignment
 * (the previous one's {@code msg_len} covering the padding), at most the host's packets per message, as Linux's
 * netvsc batches with {@code xmit_more}. The section is sent with the burst's last frame, or when the next frame
 * does not fit or goes to another queue: one VMBus packet and one completion for the burst instead of one per frame.
 *
 * <p>Threads: the NIC's (see {@link Nic}).
 */
final class NicSend {
    private static final int SECTION_BITS = 24;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    /** A sent frame's PACKET_MSG header: no per-packet info (no offloads are used). */
    private static final RndisMessage.Header TX_HEADER = RndisMessage.Packet.header(List.of());
    /**
     * A tagged frame's: its 802.1Q tag out of band in a VLAN PPI (the header's last word, written per frame), as
     * Linux's {@code netvsc_xmit} sends a tagged skb's and a netvsc host takes it.
     */
    private static final RndisMessage.Header TX_VLAN_HEADER = RndisMessage.Packet.header(List.of(
            PerPacketInfo.u32(PerPacketInfo.TYPE_VLAN, 0)));
    /**
     * With more than one queue open, a frame's header carries its flow hash in a HASH_VALUE PPI (type 8) ahead of
     * any VLAN PPI, as Linux's {@code netvsc_xmit} sends {@code skb_get_hash_raw} (the hash its {@code
     * netvsc_pick_tx} chose the queue by) when {@code real_num_tx_queues > 1}: the value the host's send table maps
     * to the channel the frame went out on, whose completion the host sends there ("so that the host could
     * dispatch the TX done event for this packet back to this TX ring's channel", FreeBSD's {@code hn_encap}). The
     * value is the header's last word, or the one before the VLAN PPI.
     */
    private static final RndisMessage.Header TX_HASH_HEADER = RndisMessage.Packet.header(List.of(
            PerPacketInfo.u32(PerPacketInfo.TYPE_HASH_VALUE, 0)));
    private static final RndisMessage.Header TX_HASH_VLAN_HEADER = RndisMessage.Packet.header(List.of(
            PerPacketInfo.u32(PerPacketInfo.TYPE_HASH_VALUE, 0), PerPacketInfo.u32(PerPacketInfo.TYPE_VLAN, 0)));
    /** A u32 PPI's length, header included (where the hash sits before a VLAN PPI). */
    private static final int U32_PPI = TX_HASH_VLAN_HEADER.length() - TX_HASH_HEADER.length();

    private final Nic nic;
    private final ArrayDeque<byte[]> waiting = new ArrayDeque<>();
    volatile int sectionSize;
    volatile SendSections sections;
    private long[] sectionTid;
    /** The queue each section in use went out on (its completion comes on that queue's channel). */
    private NicQueue[] sectionQueue;
    /** The host's send indirection table (NVSP 134), or null before it sent one. */
    private volatile int[] sendTable;
    /** The open queues by index (null where none is open), rebuilt whenever a queue opens or ends. */
    private volatile NicQueue[] byIndex = new NicQueue[0];
    private long sendSequence;
    /** The flow hash {@link #queueFor} last found, or 0 (a frame with 0 goes without a hash PPI, as Linux's). */
    private int flowHash;
    private boolean paused;
    /** The section a burst is being written into, or -1; the queue it goes out on. */
    private int openIndex = -1;
    private NicQueue openQueue;
    /** Bytes written into the open section, and where its last PACKET_MSG starts. */
    private int openLength;
    private int openLast;
    /** Frames and frame bytes in the open section. */
    private int openFrames;
    private long openBytes;
    private volatile int framesWaiting;
    volatile long dropsTooLong;
    volatile long dropsNoSection;
    volatile long hostSendErrors;
    /** Frames whose subchannel ended before the host completed them (their sections are free again). */
    volatile long dropsQueueEnded;
    /** Tagged frames sent with their tag out of band. */
    volatile long vlanTagged;
    /** Announcements of the NIC's MAC sent ({@link #announce}). */
    volatile long announcements;
    /** An announcement's length: the shortest Ethernet frame (without its FCS), the RARP message zero-padded to it. */
    static final int ANNOUNCEMENT_LENGTH = 60;

    NicSend(Nic nic) {
        this.nic = nic;
    }

    /**
     * The longest frame, its 802.1Q tag included, a send section of {@code sectionSize} bytes holds: its PACKET_MSG
     * header and, for a tagged frame, the VLAN PPI its tag moves into take the rest. Every frame goes through a
     * section (no GPA-direct data pages), so this bounds the NIC's MTU.
     */
    static int largestFrame(int sectionSize) {
        return sectionSize - TX_VLAN_HEADER.length() + Vlan.TAG;
    }

    /** The send buffer cut into sections of {@code size} (bring-up). */
    void sections(int size, SendSections cut) {
        sectionSize = size;
        sectionTid = new long[cut.count()];
        sectionQueue = new NicQueue[cut.count()];
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

    /** The host's send indirection table as the NIC's state shows it, or null before the host sent one. */
    JsonArray sendTableJson() {
        int[] table = sendTable;
        if (table == null) {
            return null;
        }
        JsonArray out = new JsonArray();
        for (int entry : table) {
            out.add(entry);
        }
        return out;
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
            if (sectionTid[i] != 0 && sectionQueue[i].index == index) {
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

    /**
     * The queue frame {@code f[0, length)} goes out on: its flow's entry of the send table, else the primary; its
     * flow hash is left in {@link #flowHash} (0 with one queue, and no hash PPI is sent then).
     */
    private NicQueue queueFor(byte[] f, int length) {
        NicQueue[] queues = byIndex;
        NicQueue primary = queues.length > 0 ? queues[0] : null;
        flowHash = 0;
        if (queues.length < 2) {
            return primary;
        }
        int hash = FlowHash.of(f, length);
        flowHash = hash;
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

    /** Forgets the frames that wait and the burst being written (the NIC failed or closed). */
    void clear() {
        waiting.clear();
        openIndex = -1;
        openQueue = null;
    }

    JsonObject sectionsJson() {
        SendSections cut = sections;
        SendSections.Use use = cut == null ? null : cut.use();
        return new JsonObject().put("size", sectionSize)
                .put("count", use == null ? 0 : use.count())
                .put("inUse", use == null ? 0 : use.inUse())
                .put("framesWaiting", framesWaiting);
    }

    /**
     * Tells the network where the NIC's MAC is now: one broadcast frame from it ({@link #announcement}), sent to the
     * host as a frame from the backend is. The host asks for this with a MEDIA_CONNECT while the link is already up,
     * as it does after it moved the VM (a live or quick migration), and Linux's {@code netvsc_link_change} answers
     * that with {@code netdev_notify_peers} (a gratuitous ARP and an unsolicited neighbour advertisement), so the
     * switches on the new path learn the MAC before traffic for it is lost. The NIC does not own the backend's IP
     * addresses (a TAP's are its kernel's), so it announces the MAC alone, as QEMU announces a guest it migrated.
     */
    void announce() {
        announcements++;
        byte[] f = announcement(nic.mac);
        fromBackend(f, f.length, false);
    }

    /**
     * A broadcast RARP request (ethertype 0x8035, operation 3) whose sender and target are {@code mac} and whose
     * addresses are 0.0.0.0, padded to {@link #ANNOUNCEMENT_LENGTH}: what QEMU sends for a guest it migrated
     * ({@code qemu_announce_self}), so every switch on the way learns where {@code mac} is and no host's ARP cache
     * changes.
     */
    static byte[] announcement(byte[] mac) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(ANNOUNCEMENT_LENGTH); // network order
        for (int i = 0; i < 6; i++) {
            b.put((byte) 0xff);
        }
        b.put(mac, 0, 6).putShort((short) 0x8035);
        b.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 3);
        b.put(mac, 0, 6).putInt(0).put(mac, 0, 6).putInt(0);
        return b.array();
    }

    /**
     * One frame from the backend, {@code f[0, length)}, the backend's again once this returns (on the NIC's
     * context); {@code more} if the backend hands over another in this task, so the frame may wait for it in the
     * open section. A frame that has to wait for a section is copied.
     */
    void fromBackend(byte[] f, int length, boolean more) {
        if (nic.phase != Nic.Phase.UP) {
            nic.dropsNotUp++;
        } else if (length > largestFrame(sectionSize)) {
            dropsTooLong++;
        } else if (!waiting.isEmpty() || !append(f, length)) {
            flush(); // nothing is held back while frames wait
            if (waiting.size() >= Nic.WAIT_LIMIT) {
                dropsNoSection++;
            } else {
                waiting.add(java.util.Arrays.copyOf(f, length));
                framesWaiting = waiting.size();
            }
            if (!paused) {
                paused = true;
                nic.port.pause();
            }
        }
        if (!more) {
            flush();
        }
    }

    /**
     * Writes {@code f} as a PACKET_MSG into the open section after what the burst holds, or, when it does not fit
     * there, goes to another queue or the host's packets per message are reached, sends the open section and
     * starts a free one; false if none is free.
     */
    private boolean append(byte[] f, int length) {
        NicQueue q = queueFor(f, length);
        boolean tagged = Vlan.tagged(f, 0, length);
        int wire = tagged ? length - Vlan.TAG : length;
        // the hash PPI only where it fits: the longest frames a section holds (the MTU's) go without one
        int hash = flowHash != 0 && header(tagged, true).length() + wire <= sectionSize ? flowHash : 0;
        int raw = header(tagged, hash != 0).length() + wire;
        if (openIndex >= 0) {
            int at = align(openLength);
            if (q != openQueue || openFrames >= Math.max(1, nic.bringUp.maxPacketsPerMessage)
                    || at + raw > sectionSize) {
                flush();
            } else {
                // the previous PACKET_MSG's msg_len covers the padding up to this one (as Linux pads)
                MemorySegment memory = nic.sendMemory;
                long previous = (long) openIndex * sectionSize + openLast;
                memory.set(U32, previous + 4, memory.get(U32, previous + 4) + (at - openLength));
                write(f, length, at, tagged, hash);
                return true;
            }
        }
        int index = sections.take();
        if (index < 0) {
            return false;
        }
        openIndex = index;
        openQueue = q;
        openLength = 0;
        openFrames = 0;
        openBytes = 0;
        write(f, length, 0, tagged, hash);
        return true;
    }

    private int align(int length) {
        int a = Math.max(1, nic.bringUp.packetAlignment);
        return (length + a - 1) / a * a;
    }

    /** The PACKET_MSG header of a frame: with a VLAN PPI if {@code tagged}, a hash PPI before it if {@code hashed}. */
    private static RndisMessage.Header header(boolean tagged, boolean hashed) {
        return hashed ? (tagged ? TX_HASH_VLAN_HEADER : TX_HASH_HEADER) : (tagged ? TX_VLAN_HEADER : TX_HEADER);
    }

    /**
     * Writes {@code f[0, length)} as a PACKET_MSG at {@code at} in the open section (it fits: the caller checked); a
     * {@code tagged} frame without its tag, which goes into the VLAN PPI; {@code hash}, unless 0, in a hash PPI.
     */
    private void write(byte[] f, int length, int at, boolean tagged, int hash) {
        MemorySegment memory = nic.sendMemory;
        long base = (long) openIndex * sectionSize + at;
        int wire = tagged ? length - Vlan.TAG : length;
        int head = header(tagged, hash != 0).write(memory, base, wire);
        if (hash != 0) {
            memory.set(U32, base + head - 4 - (tagged ? U32_PPI : 0), hash);
        }
        if (tagged) {
            memory.set(U32, base + head - 4, Vlan.ndisInfo(Vlan.tci(f, 0)));
            MemorySegment.copy(f, 0, memory, ValueLayout.JAVA_BYTE, base + head, Vlan.AT);
            MemorySegment.copy(f, Vlan.AT + Vlan.TAG, memory, ValueLayout.JAVA_BYTE, base + head + Vlan.AT,
                    wire - Vlan.AT);
            vlanTagged++;
        } else {
            MemorySegment.copy(f, 0, memory, ValueLayout.JAVA_BYTE, base + head, length);
        }
        openLast = at;
        openLength = at + head + wire;
        openFrames++;
        openBytes += wire;
    }

    /** Sends the open section, if any, as one NVSP 107 naming it, on its queue's channel. */
    private void flush() {
        if (openIndex < 0) {
            return;
        }
        int index = openIndex;
        NicQueue q = openQueue;
        openIndex = -1;
        openQueue = null;
        long tid = Nic.DATA | (++sendSequence & ((1L << (63 - SECTION_BITS)) - 1)) << SECTION_BITS | index;
        sectionTid[index] = tid;
        OutboundPacket packet = new OutboundPacket(new NvspMessage.RndisPacket(Nvsp.CHANNEL_DATA, index,
                openLength).encode(Nic.MESSAGE_SIZE), tid, PacketType.DATA_INBAND, 1);
        if (q == null || q.index == 0 || q.port == null) {
            NicQueue primary = q != null && q.index == 0 ? q : nic.queues.get(nic.relid());
            sectionQueue[index] = primary;
            primary.framesOut += openFrames;
            primary.bytesOut += openBytes;
            nic.send(packet);
            return;
        }
        sectionQueue[index] = q;
        q.framesOut += openFrames;
        q.bytesOut += openBytes;
        ChannelPort out = q.port;
        int queue = q.index;
        // a send fails only once its subchannel ended: its frames are dropped and their sections freed, on the
        // NIC's context (the future completes on the subchannel's)
        io.vertx.core.Context here = nic.context;
        out.send(packet).onFailure(e -> here.runOnContext(v -> queueEnded(queue)));
    }

    /** The completion of a frame's send ({@code tid} with {@link Nic#DATA}): its section is free again. */
    void completed(Packet packet, long tid) {
        int index = (int) (tid & ((1L << SECTION_BITS) - 1));
        if (sectionTid != null && index >= sectionTid.length) {
            throw new NetvscFault("a completion for transaction id 0x" + Long.toHexString(tid) + ", send section "
                    + index + ", past the send buffer's " + sectionTid.length + " sections");
        }
        if (sectionTid == null || sectionTid[index] != tid) {
            throw new NetvscFault("a completion for transaction id 0x" + Long.toHexString(tid)
                    + ", a data send this guest never issued (or the host already completed)");
        }
        int sentOn = sectionQueue[index].relid;
        if (packet.relid() != sentOn) {
            throw new NetvscFault("a completion on channel " + packet.relid() + " for transaction id 0x"
                    + Long.toHexString(tid) + ", a data send this guest never issued on channel " + packet.relid()
                    + " (it went out on channel " + sentOn + ")");
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
        while (!waiting.isEmpty() && append(waiting.peek(), waiting.peek().length)) {
            waiting.poll();
        }
        flush();
        framesWaiting = waiting.size();
        FramePort p = nic.port;
        if (waiting.isEmpty() && paused && p != null) {
            paused = false;
            p.resume();
        }
    }
}
