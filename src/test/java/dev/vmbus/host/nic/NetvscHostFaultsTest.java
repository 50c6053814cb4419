package dev.vmbus.host.nic;

import dev.vmbus.bus.AgentSnapshot;
import dev.vmbus.bus.ChannelView;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.EndReason;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.host.SimulatedHostControl;
import dev.vmbus.testkit.AgentInternals;
import dev.vmbus.testkit.LifecycleEvent;
import dev.vmbus.testkit.TestAgent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each fault knob of the simulated NIC ({@code host.nic.faults}, spec netvsc-and-buffers.md §5.1), against the
 * guest's NIC on sim. A knob that breaks a check the guest makes (H9, and garbage) makes the guest end that NIC's
 * channel with that check's reason (not the host rescinding it), while its other channels (a heartbeat) and the
 * host go on. The knobs that break no check show what the guest does instead: completions withheld time out with
 * the request named; a smaller subchannel grant brings the NIC up on the queues granted. The last knob,
 * {@code lateSubchannelOffer}, is {@code NetvscLoopbackTest.onSimWithSubchannelsOfferedLate}'s.
 */
class NetvscHostFaultsTest {
    private static final String TX = "vmbus.netvsc.vmbus0.tx";
    private static final String RX = "vmbus.netvsc.vmbus0.rx";

    private TestAgent agent;

    @AfterEach
    void stop() {
        if (agent != null) {
            agent.close();
        }
    }

    /** The agent's lifecycle events so far (collected from before its deploy) that {@code which} picks, oldest first. */
    private List<LifecycleEvent> events(Predicate<LifecycleEvent> which) {
        return agent.events().stream().filter(which).toList();
    }

    /** The first lifecycle event {@code which} picks, once there is one (at most 15 s). */
    private LifecycleEvent first(String what, Predicate<LifecycleEvent> which) {
        return await(what).atMost(15, TimeUnit.SECONDS)
                .until(() -> events(which).stream().findFirst().orElse(null), Objects::nonNull);
    }

    private static VmbusConfig config(JsonObject guestNic, int queues, String knob) {
        return ConfigLoader.parse(new JsonObject()
                .put("devices", new JsonObject().put("netvsc", guestNic.copy().put("enabled", true)
                        .put("queues", queues)))
                .put("dashboard", new JsonObject().put("enabled", false))
                .put("host", new JsonObject().put("heartbeatIntervalMs", 100).put("nic", new JsonObject()
                        .put("enabled", true).put("backend", "loopback").put("queues", queues)
                        .put("faults", new JsonObject().put(knob, true)))).encode(), "test");
    }

    /**
     * The knob, and what the guest's reason must say (the text after "netvsc vmbus0: "; '|' separates parts that
     * must all be in it). The NIC's one check per knob: NVSP INIT's status, NVSP INIT's answer's type, the receive
     * buffer's one section, the send section's size, the RNDIS message's length against its range, the page set
     * id, the range against the receive buffer, the transaction id against the slots, and the request the host
     * never completes (withholdCompletions, given an answer time of 1.5 s).
     */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "failInit; the host accepted none of NVSP 6.1, 6, 5, 4 and 2",
        "nvspGarbage; the host's answer to NVSP INIT 6.1: UNKNOWN_NVSP_TYPE: NVSP message type "
                + HostNic.GARBAGE_NVSP_TYPE,
        "twoReceiveSections; the host cut the receive buffer into 2 sections; Linux and DPDK accept exactly 1",
        "zeroSectionSize; send section size 0 (must be at least 68, a multiple of 4",
        "rndisGarbage; RNDIS INITIALIZE_CMPLT msg_len |is outside [8, 52], the range's length",
        "wrongPageSetId; a transfer-page packet names page set 0x|, not the receive buffer's 0xcafe",
        "rangePastBuffer; transfer-page range 0 of |bytes at offset 32505856 is outside the receive buffer's"
                + " 32505856 bytes",
        "transactionIdPastSlots; a transfer-page packet's transaction id 17999 is past the receive buffer's 17998"
                + " slots",
        "withholdCompletions; the host did not answer RNDIS INITIALIZE within 1500 ms"})
    void theGuestFailsOnlyItsNicWithTheReason(String knob, String expected) throws Exception {
        JsonObject guest = knob.equals("withholdCompletions") ? new JsonObject().put("answerTimeoutMs", 1500)
                : new JsonObject();
        agent = AgentInternals.start(config(guest, 1, knob));
        LifecycleEvent e = first(knob + ": the NIC's channel ended with a reason",
                ev -> "netvsc".equals(ev.className()) && ev.reason() != null);
        Predicate<LifecycleEvent> heartbeatEnded = ev -> ev.relid() == 1 && ev.ended();
        String reason = e.reason().text();
        // a mistake in a packet fails the batch that carried it; a request never answered ends the channel through
        // the device's port: both are the handler failing the channel
        assertEquals(EndReason.Kind.HANDLER_FAILED, e.reason().kind(), knob + ": " + e.reason());
        assertEquals(ChannelState.FAULTED, e.state(), knob + ": " + e);
        assertTrue(reason.contains("netvsc vmbus0: "), knob + ": " + reason);
        String tail = reason.substring(reason.indexOf("netvsc vmbus0: ") + "netvsc vmbus0: ".length());
        int at = 0;
        for (String part : expected.split("\\|")) {
            int found = tail.indexOf(part.strip(), at);
            assertTrue(found >= at, knob + ": '" + part.strip() + "' not in (or out of order in): " + reason);
            at = found + part.strip().length();
        }
        // The NIC may fail before the heartbeat channel has finished opening (both open at once): wait for it.
        first(knob + ": the heartbeat channel open", ev -> ev.relid() == 1 && ev.state() == ChannelState.OPEN);
        assertEquals(List.of(), events(heartbeatEnded), knob + ": the heartbeat channel ended");
        // The agent's listing learns of the open from the same event on its own context: it may answer one request
        // late, so ask until it shows the heartbeat open (bounded); a heartbeat that ended fails at once above/below.
        AtomicReference<ChannelView> heartbeat = new AtomicReference<>();
        try {
            await(knob + ": the heartbeat channel open in the agent's listing").atMost(15, TimeUnit.SECONDS)
                    .until(() -> {
                        AgentSnapshot channels = (AgentSnapshot) agent.vertx().eventBus()
                                .request("vmbus.channels.list", null).await(10, TimeUnit.SECONDS).body();
                        heartbeat.set(channels.channels().stream().filter(c -> c.relid() == 1).findFirst()
                                .orElseThrow());
                        assertEquals(List.of(), events(heartbeatEnded), knob + ": the heartbeat channel ended");
                        return heartbeat.get().state() == ChannelState.OPEN;
                    });
        } catch (ConditionTimeoutException timedOut) {
            throw new AssertionError(knob + ": the heartbeat channel was harmed: " + heartbeat.get(), timedOut);
        }
        assertEquals("nic", hostNic().getString("device"), "the host goes on");
    }

    /**
     * {@code smallerGrant}: the guest asks for two subchannels and is granted one. That breaks no check (a host may
     * grant fewer, as Linux and DPDK accept): the NIC comes up on the two queues it has, no channel of it ends, and
     * frames go out and come back.
     */
    @Test
    void aSmallerGrantBringsTheNicUpOnTheQueuesGranted() throws Exception {
        agent = AgentInternals.start(config(new JsonObject(), 3, "smallerGrant"));
        Predicate<LifecycleEvent> nicEnded = ev -> "netvsc".equals(ev.className()) && ev.ended();
        AtomicReference<JsonObject> last = new AtomicReference<>(new JsonObject());
        JsonObject nic;
        try {
            nic = await("the NIC up on the two queues granted").atMost(15, TimeUnit.SECONDS).until(() -> {
                assertEquals(List.of(), events(nicEnded), "a NIC channel ended; NIC: " + last.get().encode());
                last.set(guestNic());
                return last.get();
            }, n -> "up".equals(n.getString("phase")) && n.getJsonArray("queues").size() == 2);
        } catch (ConditionTimeoutException timedOut) {
            throw new AssertionError("the NIC is not up on two queues: " + last.get().encode(), timedOut);
        }
        assertEquals("up", nic.getString("phase"), nic.encode());
        assertEquals(2, nic.getJsonArray("queues").size(), "the queues granted: " + nic.encode());
        JsonObject host = hostNic();
        assertEquals(2, host.getLong("rssQueues"), "the host's queues: " + host.encode());

        Queue<byte[]> back = new ConcurrentLinkedQueue<>();
        agent.vertx().eventBus().<Buffer>consumer(RX, m -> back.add(m.body().getBytes())).completion()
                .await(10, TimeUnit.SECONDS);
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            byte[] f = new byte[60 + i];
            System.arraycopy(HostNic.parseMac(VmbusConfig.Nic.DEFAULT_MAC), 0, f, 0, 6);
            f[12] = (byte) 0x88;
            f[13] = (byte) 0xB5; // local experimental EtherType
            f[14] = (byte) i;
            sent.add(f);
            agent.vertx().eventBus().send(TX, Buffer.buffer(f));
        }
        for (byte[] f : sent) {
            byte[] got;
            try {
                got = await("the frame back").atMost(10, TimeUnit.SECONDS).until(back::poll, Objects::nonNull);
            } catch (ConditionTimeoutException timedOut) {
                throw new AssertionError("a frame did not come back; NIC: " + guestNic().encode(), timedOut);
            }
            assertArrayEquals(f, got);
        }
        assertEquals(List.of(), events(nicEnded), "a NIC channel ended");
    }

    /**
     * A host that leaves a NIC's subchannels open when the guest closes the primary ({@code keepSubchannels}; this
     * host otherwise rescinds them): when the primary's ring breaks a rule (a malformed packet, {@code inject-fault}
     * on its relid), the channel faults in the runtime, not in the NIC, and the guest closes the two subchannels
     * itself, as Linux's {@code vmbus_close} closes a primary's subchannels before the primary. They used to stay
     * open until the host took them away (under uio holding the device's {@code /dev/uioN}, and the kernel's
     * primary channel with it). The heartbeat goes on.
     */
    @Test
    void aPrimaryFaultedUnderTheNicClosesItsSubchannels() throws Exception {
        agent = AgentInternals.start(config(new JsonObject(), 3, "keepSubchannels"));
        JsonObject up = await("the NIC up on three queues").atMost(15, TimeUnit.SECONDS)
                .until(this::guestNic, n -> "up".equals(n.getString("phase")) && n.getJsonArray("queues").size() == 3);
        int primary = up.getInteger("relid");
        List<Integer> subchannels = new ArrayList<>();
        for (Object q : up.getJsonArray("queues")) {
            int relid = ((JsonObject) q).getInteger("relid");
            if (relid != primary) {
                subchannels.add(relid);
            }
        }
        assertEquals(2, subchannels.size(), up.encode());
        new SimulatedHostControl(AgentInternals.agent(agent).simulatedHost().orElseThrow())
                .act("inject-fault", new JsonObject().put("relid", primary)).await(10, TimeUnit.SECONDS);

        LifecycleEvent faulted = first("the primary faulted", ev -> ev.relid() == primary && ev.ended());
        assertEquals(EndReason.Kind.RING_FAULT, faulted.reason().kind(), faulted.toString());
        for (int relid : subchannels) {
            LifecycleEvent closed;
            try {
                closed = first("subchannel " + relid + " closed by the guest", ev -> ev.relid() == relid && ev.ended());
            } catch (ConditionTimeoutException timedOut) {
                throw new AssertionError("subchannel " + relid + " stayed open after its primary faulted: "
                        + guestNic().encode() + "; host: " + hostNic().encode(), timedOut);
            }
            assertEquals(ChannelState.CLOSED, closed.state(), closed.toString());
            assertTrue(closed.reason().text().contains("netvsc vmbus0: its primary channel " + primary + " ended"),
                    closed.reason().text());
        }
        await("the host's NIC with no queue open").atMost(15, TimeUnit.SECONDS)
                .until(() -> hostNic().getJsonArray("queues", new JsonArray()).isEmpty());
        assertEquals(List.of(), events(ev -> ev.relid() == 1 && ev.ended()), "the heartbeat channel ended");
    }

    private JsonObject guestNic() throws Exception {
        JsonObject state = (JsonObject) agent.vertx().eventBus().request("vmbus.device.netvsc.state", null)
                .await(10, TimeUnit.SECONDS).body();
        JsonArray nics = state.getJsonArray("nics");
        return nics == null || nics.isEmpty() ? new JsonObject().put("queues", new JsonArray()) : nics.getJsonObject(0);
    }

    private JsonObject hostNic() throws Exception {
        JsonArray devices = new SimulatedHostControl(AgentInternals.agent(agent).simulatedHost().orElseThrow()).state()
                .await(10, TimeUnit.SECONDS).getJsonArray("devices");
        for (int i = 0; i < devices.size(); i++) {
            if ("nic".equals(devices.getJsonObject(i).getString("device"))) {
                return devices.getJsonObject(i);
            }
        }
        throw new AssertionError("the host shows no NIC: " + devices.encode());
    }
}
