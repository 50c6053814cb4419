package dev.vmbus.host.nic;

import dev.vmbus.channel.Offer;
import dev.vmbus.channel.Packet;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.NvspMessage;
import dev.vmbus.net.Rndis;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.ring.PacketType;
import dev.vmbus.runtime.ChannelDriver;
import dev.vmbus.transport.OnContext;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static dev.vmbus.host.nic.NicGuest.TIMEOUT_S;
import static dev.vmbus.host.nic.NicGuest.assertNvsp;
import static dev.vmbus.host.nic.NicGuest.config;
import static dev.vmbus.host.nic.NicGuest.frame;
import static dev.vmbus.host.nic.NicGuest.words;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The simulated host's NIC over {@code sim} on its working path, with the test playing the guest ({@link NicGuest}):
 * bring-up answered as netvsp does, frames through the loopback backend both ways with none lost, the packet filter,
 * subchannels granted and flows spread over the queues, the host pausing rather than overrunning the guest's receive
 * slots, and the link state. The guest's mistakes are {@link HostNicGuestMistakesTest}, the host's fault knobs
 * {@link HostNicFaultKnobsTest}.
 */
class HostNicTest {
    private NicGuest g;

    @AfterEach
    void close() throws Exception {
        if (g != null) {
            g.close();
        }
    }

    @Test
    void bringUpAnswersEveryStepAsNetvspDoes() throws Exception {
        g = NicGuest.open(config());
        // versions are tried newest first; one the host does not speak is answered NONE, and the guest goes on
        long id = g.nvsp(new NvspMessage.Init(0x70000, 0x70000), true);
        assertNvsp(words(28, Nvsp.TYPE_INIT_COMPLETE, 0xFFFFFFFF, 34, Nvsp.STATUS_NONE), g.completion(id));
        g.initialise();
        g.rndisUp(Rndis.FILTER_DIRECTED | Rndis.FILTER_BROADCAST | Rndis.FILTER_ALL_MULTICAST);
        assertEquals(new RndisMessage.QueryComplete(10, Rndis.STATUS_SUCCESS, words(4, 1500)),
                g.query(10, Rndis.OID_GEN_MAXIMUM_FRAME_SIZE));
        assertEquals(new RndisMessage.QueryComplete(11, Rndis.STATUS_SUCCESS, HostNic.parseMac("00:15:5d:56:4d:01")),
                g.query(11, Rndis.OID_802_3_PERMANENT_ADDRESS));
        assertEquals(new RndisMessage.QueryComplete(12, Rndis.STATUS_SUCCESS, words(4, Rndis.MEDIA_STATE_CONNECTED)),
                g.query(12, Rndis.OID_GEN_MEDIA_CONNECT_STATUS));
        assertEquals(new RndisMessage.QueryComplete(13, Rndis.STATUS_SUCCESS, words(4, 100_000_000)),
                g.query(13, Rndis.OID_GEN_LINK_SPEED));
        RndisMessage.QueryComplete rss = g.query(14, Rndis.OID_GEN_RECEIVE_SCALE_CAPABILITIES);
        ByteBuffer caps = ByteBuffer.wrap(rss.info()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(20, rss.info().length);
        assertEquals(0x88, caps.get(0) & 0xFF);
        assertEquals(2, caps.get(1));
        assertEquals(20, caps.getShort(2));
        assertEquals(1, caps.getInt(12), "one receive queue");
        assertEquals(128, caps.getShort(16), "a 128-entry indirection table");
        RndisMessage.QueryComplete offload = g.query(15, Rndis.OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES);
        assertEquals(156, offload.info().length);
        assertEquals(0xA7, offload.info()[0] & 0xFF);
        assertEquals(new RndisMessage.QueryComplete(16, Rndis.STATUS_NOT_SUPPORTED, new byte[0]),
                g.query(16, 0x00010202));
        // NDIS_OFFLOAD_PARAMETERS (revision 1, 20 bytes): LSOv1 (byte 9) ON is refused as netvsp refuses it;
        // LSOv1 off with every checksum on (4) is taken
        byte[] offloadParameters = new byte[20];
        offloadParameters[0] = (byte) 0x80; // NDIS_OBJECT_TYPE_DEFAULT
        offloadParameters[1] = 1;
        offloadParameters[2] = 20;
        java.util.Arrays.fill(offloadParameters, 4, 9, (byte) 4);
        offloadParameters[9] = 2;
        g.completion(g.control(new RndisMessage.Set(18, Rndis.OID_TCP_OFFLOAD_PARAMETERS, offloadParameters)));
        assertEquals(new RndisMessage.SetComplete(18, Rndis.STATUS_NOT_SUPPORTED), g.controlReply());
        offloadParameters[9] = 1;
        g.completion(g.control(new RndisMessage.Set(19, Rndis.OID_TCP_OFFLOAD_PARAMETERS, offloadParameters)));
        assertEquals(new RndisMessage.SetComplete(19, Rndis.STATUS_SUCCESS), g.controlReply());
        g.completion(g.control(new RndisMessage.KeepAlive(17)));
        assertEquals(new RndisMessage.KeepAliveComplete(17, Rndis.STATUS_SUCCESS), g.controlReply());
        JsonObject state = g.onHost(() -> g.nic.state());
        assertEquals("active", state.getString("phase"));
        assertEquals("6.1", state.getString("nvspVersion"));
        assertEquals("6.30", state.getString("ndisVersion"));
        assertEquals(0, state.getJsonObject("receiveSlots").getInteger("inUse"), "every slot came back");
    }

    @Test
    void framesTheGuestSendsComeBackThroughTheLoopbackNoneLost() throws Exception {
        g = NicGuest.open(config());
        g.initialise();
        g.rndisUp(Rndis.FILTER_DIRECTED | Rndis.FILTER_BROADCAST);
        int frames = 300;
        List<byte[]> back = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            long id = g.sendFrame(i % 10, frame(i));
            // the completion and looped frames may interleave: take frames until the completion comes
            for (int guard = 0; guard <= frames; guard++) {
                Packet p = g.next();
                if (p.type() == PacketType.COMP) {
                    assertEquals(id, p.transactionId());
                    assertNvsp(words(40, Nvsp.TYPE_SEND_RNDIS_PKT_COMPLETE, Nvsp.STATUS_SUCCESS), p.payload());
                    break;
                }
                g.collect(p, back);
            }
        }
        for (int guard = 0; back.size() < frames && guard < frames; guard++) {
            g.collect(g.next(), back);
        }
        assertEquals(frames, back.size());
        for (int i = 0; i < frames; i++) {
            assertArrayEquals(frame(i), back.get(i), "frame " + i);
        }
        JsonObject state = g.onHost(() -> g.nic.state());
        JsonObject q0 = state.getJsonArray("queues").getJsonObject(0);
        assertEquals(frames, q0.getLong("framesFromGuest"));
        assertEquals(frames, q0.getLong("framesToGuest"));
        assertEquals(q0.getLong("bytesFromGuest"), q0.getLong("bytesToGuest"));
        assertEquals(frames, g.port.stats().framesOut());
        assertEquals(frames, g.port.stats().framesIn());
        assertEquals(0, state.getJsonObject("drops").getLong("filter"));
        // after frames went out, the host read its backend at once on its own context (what the outside answered
        // goes back without waiting for the next readiness), at most once for each frame it sent out
        assertFalse(g.readNows.isEmpty(), "the host never read its backend after sending frames out");
        assertTrue(g.readNows.size() <= frames, g.readNows.size() + " reads for " + frames + " frames");
        assertTrue(g.readNows.stream().allMatch(c -> c == g.hostContext), "read on the host's context");
    }

    @Test
    void framesAreDroppedWhileThePacketFilterIsNone() throws Exception {
        g = NicGuest.open(config());
        g.initialise();
        g.rndisUp(Rndis.FILTER_NONE);
        long id = g.sendFrame(0, frame(1));
        assertEquals(id, g.next().transactionId());
        long id2 = g.control(new RndisMessage.KeepAlive(30));
        g.completion(id2);
        assertEquals(new RndisMessage.KeepAliveComplete(30, Rndis.STATUS_SUCCESS), g.controlReply());
        assertEquals(1L, (long) g.onHost(() -> g.nic.state().getJsonObject("drops").getLong("filter")));
    }

    /** An IPv6 UDP frame of flow {@code flow} (its source port), to the NIC's MAC. */
    private static byte[] udp6(int flow, int n) {
        byte[] f = new byte[14 + 40 + 8 + 16];
        ByteBuffer b = ByteBuffer.wrap(f);
        b.put(HostNic.parseMac("00:15:5d:56:4d:01")).put(new byte[] {2, 0, 0, 0, 0, 9});
        b.putShort((short) 0x86DD);
        b.put((byte) 0x60).put(new byte[3]).putShort((short) 24).put((byte) 17).put((byte) 64);
        b.put(new byte[] {(byte) 0xfe, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
        b.put(new byte[] {(byte) 0xfe, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
        b.putShort((short) (40000 + flow)).putShort((short) 5001).putShort((short) 24).putShort((short) 0);
        b.putInt(flow).putInt(n);
        return f;
    }

    private static byte[] rssParameters(int queues) {
        int table = 128 * 4;
        byte[] p = new byte[40 + table + 40];
        ByteBuffer b = ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) 0x89).put(1, (byte) 2).putShort(2, (short) 40);
        b.putInt(8, 0x1 | 0x400 | 0x1000);
        b.putShort(12, (short) table).putInt(16, 40);
        b.putShort(20, (short) 40).putInt(24, 40 + table);
        for (int i = 0; i < 128; i++) {
            b.putInt(40 + 4 * i, i % queues);
        }
        return p;
    }

    @Test
    void subchannelsAreGrantedOfferedAndFramesSpreadOverTheQueuesByFlow() throws Exception {
        g = NicGuest.open(config().withQueues(3));
        g.initialise();
        g.rndisUp(Rndis.FILTER_DIRECTED | Rndis.FILTER_BROADCAST);
        ByteBuffer caps = ByteBuffer.wrap(g.query(20, Rndis.OID_GEN_RECEIVE_SCALE_CAPABILITIES).info())
                .order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(3, caps.getInt(12));
        long id = g.nvsp(new NvspMessage.SubchannelRequest(Nvsp.SUBCHANNEL_ALLOCATE, 2), true);
        assertNvsp(words(40, Nvsp.TYPE_SUBCHANNEL, Nvsp.STATUS_SUCCESS, 2), g.completion(id));
        Packet table = g.next();
        assertEquals(PacketType.DATA_INBAND, table.type());
        assertEquals(new NvspMessage.IndirectionTable(List.of(0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0)),
                NvspMessage.decode(table.payload(), false));
        List<ChannelDriver> subs = new ArrayList<>();
        List<Queue<Packet>> inboxes = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Offer o = await("subchannel " + (i + 1) + " to be offered").atMost(TIMEOUT_S, TimeUnit.SECONDS)
                    .until(g.offers::poll, Objects::nonNull);
            assertEquals(HostNic.CLASS_ID, o.classId());
            assertEquals(i + 1, o.subchannel());
            Queue<Packet> inbox = new ConcurrentLinkedQueue<>();
            subs.add(OnContext.call(g.guestContext, () -> g.bus.guest().open(o)
                    .map(link -> ChannelDriver.guest(link, g.guestContext, 0, inbox::add)))
                    .await(TIMEOUT_S, TimeUnit.SECONDS));
            inboxes.add(inbox);
        }
        // the host opens its side of each subchannel on its own context: wait (bounded) until all three are there
        await("the host's side of all three queues").atMost(30, TimeUnit.SECONDS)
                .until(() -> g.onHost(() -> g.nic.drivers().size()), n -> n >= 3);
        assertEquals(3, g.onHost(() -> g.nic.drivers().size()));
        g.completion(g.control(new RndisMessage.Set(21, Rndis.OID_GEN_RECEIVE_SCALE_PARAMETERS, rssParameters(3))));
        assertEquals(new RndisMessage.SetComplete(21, Rndis.STATUS_SUCCESS), g.controlReply());

        int flows = 24;
        int[] perQueue = new int[3];
        int got = 0;
        for (int i = 0; i < flows; i++) {
            id = g.sendFrame(i % 10, udp6(i, 0));
            for (int guard = 0; guard <= flows; guard++) { // frames looped to the primary come in between
                Packet p = g.next();
                if (p.type() == PacketType.COMP) {
                    assertEquals(id, p.transactionId());
                    break;
                }
                int n = g.transferPages(g.guest, p, Nvsp.CHANNEL_DATA).size();
                perQueue[0] += n;
                got += n;
            }
        }
        List<Queue<Packet>> all = List.of(g.received, inboxes.get(0), inboxes.get(1));
        List<ChannelDriver> drivers = List.of(g.guest, subs.get(0), subs.get(1));
        while (got < flows) {
            // the next packet on any of the three queues, with its queue's index
            Map.Entry<Integer, Packet> next = await(got + " of " + flows + " flows back: the next packet")
                    .atMost(TIMEOUT_S, TimeUnit.SECONDS).until(() -> {
                        for (int q = 0; q < 3; q++) {
                            Packet p = all.get(q).poll();
                            if (p != null) {
                                return Map.entry(q, p);
                            }
                        }
                        return null;
                    }, Objects::nonNull);
            int q = next.getKey();
            int n = g.transferPages(drivers.get(q), next.getValue(), Nvsp.CHANNEL_DATA).size();
            perQueue[q] += n;
            got += n;
        }
        assertEquals(flows, got);
        for (int q = 0; q < 3; q++) {
            assertTrue(perQueue[q] > 0, "queue " + q + " received none of " + flows + " flows: "
                    + Arrays.toString(perQueue));
        }
        JsonObject state = g.onHost(() -> g.nic.state());
        assertEquals(2, state.getInteger("subchannelsGranted"));
        assertEquals(3, state.getJsonArray("queues").size());
    }

    @Test
    void withNoFreeReceiveSlotTheHostPausesItsPortAndLosesNothing() throws Exception {
        g = NicGuest.open(config());
        g.initialise();
        g.rndisUp(Rndis.FILTER_DIRECTED);
        int frames = 150; // more than the 72 slots, fewer than the loop holds
        List<Packet> held = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            long id = g.sendFrame(i % 10, frame(i));
            for (int guard = 0; guard <= frames; guard++) {
                Packet p = g.next();
                if (p.type() == PacketType.COMP) {
                    assertEquals(id, p.transactionId());
                    break;
                }
                held.add(p); // the guest keeps these slots for now
            }
        }
        // The looped frames reach the guest as the loop hands them over: wait (bounded) until every data slot is
        // used, then check that nothing more comes (the host pauses instead of overrunning its slots).
        int dataSlots = 72 - HostNic.CONTROL_SLOTS;
        int inHeld = held.stream().mapToInt(p -> p.transferPages().count()).sum();
        while (inHeld < dataSlots) {
            Packet p = await(inHeld + " of " + dataSlots + " data slots filled: the next looped frames")
                    .atMost(30, TimeUnit.SECONDS).until(g.received::poll, Objects::nonNull);
            held.add(p);
            inHeld += p.transferPages().count();
        }
        await("nothing more while the guest holds every data slot").during(200, TimeUnit.MILLISECONDS)
                .atMost(5, TimeUnit.SECONDS).until(g.received::isEmpty);
        assertEquals(dataSlots, inHeld, "data fills every slot but the control reserve");
        // The loop may still be handing the last frames to the host's port: wait (bounded) until all are there.
        JsonObject state = g.awaitState(s -> s.getJsonObject("port").getBoolean("paused")
                && frames - dataSlots == g.waiting(s), "the port paused with every frame the slots lack waiting");
        assertTrue(state.getJsonObject("port").getBoolean("paused"), "the port is paused: " + state.encode());
        JsonObject pauses = state.getJsonObject("port").getJsonObject("pauses");
        assertTrue(pauses.getLong("noReceiveSlot") >= 1, "paused for want of a receive slot: " + pauses.encode());
        assertEquals(0L, pauses.getLong("framesQueued"), "no queue was full: " + pauses.encode());
        assertEquals(frames - inHeld, g.waiting(state), state.encode());
        List<byte[]> back = new ArrayList<>();
        for (Packet p : held) {
            g.collect(p, back);
        }
        for (int guard = 0; back.size() < frames && guard < frames; guard++) {
            g.collect(g.next(), back);
        }
        assertEquals(frames, back.size());
        for (int i = 0; i < frames; i++) {
            assertArrayEquals(frame(i), back.get(i), "frame " + i);
        }
        assertFalse(g.onHost(() -> g.nic.state().getJsonObject("port").getBoolean("paused")));
        assertEquals(0L, (long) g.onHost(() -> g.nic.state().getJsonObject("drops").getLong("backlog")));
    }

    /**
     * Issue 21: no LSO without GPA-direct data pages. The NIC offers no segmentation offload, so a frame that asks for
     * it (an LSO per-packet info) is completed SUCCESS, as netvsp completes what it takes, but not sent to the
     * backend: it is counted ({@code drops.lso}), and the next plain frame goes out and comes back alone.
     */
    @Test
    void aFrameAskingForSegmentationOffloadIsCompletedButNotSent() throws Exception {
        g = NicGuest.open(config());
        g.initialise();
        g.rndisUp(Rndis.FILTER_DIRECTED | Rndis.FILTER_BROADCAST);
        long id = g.sendFrame(0, frame(1), List.of(dev.vmbus.net.PerPacketInfo.u32(
                dev.vmbus.net.PerPacketInfo.TYPE_LSO, 1448)));
        Packet done = g.next();
        assertEquals(PacketType.COMP, done.type(), "nothing comes back before the completion");
        assertEquals(id, done.transactionId());
        assertNvsp(words(40, Nvsp.TYPE_SEND_RNDIS_PKT_COMPLETE, Nvsp.STATUS_SUCCESS), done.payload());

        long plain = g.sendFrame(1, frame(2));
        List<byte[]> back = new ArrayList<>();
        boolean completed = false;
        for (int guard = 0; guard < 4 && (!completed || back.isEmpty()); guard++) {
            Packet p = g.next();
            if (p.type() == PacketType.COMP) {
                assertEquals(plain, p.transactionId());
                completed = true;
            } else {
                g.collect(p, back);
            }
        }
        assertEquals(1, back.size(), "only the plain frame comes back");
        assertArrayEquals(frame(2), back.getFirst());
        JsonObject state = g.onHost(() -> g.nic.state());
        assertEquals(1L, state.getJsonObject("drops").getLong("lso"), state.encode());
        assertEquals(1L, state.getJsonArray("queues").getJsonObject(0).getLong("framesFromGuest"), state.encode());
        assertEquals(1L, g.port.stats().framesOut(), "frames the host sent to its backend");
    }

    @Test
    void aLinkDownBeforeInitializeIsIndicatedAndQueried() throws Exception {
        g = NicGuest.open(config());
        g.hostContext.runOnContext(v -> g.nic.link(false));
        g.initialise();
        long id = g.control(new RndisMessage.InitializeRequest(7, 1, 0, 0x4000));
        g.completion(id);
        assertInstanceOf(RndisMessage.InitializeComplete.class, g.controlReply());
        assertEquals(new RndisMessage.IndicateStatus(Rndis.STATUS_MEDIA_DISCONNECT, new byte[0]), g.controlReply());
        assertEquals(new RndisMessage.QueryComplete(40, Rndis.STATUS_SUCCESS, words(4, Rndis.MEDIA_STATE_DISCONNECTED)),
                g.query(40, Rndis.OID_GEN_MEDIA_CONNECT_STATUS));
        assertEquals("down", g.onHost(() -> g.nic.state().getString("link")));
    }
}
