package dev.vmbus.device.netvsc;

import dev.vmbus.channel.Packet;
import dev.vmbus.net.FramePort;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.transport.ChannelBuffer;
import dev.vmbus.transport.HostTransport;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A backend's burst ({@link FramePort.Receiver}'s {@code more}) goes to the host as few send sections as fit: the
 * frames end to end as PACKET_MSGs on the host's 8-byte alignment, at most its 8 packets per message, one NVSP 107
 * and one completion per section; a lone frame still goes at once.
 */
class NetvscBurstTest {

    /** A backend the test drives: {@link #burst} hands frames over in one task, as a TAP port does. */
    static class BurstPort implements FramePort {
        volatile Executor deliver;
        volatile Receiver toNic;
        volatile boolean paused;

        @Override
        public void startBursts(Executor deliver, Receiver toNic) {
            this.deliver = deliver;
            this.toNic = toNic;
        }

        void burst(List<byte[]> frames) {
            deliver.execute(() -> {
                for (int i = 0; i < frames.size(); i++) {
                    toNic.frame(frames.get(i), frames.get(i).length, i < frames.size() - 1);
                }
            });
        }

        @Override
        public boolean send(byte[] frame, int offset, int length) {
            return true;
        }

        @Override
        public void pause() {
            paused = true;
        }

        @Override
        public void resume() {
            paused = false;
        }

        @Override
        public Stats stats() {
            return new Stats(0, 0, 0, 0, 0, 0);
        }

        @Override
        public void close() {
        }
    }

    /**
     * A backend that answers each frame the NIC writes to it, as the kernel answers an echo request written to a
     * TAP (the reply is queued before the write returns); the answer goes to the NIC only when it reads
     * ({@link #readNow}), so without that read it never leaves.
     */
    static final class EchoPort extends BurstPort {
        final java.util.Queue<byte[]> answers = new java.util.concurrent.ConcurrentLinkedQueue<>();
        final List<io.vertx.core.Context> readIn = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public boolean send(byte[] frame, int offset, int length) {
            byte[] answer = java.util.Arrays.copyOfRange(frame, offset, offset + length);
            answer[answer.length - 1] ^= 0x5a;
            answers.add(answer);
            return true;
        }

        @Override
        public void readNow() {
            readIn.add(io.vertx.core.Vertx.currentContext());
            byte[] a;
            while ((a = answers.poll()) != null) {
                toNic.frame(a, a.length, !answers.isEmpty());
            }
        }
    }

    private static NicHost start(BurstPort port, long sendBuffer) throws Exception {
        NicHost host = new NicHost(new JsonObject(), new HostTransport.Buffers(31L << 20, sendBuffer),
                new NetvscHandler((vertx, name, mac, mtu, maxFrame, link) -> port));
        try {
            assertTrue(host.bringUp(new NetvspAnswers() { }));
            host.awaitNic(n -> n.getString("phase").equals("up"), "up");
            assertNotNull(port.toNic, "the NIC started its backend");
            return host;
        } catch (Exception | AssertionError e) {
            host.close();
            throw e;
        }
    }

    /** The guest's next packet that is not a receive completion. */
    private static Packet nextSend(NicHost host) {
        while (true) {
            Packet p = host.next();
            if (!p.isCompletion()) {
                return p;
            }
        }
    }

    /** The PACKET_MSGs in the section {@code p} names, checking each starts 8-byte aligned and they fill it. */
    static List<byte[]> framesIn(NicHost host, Packet p) throws Exception {
        NvspMessage.RndisPacket m = assertInstanceOf(NvspMessage.RndisPacket.class, NicHost.nvsp(p));
        assertEquals(Nvsp.CHANNEL_DATA, m.channelType());
        byte[] section = host.buffer(ChannelBuffer.Kind.SEND).read((long) m.sectionIndex() * NicHost.SECTION,
                m.sectionSize());
        List<byte[]> frames = new ArrayList<>();
        int at = 0;
        while (at < section.length) {
            assertEquals(0, at % 8, "each PACKET_MSG starts on the host's 8-byte alignment");
            int length = ByteBuffer.wrap(section).order(ByteOrder.LITTLE_ENDIAN).getInt(at + 4);
            assertTrue(length >= Rndis.PACKET_HEADER_SIZE && at + length <= section.length, "msg_len " + length);
            byte[] one = java.util.Arrays.copyOfRange(section, at, at + length);
            RndisMessage.Packet packet = assertInstanceOf(RndisMessage.Packet.class, RndisMessage.decode(one));
            frames.add(packet.frame());
            at += length;
        }
        return frames;
    }

    private static List<byte[]> frames(int count, int length, int seed) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(NetvscDataTest.frame(length + i, seed + i));
        }
        return out;
    }

    private static void assertSameFrames(List<byte[]> expected, List<byte[]> actual) {
        assertEquals(expected.size(), actual.size(), "frames");
        for (int i = 0; i < expected.size(); i++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected.get(i), actual.get(i), "frame " + i);
        }
    }

    @Test
    void aBurstSharesSectionsUpToTheHostsPacketsPerMessageAndTheSectionSize() throws Exception {
        BurstPort port = new BurstPort();
        try (NicHost host = start(port, 16L << 20)) {
            host.seen.clear();
            // three frames of odd lengths: one section, one packet
            List<byte[]> three = List.of(NetvscDataTest.frame(61, 1), NetvscDataTest.frame(1514, 2),
                    NetvscDataTest.frame(343, 3));
            port.burst(three);
            Packet p = nextSend(host);
            assertSameFrames(three, framesIn(host, p));
            host.complete(p.transactionId(), new NvspMessage.RndisPacketComplete(Nvsp.STATUS_SUCCESS));
            JsonObject nic = host.awaitNic(n -> n.getJsonObject("sendSections").getInteger("inUse") == 0,
                    "the section back");
            assertEquals(3, nic.getJsonArray("queues").getJsonObject(0).getLong("framesToHost"));
            assertEquals(61 + 1514 + 343, nic.getJsonArray("queues").getJsonObject(0).getLong("bytesToHost"));

            // ten small frames: the host takes 8 per message, so 8 + 2
            List<byte[]> ten = frames(10, 60, 10);
            port.burst(ten);
            Packet first = nextSend(host);
            Packet second = nextSend(host);
            List<byte[]> got = new ArrayList<>(framesIn(host, first));
            assertEquals(8, got.size());
            got.addAll(framesIn(host, second));
            assertSameFrames(ten, got);

            // seven full-size frames: three fit in a 6,144-byte section, so 3 + 3 + 1
            List<byte[]> seven = frames(7, 1508, 30);
            port.burst(seven);
            List<byte[]> all = new ArrayList<>();
            List<Integer> perPacket = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                List<byte[]> in = framesIn(host, nextSend(host));
                perPacket.add(in.size());
                all.addAll(in);
            }
            assertEquals(List.of(3, 3, 1), perPacket);
            assertSameFrames(seven, all);
            // two sections of the ten and three of the seven wait for their completions: no other was used
            host.awaitNic(n -> n.getJsonObject("sendSections").getInteger("inUse") == 5, "5 sections in use");
        }
    }

    @Test
    void anAnswerTheBackendHoldsAtOnceLeavesWithTheReceiveCompletionUnderOneSignal() throws Exception {
        EchoPort port = new EchoPort();
        try (NicHost host = start(port, 16L << 20)) {
            host.settle(); // bring-up's transfer pages all completed: the host's ring from the guest is idle
            long before = host.hostInterrupts();
            host.seen.clear();
            byte[] request = NetvscDataTest.frame(98, 5);
            long tid = host.deliver(List.of(new RndisMessage.Packet(request, List.of()).encode()), Nvsp.CHANNEL_DATA);
            Packet done = host.next();
            assertEquals(dev.vmbus.ring.PacketType.COMP, done.type(), "the receive completion comes first");
            assertEquals(tid, done.transactionId());
            Packet answer = nextSend(host);
            byte[] expected = request.clone();
            expected[expected.length - 1] ^= 0x5a;
            assertSameFrames(List.of(expected), framesIn(host, answer));
            // the completion and the answer were published together: one signal woke the host for both
            assertEquals(1, host.hostInterrupts() - before, "signals from the guest for the completion and the answer");
            assertEquals(1, port.readIn.size(), "the NIC read the backend once, after the batch wrote to it");
            assertTrue(port.readIn.getFirst() != null && port.readIn.getFirst().isEventLoopContext(),
                    "read on the NIC's event loop");
            // a batch that writes nothing to the backend (the answer's completion) does not read it
            host.complete(answer.transactionId(), new NvspMessage.RndisPacketComplete(Nvsp.STATUS_SUCCESS));
            host.awaitNic(n -> n.getJsonObject("sendSections").getInteger("inUse") == 0, "the section back");
            assertEquals(1, port.readIn.size(), "reads of the backend after a batch without frames for it");
        }
    }

    @Test
    void framesThatWaitForASectionGoTogetherOnceOneIsFree() throws Exception {
        BurstPort port = new BurstPort();
        // 8 pages of send buffer: 5 sections of 6144 bytes
        try (NicHost host = start(port, 8 * 4096)) {
            host.seen.clear();
            List<byte[]> big = frames(15, 1508, 50); // 3 per section: all 5 sections
            port.burst(big);
            List<Packet> sent = new ArrayList<>();
            List<byte[]> got = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Packet p = nextSend(host);
                sent.add(p);
                got.addAll(framesIn(host, p));
            }
            List<byte[]> more = frames(4, 100, 70);
            port.burst(more);
            host.awaitNic(n -> n.getJsonObject("sendSections").getInteger("framesWaiting") == 4, "4 frames waiting");
            assertTrue(port.paused, "the backend is paused while frames wait");
            host.complete(sent.getFirst().transactionId(), new NvspMessage.RndisPacketComplete(Nvsp.STATUS_SUCCESS));
            got.addAll(framesIn(host, nextSend(host))); // the four waiting frames, in one section
            List<byte[]> expected = new ArrayList<>(big);
            expected.addAll(more);
            assertSameFrames(expected, got);
            host.awaitNic(n -> n.getJsonObject("sendSections").getInteger("framesWaiting") == 0, "none waiting");
            await("the backend to resume").atMost(5, TimeUnit.SECONDS).until(() -> !port.paused);
        }
    }
}
