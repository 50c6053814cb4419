package dev.vmbus.host.nic;

import dev.vmbus.agent.Agent;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.host.SimulatedHost;
import dev.vmbus.host.SimulatedHostControl;
import dev.vmbus.testkit.AgentInternals;
import dev.vmbus.testkit.TestAgent;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The guest's NIC ({@code devices.netvsc}, backend {@code eventbus}) against the simulated host's NIC (backend
 * {@code loopback}), both built apart from the spec: each frame sent at the guest's {@code .tx} address comes back
 * at its {@code .rx} address, many frames, none lost, in order, and the guest's and the host's figures agree; with
 * three queues, frames go out and come back on several queues, each flow in order.
 */
class NetvscLoopbackTest {
    private static final String TX = "vmbus.netvsc.vmbus0.tx";
    private static final String RX = "vmbus.netvsc.vmbus0.rx";
    private static final int FRAMES = 3000;
    /** Frames in flight at once: below the loop's and the paused consumer's capacities, so none is dropped. */
    private static final int WINDOW = 200;

    @TempDir
    Path tmp;
    private Agent agent;
    private Agent hostSide;

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (hostSide != null) {
            hostSide.close();
        }
    }

    private VmbusConfig config(String transport) {
        return config(transport, 1);
    }

    private VmbusConfig config(String transport, int queues) {
        return config(transport, queues, new JsonObject(), new JsonObject());
    }

    private VmbusConfig config(String transport, int queues, JsonObject guestNic, JsonObject hostFaults) {
        return config(transport, queues, guestNic, hostFaults, new JsonArray());
    }

    private VmbusConfig config(String transport, int queues, JsonObject guestNic, JsonObject hostFaults,
                               JsonArray hostOffers) {
        return ConfigLoader.parse(new JsonObject()
                .put("transport", new JsonObject().put("type", transport).put("shmDir", tmp.resolve("shm").toString()))
                .put("devices", new JsonObject().put("netvsc", guestNic.copy().put("enabled", true)
                        .put("backend", "eventbus").put("queues", queues)))
                .put("dashboard", new JsonObject().put("enabled", false))
                .put("host", new JsonObject().put("heartbeatIntervalMs", 60_000).put("nic", new JsonObject()
                        .put("enabled", true).put("backend", "loopback").put("queues", queues)
                        .put("faults", hostFaults)).put("offers", hostOffers)).encode(), "test");
    }

    /** An IPv6 UDP frame of flow {@code flow} (its source port) carrying its number, to the NIC's MAC. */
    private static byte[] udp6(int flow, int n) {
        byte[] f = new byte[14 + 40 + 8 + 4 + n % 700];
        ByteBuffer b = ByteBuffer.wrap(f);
        b.put(HostNic.parseMac(VmbusConfig.Nic.DEFAULT_MAC)).put(new byte[] {2, 0, 0, 0, 0, 9});
        b.putShort((short) 0x86DD);
        b.put((byte) 0x60).put(new byte[3]).putShort((short) (f.length - 54)).put((byte) 17).put((byte) 64);
        b.put(new byte[] {(byte) 0xfe, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
        b.put(new byte[] {(byte) 0xfe, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
        b.putShort((short) (40000 + flow)).putShort((short) 5001).putShort((short) (f.length - 54)).putShort((short) 0);
        b.putInt(n);
        return f;
    }

    @Test
    void onSimWithThreeQueues() throws Exception {
        try (TestAgent sim = AgentInternals.start(Agent.builder(config("sim", 3)))) {
            everyFlowKeepsItsQueues(sim.vertx(), AgentInternals.agent(sim).simulatedHost().orElseThrow());
        }
    }

    /**
     * A host that offers the subchannels it granted only after the guest has stopped waiting for them (knob
     * {@code lateSubchannelOffer}: not before the guest's next RNDIS control message, which it sends once its wait
     * of {@code answerTimeoutMs} is over): the NIC comes up on one queue, the late subchannels still become queues,
     * and the guest sets the RSS parameters again so that the host receives onto them too.
     */
    @Test
    void onSimWithSubchannelsOfferedLate() throws Exception {
        try (TestAgent sim = AgentInternals.start(Agent.builder(config("sim", 3,
                new JsonObject().put("answerTimeoutMs", 1500), new JsonObject().put("lateSubchannelOffer", true))))) {
            SimulatedHost host = AgentInternals.agent(sim).simulatedHost().orElseThrow();
            awaitNic("the host's RSS table on three queues after the late offer", () -> hostNic(host),
                    n -> n.getLong("rssQueues", 0L) == 3, () -> "guest: " + guestNic(sim.vertx()).encode());
            everyFlowKeepsItsQueues(sim.vertx(), host);
        }
    }

    /**
     * The host removes the adapter and adds it back (host control {@code nic-reoffer}): the guest's NIC ends, a new
     * one comes up on the offer, under the same name (it was {@code vmbus0-1}, so an administrator's configuration
     * of {@code vmbus0} no longer applied), and frames go out and back through it on both queues.
     */
    @Test
    void aNicTheHostOffersAgainComesBackUnderItsName() throws Exception {
        try (TestAgent sim = AgentInternals.start(Agent.builder(config("sim", 2)))) {
            offeredAgainComesBack(sim.vertx(), AgentInternals.agent(sim).simulatedHost().orElseThrow());
        }
    }

    /**
     * The same on {@code shm}, where the host's rescind of a subchannel ends its queue before it returns: taking
     * the adapter away with two queues used to fail there (the queue left the map being walked).
     */
    @Test
    void aNicTheHostOffersAgainOnShmComesBackUnderItsName() throws Exception {
        VmbusConfig config = config("shm", 2);
        hostSide = Agent.hostBuilder(config).start();
        agent = Agent.builder(config).start();
        offeredAgainComesBack(agent.vertx(), hostSide.simulatedHost().orElseThrow());
    }

    private void offeredAgainComesBack(Vertx vertx, SimulatedHost host) throws Exception {
        awaitNic("the guest's NIC up on two queues", () -> guestNic(vertx), n -> "up".equals(n.getString("phase"))
                && n.getJsonArray("queues", new JsonArray()).size() == 2, () -> "host: " + hostNic(host).encode());
        assertEquals("vmbus0", guestNic(vertx).getString("name"));
        long opensBefore = hostNic(host).getLong("opens");

        new SimulatedHostControl(host).act("nic-reoffer", new JsonObject()).await(10, TimeUnit.SECONDS);
        awaitNic("the guest opening the offer again", () -> hostNic(host), n -> n.getLong("opens") > opensBefore,
                () -> "guest: " + guestNic(vertx).encode());
        awaitNic("a new NIC up on two queues", () -> guestNic(vertx),
                n -> "up".equals(n.getString("phase")) && n.getJsonArray("queues", new JsonArray()).size() == 2,
                () -> "host: " + hostNic(host).encode());
        JsonObject again = guestNic(vertx);
        assertEquals("vmbus0", again.getString("name"), again.encode());
        everyFlowKeepsItsQueues(vertx, host, 2);
    }

    /**
     * The subchannels of a NIC opened again take relids the NIC holds, not the next ones up: those are the relids of
     * {@code host.offers} (and of the next NIC), so a second grant used to collide with the channel offered after
     * the NIC ("relid 9 is already offered") and the NIC came back on one queue.
     */
    @Test
    void aReofferedNicsSubchannelsKeepClearOfTheChannelsAfterIt() throws Exception {
        VmbusConfig c = config("sim", 2, new JsonObject(), new JsonObject(), new JsonArray().add(new JsonObject()
                .put("classId", "3b3f6b7e-5d4c-4f0e-9d1a-0c2b7a9e4f11").put("answer", "script")));
        try (TestAgent sim = AgentInternals.start(Agent.builder(c))) {
            SimulatedHost host = AgentInternals.agent(sim).simulatedHost().orElseThrow();
            int after = host.devices().stream().mapToInt(d -> d.offer().relid()).max().orElseThrow();
            everyFlowKeepsItsQueues(sim.vertx(), host, 2);
            for (int round = 0; round < 2; round++) {
                long opensBefore = hostNic(host).getLong("opens");
                new SimulatedHostControl(host).act("nic-reoffer", new JsonObject()).await(10, TimeUnit.SECONDS);
                awaitNic("the guest opening the offer again", () -> hostNic(host), n -> n.getLong("opens") > opensBefore,
                        () -> "guest: " + guestNic(sim.vertx()).encode());
                everyFlowKeepsItsQueues(sim.vertx(), host, 2);
                for (Object q : hostNic(host).getJsonArray("queues")) {
                    int relid = ((JsonObject) q).getInteger("relid");
                    assertTrue(relid < after, "a NIC queue on relid " + relid + ", which is host.offers' " + after
                            + " or past it: " + hostNic(host).encode());
                }
            }
        }
    }

    private void everyFlowKeepsItsQueues(Vertx vertx, SimulatedHost host) throws Exception {
        everyFlowKeepsItsQueues(vertx, host, 3);
    }

    /** Once the guest's NIC is up on {@code queues} queues: flows out and back over all, none lost, each in order. */
    private void everyFlowKeepsItsQueues(Vertx vertx, SimulatedHost host, int queues) throws Exception {
        awaitNic("the guest's NIC up on " + queues + " queues", () -> guestNic(vertx),
                n -> "up".equals(n.getString("phase")) && n.getJsonArray("queues", new JsonArray()).size() == queues,
                () -> "host: " + hostNic(host).encode());
        Queue<byte[]> back = new ConcurrentLinkedQueue<>();
        vertx.eventBus().<Buffer>consumer(RX, m -> back.add(m.body().getBytes())).completion()
                .await(10, TimeUnit.SECONDS);
        int frames = 1200;
        int flows = 24;
        java.util.Map<Integer, byte[]> sent = new java.util.HashMap<>();
        java.util.Map<Integer, byte[]> got = new java.util.HashMap<>();
        int[] lastOfFlow = new int[flows];
        java.util.Arrays.fill(lastOfFlow, -1);
        for (int n = 0; n < frames; ) {
            int burst = Math.min(WINDOW, frames - n);
            for (int i = 0; i < burst; i++, n++) {
                byte[] f = udp6(n % flows, n);
                sent.put(n, f);
                vertx.eventBus().send(TX, Buffer.buffer(f));
            }
            awaitBack(back, n - got.size(), () -> "only " + got.size() + " of " + sent.size()
                    + " frames came back; host " + hostNic(host).encode());
            while (got.size() < n) {
                byte[] f = back.poll();
                int number = ByteBuffer.wrap(f).getInt(62);
                got.put(number, f);
                // each flow goes out on one queue and comes back on one: its frames keep their order
                assertTrue(number > lastOfFlow[number % flows], "flow " + number % flows + ": frame " + number
                        + " came back after frame " + lastOfFlow[number % flows]);
                lastOfFlow[number % flows] = number;
            }
        }
        assertEquals(frames, got.size());
        for (int i = 0; i < frames; i++) {
            assertArrayEquals(sent.get(i), got.get(i), "frame " + i);
        }
        JsonArray hostQueues = hostNic(host).getJsonArray("queues");
        JsonArray guestQueues = guestNic(vertx).getJsonArray("queues");
        assertEquals(queues, hostQueues.size(), hostQueues.encode());
        long toGuest = 0;
        long fromHost = 0;
        for (int q = 0; q < queues; q++) {
            long hostTo = hostQueues.getJsonObject(q).getLong("framesToGuest");
            assertTrue(hostTo > 0, "the host sent nothing on queue " + q + ": " + hostQueues.encode());
            toGuest += hostTo;
            fromHost += guestQueues.getJsonObject(q).getLong("framesFromHost");
        }
        assertEquals(frames, toGuest);
        assertEquals(frames, fromHost);
        // the guest steered its sends by flow over the queues' channels: more than one carried frames, the host
        // saw each frame on the queue the guest sent it on, and none is missing
        int queuesUsed = 0;
        long toHost = 0;
        for (int q = 0; q < queues; q++) {
            long guestSent = guestQueues.getJsonObject(q).getLong("framesToHost");
            assertEquals(guestSent, hostQueues.getJsonObject(q).getLong("framesFromGuest"), "queue " + q + ": guest "
                    + guestQueues.encode() + ", host " + hostQueues.encode());
            queuesUsed += guestSent > 0 ? 1 : 0;
            toHost += guestSent;
        }
        assertEquals(frames, toHost);
        assertTrue(queuesUsed > 1, "every frame left on one queue: " + guestQueues.encode());
    }

    @Test
    void onSim() throws Exception {
        try (TestAgent sim = AgentInternals.start(Agent.builder(config("sim")))) {
            framesComeBackNoneLost(sim.vertx(), AgentInternals.agent(sim).simulatedHost().orElseThrow());
        }
    }

    @Test
    void onShm() throws Exception {
        VmbusConfig config = config("shm");
        hostSide = Agent.hostBuilder(config).start();
        agent = Agent.builder(config).start();
        framesComeBackNoneLost(agent.vertx(), hostSide.simulatedHost().orElseThrow());
    }

    /**
     * 802.1Q-tagged frames from a VLAN interface on the guest's side: the guest sends each tag out of band (a VLAN
     * PPI), the simulated host hands the frame on tagged, as a trunk port does, and gives it back with the tag out of
     * band again, because the guest's NDIS_CONFIG said it takes tags so (CAP_IEEE8021Q); the guest puts it back in the
     * frame. Every frame comes back as it went, both ends count each tag, and the bytes counted are the wire's.
     */
    @Test
    void taggedFramesCrossWithTheirTagsOutOfBand() throws Exception {
        try (TestAgent sim = AgentInternals.start(Agent.builder(config("sim")))) {
            Vertx vertx = sim.vertx();
            SimulatedHost host = AgentInternals.agent(sim).simulatedHost().orElseThrow();
            awaitNic("the guest's NIC up", () -> guestNic(vertx), n -> "up".equals(n.getString("phase")),
                    () -> "host: " + hostNic(host).encode());
            Queue<byte[]> back = new ConcurrentLinkedQueue<>();
            vertx.eventBus().<Buffer>consumer(RX, m -> back.add(m.body().getBytes())).completion()
                    .await(10, TimeUnit.SECONDS);
            int[] tcis = {100, 1 << 13 | 100, 7 << 13 | 0x1000 | 4094, 0};
            List<byte[]> sent = new ArrayList<>();
            long wire = 0;
            for (int i = 0; i < 40; i++) {
                byte[] plain = frame(i);
                byte[] f = i % 5 == 4 ? plain : dev.vmbus.net.VlanTest.tagged(plain, tcis[i % 5 % tcis.length]);
                sent.add(f);
                wire += plain.length;
                vertx.eventBus().send(TX, Buffer.buffer(f));
            }
            awaitBack(back, sent.size(), () -> "the tagged frames did not all come back: " + back.size() + " of "
                    + sent.size() + "; guest " + guestNic(vertx).encode() + "; host " + hostNic(host).encode());
            for (int i = 0; i < sent.size(); i++) {
                assertArrayEquals(sent.get(i), back.poll(), "frame " + i);
            }
            JsonObject guest = guestNic(vertx);
            assertEquals(new JsonObject().put("fromHost", 32L).put("toHost", 32L), guest.getJsonObject("vlanTagged"));
            assertEquals(new JsonObject().put("toGuest", 32L).put("fromGuest", 32L),
                    hostNic(host).getJsonObject("vlanTagged"));
            assertEquals(wire, guest.getJsonArray("queues").getJsonObject(0).getLong("bytesToHost"));
            assertEquals(wire, guest.getJsonArray("queues").getJsonObject(0).getLong("bytesFromHost"));
        }
    }

    /**
     * The host says the link is connected while it is (host control {@code nic-migrated}, what Hyper-V sends after
     * it moved the VM): the guest's NIC announces its MAC, a broadcast RARP from it, which the loopback host hands
     * back; while the host's link is down the action refuses, sending nothing.
     */
    @Test
    void aMigrationsConnectMakesTheGuestAnnounceItsMac() throws Exception {
        try (TestAgent sim = AgentInternals.start(Agent.builder(config("sim")))) {
            Vertx vertx = sim.vertx();
            SimulatedHost host = AgentInternals.agent(sim).simulatedHost().orElseThrow();
            awaitNic("the guest's NIC up", () -> guestNic(vertx), n -> "up".equals(n.getString("phase"))
                    && "up".equals(n.getString("link")), () -> "host: " + hostNic(host).encode());
            Queue<byte[]> back = new ConcurrentLinkedQueue<>();
            vertx.eventBus().<Buffer>consumer(RX, m -> back.add(m.body().getBytes())).completion()
                    .await(10, TimeUnit.SECONDS);
            JsonObject said = new SimulatedHostControl(host).act("nic-migrated", new JsonObject())
                    .await(10, TimeUnit.SECONDS);
            assertTrue(said.getString("result").contains("MEDIA_CONNECT"), said.encode());
            awaitBack(back, 1, () -> "no announcement came back; guest " + guestNic(vertx).encode());
            byte[] mac = HostNic.parseMac(VmbusConfig.Nic.DEFAULT_MAC);
            byte[] expected = new byte[60];
            ByteBuffer.wrap(expected).put(new byte[] {-1, -1, -1, -1, -1, -1}).put(mac).putShort((short) 0x8035)
                    .putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 3)
                    .put(mac).putInt(0).put(mac);
            assertArrayEquals(expected, back.poll());
            assertEquals(1L, guestNic(vertx).getLong("announcements"));

            new SimulatedHostControl(host).act("nic-link", new JsonObject().put("up", false)).await(10, TimeUnit.SECONDS);
            awaitNic("the guest's link down", () -> guestNic(vertx), n -> "down".equals(n.getString("link")),
                    () -> "host: " + hostNic(host).encode());
            Exception refused = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () ->
                    new SimulatedHostControl(host).act("nic-migrated", new JsonObject()).await(10, TimeUnit.SECONDS));
            assertTrue(refused.getMessage().contains("has its link down"), refused.getMessage());
        }
    }

    /** An Ethernet frame to the NIC's MAC, type 0x88B5 (local experimental), carrying its number. */
    private static byte[] frame(int n) {
        byte[] f = new byte[60 + (n * 97) % 1455];
        ByteBuffer b = ByteBuffer.wrap(f);
        b.put(HostNic.parseMac(VmbusConfig.Nic.DEFAULT_MAC)).put(new byte[] {2, 0, 0, 0, 0, 7});
        b.putShort((short) 0x88B5).putInt(n);
        for (int i = b.position(); i < f.length; i++) {
            f[i] = (byte) (n + i);
        }
        return f;
    }

    /**
     * Reads a NIC's state until {@code condition} holds (at most 15 s); fails with {@code what}, the last state and
     * {@code more} (the other end's state).
     */
    private static void awaitNic(String what, Callable<JsonObject> read, Predicate<JsonObject> condition,
                                 Callable<String> more) throws Exception {
        AtomicReference<JsonObject> last = new AtomicReference<>(new JsonObject());
        try {
            await(what).atMost(15, TimeUnit.SECONDS).until(() -> {
                last.set(read.call());
                return last.get();
            }, condition);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("timed out waiting for " + what + ": " + last.get().encode() + "; "
                    + more.call(), e);
        }
    }

    /** Waits until {@code back} holds {@code count} frames (the window sent); fails with {@code missing}'s text. */
    private static void awaitBack(Queue<byte[]> back, int count, Callable<String> missing) throws Exception {
        try {
            await(count + " frames back").atMost(30, TimeUnit.SECONDS).until(() -> back.size() >= count);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(missing.call(), e);
        }
    }

    private static JsonObject guestNic(Vertx vertx) throws Exception {
        JsonObject state = (JsonObject) vertx.eventBus().request("vmbus.device.netvsc.state", null)
                .await(10, TimeUnit.SECONDS).body();
        JsonArray nics = state.getJsonArray("nics");
        return nics == null || nics.isEmpty() ? new JsonObject() : nics.getJsonObject(0);
    }

    private static JsonObject hostNic(SimulatedHost host) throws Exception {
        JsonArray devices = new SimulatedHostControl(host).state().await(10, TimeUnit.SECONDS).getJsonArray("devices");
        for (int i = 0; i < devices.size(); i++) {
            if ("nic".equals(devices.getJsonObject(i).getString("device"))) {
                return devices.getJsonObject(i);
            }
        }
        throw new AssertionError("the host shows no NIC: " + devices.encode());
    }

    private void framesComeBackNoneLost(Vertx vertx, SimulatedHost host) throws Exception {
        awaitNic("the guest's NIC up", () -> guestNic(vertx), n -> "up".equals(n.getString("phase")),
                () -> "host: " + hostNic(host).encode());
        assertEquals("active", hostNic(host).getString("phase"));

        Queue<byte[]> back = new ConcurrentLinkedQueue<>();
        vertx.eventBus().<Buffer>consumer(RX, m -> back.add(m.body().getBytes())).completion()
                .await(10, TimeUnit.SECONDS);
        List<byte[]> got = new ArrayList<>(FRAMES);
        long bytes = 0;
        for (int sent = 0; sent < FRAMES; ) {
            int burst = Math.min(WINDOW, FRAMES - sent);
            for (int i = 0; i < burst; i++) {
                byte[] f = frame(sent + i);
                bytes += f.length;
                vertx.eventBus().send(TX, Buffer.buffer(f));
            }
            sent += burst;
            awaitBack(back, sent - got.size(), () -> "frame " + (got.size() + back.size())
                    + " did not come back; guest " + guestNic(vertx).encode() + "; host " + hostNic(host).encode());
            while (got.size() < sent) {
                got.add(back.poll());
            }
        }
        for (int i = 0; i < FRAMES; i++) {
            assertArrayEquals(frame(i), got.get(i), "frame " + i);
        }
        JsonObject guestQueue = guestNic(vertx).getJsonArray("queues").getJsonObject(0);
        JsonObject hostState = hostNic(host);
        JsonObject hostQueue = hostState.getJsonArray("queues").getJsonObject(0);
        assertEquals(FRAMES, guestQueue.getLong("framesToHost"));
        assertEquals(FRAMES, guestQueue.getLong("framesFromHost"));
        assertEquals(bytes, guestQueue.getLong("bytesToHost"));
        assertEquals(bytes, guestQueue.getLong("bytesFromHost"));
        assertEquals(guestQueue.getLong("framesToHost"), hostQueue.getLong("framesFromGuest"));
        assertEquals(guestQueue.getLong("bytesToHost"), hostQueue.getLong("bytesFromGuest"));
        assertEquals(guestQueue.getLong("framesFromHost"), hostQueue.getLong("framesToGuest"));
        assertEquals(guestQueue.getLong("bytesFromHost"), hostQueue.getLong("bytesToGuest"));
        assertEquals(new JsonObject().put("notReady", 0L).put("filter", 0L).put("tooLong", 0L).put("backlog", 0L)
                .put("lso", 0L).put("backend", 0L), hostState.getJsonObject("drops"));
    }
}
