package dev.vmbus.host;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.Offer;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.host.nic.HostNic;
import dev.vmbus.transport.OfferListener;
import dev.vmbus.transport.sim.SimBus;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The simulated host with {@code host.nic.enabled}: the NIC offered after the services, in its state and controls. */
class SimulatedHostNicTest {
    private Vertx vertx;

    @AfterEach
    void close() throws Exception {
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theNicIsOfferedShownAndDrivenByItsControls() throws Exception {
        VmbusConfig config = ConfigLoader.parse("{\"host\": {\"extraHeartbeats\": 2, \"heartbeatIntervalMs\": 60000,"
                + " \"nic\": {\"enabled\": true, \"backend\": \"loopback\"}}}", "test");
        vertx = Vertx.vertx();
        SimBus bus = new SimBus(vertx);
        List<Offer> offers = new CopyOnWriteArrayList<>();
        SimulatedHost host = started(config, bus, offers);
        await("nine offers").atMost(10, TimeUnit.SECONDS).until(offers::size, n -> n >= 9);
        List<Offer> all = List.copyOf(offers.subList(0, 9));
        Offer nic = all.stream().filter(o -> o.classId().equals(HostNic.CLASS_ID)).findFirst().orElseThrow();
        assertEquals(SimulatedHost.FIRST_EXTRA_RELID + 2, nic.relid(), "after the six services and two extras");
        assertEquals(SimulatedHost.NIC_INSTANCE, nic.instanceId());
        assertEquals(HostNic.RING_SIZE, nic.ringSize());
        assertNotNull(bus.guest().guestMemory(), "guest memory for GPA-direct control messages");

        SimulatedHostControl control = new SimulatedHostControl(host);
        JsonObject state = control.state().await(10, TimeUnit.SECONDS);
        JsonObject nicState = state.getJsonArray("devices").getJsonObject(8);
        assertEquals("nic", nicState.getString("device"));
        assertEquals("offered", nicState.getString("phase"));
        assertEquals("loopback", nicState.getString("backend"));
        List<HostChannels.End> channels = control.channels().await(10, TimeUnit.SECONDS);
        HostChannels.End view = channels.stream().filter(c -> c.offer().relid() == nic.relid()).findFirst().orElseThrow();
        assertEquals("nic", view.className());
        assertEquals(ChannelState.OFFERED, view.state());

        assertTrue(control.actions().containsAll(List.of("nic-link", "nic-fault")));
        control.act("nic-fault", new JsonObject().put("knob", "rangePastBuffer")).await(10, TimeUnit.SECONDS);
        assertTrue(host.nics().getFirst().faults().rangePastBuffer());
        control.act("nic-link", new JsonObject().put("up", false)).await(10, TimeUnit.SECONDS);
        assertEquals("down", control.state().await(10, TimeUnit.SECONDS).getJsonArray("devices").getJsonObject(8)
                .getString("link"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> control.act("nic-fault",
                new JsonObject().put("knob", "lateOffer")).await(10, TimeUnit.SECONDS));
        assertTrue(e.getMessage().startsWith("no NIC fault knob 'lateOffer'"), e.getMessage());
    }

    /**
     * {@code host.nic.count}: a VM with several network adapters. Each NIC has its own instance, MAC and relids (its
     * primary and room for its subchannels), the channels of {@code host.offers} come after all of them, and the
     * controls act on the NIC their {@code nic} parameter names.
     */
    @Test
    void severalNicsEachHaveTheirOwnInstanceMacAndRelids() throws Exception {
        VmbusConfig config = ConfigLoader.parse("{\"host\": {\"heartbeatIntervalMs\": 60000, \"nic\": {\"enabled\":"
                + " true, \"backend\": \"loopback\", \"count\": 3, \"queues\": 2, \"mac\": \"00:15:5d:56:4d:0e\"},"
                + " \"offers\": [{\"classId\": \"3b3f6b7e-5d4c-4f0e-9d1a-0c2b7a9e4f11\", \"answer\": \"script\"}]}}",
                "test");
        vertx = Vertx.vertx();
        List<Offer> offers = new CopyOnWriteArrayList<>();
        SimulatedHost host = started(config, new SimBus(vertx), offers);
        await("ten offers").atMost(10, TimeUnit.SECONDS).until(offers::size, n -> n >= 10);
        List<Offer> nics = offers.stream().filter(o -> o.classId().equals(HostNic.CLASS_ID)).toList();
        assertEquals(List.of(7, 9, 11), nics.stream().map(Offer::relid).toList(), "each NIC keeps a relid for its"
                + " subchannel after its primary");
        assertEquals(SimulatedHost.NIC_INSTANCE, nics.get(0).instanceId());
        assertEquals(3, nics.stream().map(Offer::instanceId).distinct().count(), nics.toString());
        assertEquals(List.of(SimulatedHost.nicInstance(1), SimulatedHost.nicInstance(2)),
                List.of(nics.get(1).instanceId(), nics.get(2).instanceId()));
        Offer other = offers.stream().filter(o -> o.classId().toString().startsWith("3b3f6b7e")).findFirst().orElseThrow();
        assertEquals(13, other.relid(), "host.offers after the three NICs' six relids");

        SimulatedHostControl control = new SimulatedHostControl(host);
        List<JsonObject> states = control.state().await(10, TimeUnit.SECONDS).getJsonArray("devices").stream()
                .map(JsonObject.class::cast).filter(d -> "nic".equals(d.getString("device"))).toList();
        assertEquals(List.of("00:15:5d:56:4d:0e", "00:15:5d:56:4d:0f", "00:15:5d:56:4d:10"),
                states.stream().map(d -> d.getString("mac")).toList());
        assertEquals(List.of(7, 9, 11), states.stream().map(d -> d.getInteger("relid")).toList());
        assertEquals(SimulatedHost.nicInstance(2).toString(), states.get(2).getString("instance"));

        JsonObject result = control.act("nic-fault", new JsonObject().put("knob", "rangePastBuffer").put("nic", 2))
                .await(10, TimeUnit.SECONDS);
        assertEquals("NIC 2 fault knob rangePastBuffer is on", result.getString("result"));
        assertEquals(List.of(false, false, true), host.nics().stream().map(n -> n.faults().rangePastBuffer()).toList());
        control.act("nic-link", new JsonObject().put("up", false)).await(10, TimeUnit.SECONDS);
        assertEquals(List.of("down", "up", "up"), control.state().await(10, TimeUnit.SECONDS).getJsonArray("devices")
                .stream().map(JsonObject.class::cast).filter(d -> "nic".equals(d.getString("device")))
                .map(d -> d.getString("link")).toList(), "no \"nic\": NIC 0");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> control.act("nic-link",
                new JsonObject().put("nic", 3)).await(10, TimeUnit.SECONDS));
        assertEquals("\"nic\" must be an integer 0..2, got 3", e.getMessage());
    }

    /** The simulated host of {@code config} started on {@code bus}, with a guest that adds each offer to {@code offers}. */
    private SimulatedHost started(VmbusConfig config, SimBus bus, List<Offer> offers) throws Exception {
        SimulatedHost host = new SimulatedHost(vertx, bus.host(), config.host());
        host.start().await(10, TimeUnit.SECONDS);
        bus.guest().start(vertx.getOrCreateContext(), new OfferListener() {
            @Override
            public void offered(Offer offer) {
                offers.add(offer);
            }

            @Override
            public void rescinded(int relid) {
            }
        }).await(10, TimeUnit.SECONDS);
        return host;
    }
}
