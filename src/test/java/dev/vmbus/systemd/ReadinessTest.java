package dev.vmbus.systemd;

import dev.vmbus.agent.Agent;
import dev.vmbus.bus.ChannelView;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.HostComplaints;
import dev.vmbus.channel.Offer;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.host.SimulatedHost;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.OfferListener;
import dev.vmbus.transport.shm.ShmGuest;
import dev.vmbus.transport.shm.ShmOptions;
import dev.vmbus.transport.shm.ShmHost;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * systemd's READY means every enabled channel is open, also when the {@code shm} host offers its channels well
 * after the agent connected (a host still starting its devices): the agent waits for the host's
 * {@code allOffersDelivered}, then for the handled channels to open.
 */
class ReadinessTest {
    private static final UUID INSTANCE = UUID.fromString("7d3c5a52-0a0b-4c47-9a49-3b5e0fd3a001");

    @TempDir
    Path dir;
    private Vertx hostVertx;
    private Agent agent;

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (hostVertx != null) {
            hostVertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    /** A host that opens whatever the guest opens and answers nothing. */
    private static final class Silent implements HostTransport.ChannelListener {
        @Override
        public void opened(ChannelLink link) {
        }

        @Override
        public void closed(int relid, EndReason reason) {
        }
    }

    private static String config(Path dir) {
        return new JsonObject()
                .put("transport", new JsonObject().put("type", "shm").put("shmDir", dir.toString()))
                .put("devices", new JsonObject().put("heartbeat", new JsonObject().put("enabled", true))
                        .put("timesync", new JsonObject().put("enabled", false))
                        .put("shutdown", new JsonObject().put("enabled", false))
                        .put("kvp", new JsonObject().put("enabled", false))
                        .put("vss", new JsonObject().put("enabled", false))
                        .put("fcopy", new JsonObject().put("enabled", false)))
                .put("dashboard", new JsonObject().put("enabled", false))
                .encode();
    }

    @Test
    void aHostThatOffersLateIsWaitedForAndReadyListsItsChannelOpen() throws Exception {
        hostVertx = Vertx.vertx();
        Context host = hostVertx.getOrCreateContext();
        ShmHost transport = new ShmHost(hostVertx, dir);
        OnContext.call(host, transport::start).await(10, TimeUnit.SECONDS);
        agent = Agent.builder(ConfigLoader.parse(config(dir), "test")).start(); // returns once connected
        await().atMost(10, TimeUnit.SECONDS).until(transport::guestConnected);

        Future<List<ChannelView>> ready = Readiness.await(agent.vertx(), agent.offersDelivered());
        // The host offers only after the agent's old rule (the offer set unchanged for three 100 ms polls) has
        // long had its chance to call an empty agent ready; the offer and "all delivered" come after that.
        Promise<Void> offered = Promise.promise();
        host.runOnContext(v -> hostVertx.setTimer(1_000, t -> transport.offer(
                        new Offer(1, DeviceClass.HEARTBEAT.classId(), INSTANCE, 0, SimulatedHost.IC_RING_SIZE), new Silent())
                .onSuccess(x -> transport.allOffered())
                .onComplete(offered)));
        offered.future().await(10, TimeUnit.SECONDS);

        List<ChannelView> channels = ready.await(15, TimeUnit.SECONDS);
        assertEquals(1, channels.size(), "READY before the host's offer: " + channels);
        assertEquals(ChannelState.OPEN, channels.getFirst().state(), channels.toString());
        assertEquals("serving heartbeat 1", Readiness.status(channels));
    }

    @Test
    void aGuestThatConnectsAfterTheHostFinishedOfferingHearsItAfterTheOffers() throws Exception {
        hostVertx = Vertx.vertx();
        Context host = hostVertx.getOrCreateContext();
        ShmHost transport = new ShmHost(hostVertx, dir);
        OnContext.call(host, () -> transport.start()
                .compose(x -> transport.offer(new Offer(1, DeviceClass.HEARTBEAT.classId(), INSTANCE, 0,
                        SimulatedHost.IC_RING_SIZE), new Silent()))
                .onSuccess(x -> transport.allOffered())).await(10, TimeUnit.SECONDS);
        List<Integer> offered = new java.util.concurrent.CopyOnWriteArrayList<>();
        // a wait far past any test: only the host's line can complete offersDelivered here
        ShmGuest guest = new ShmGuest(hostVertx, new ShmOptions(dir, 10_000, 600_000), new HostComplaints());
        try {
            guest.start(hostVertx.getOrCreateContext(), listener(offered)).await(10, TimeUnit.SECONDS);
            guest.offersDelivered().await(10, TimeUnit.SECONDS);
            assertEquals(List.of(1), offered, "allOffersDelivered came before the offer it follows");
        } finally {
            guest.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aHostThatNeverSaysItsOffersAreDeliveredIsTakenAtItsWordAfterTheWait() throws Exception {
        hostVertx = Vertx.vertx();
        Context host = hostVertx.getOrCreateContext();
        ShmHost transport = new ShmHost(hostVertx, dir);
        OnContext.call(host, transport::start).await(10, TimeUnit.SECONDS);
        ShmGuest guest = new ShmGuest(hostVertx, new ShmOptions(dir, 10_000, 200), new HostComplaints());
        try {
            guest.start(hostVertx.getOrCreateContext(), listener(new java.util.ArrayList<>())).await(10, TimeUnit.SECONDS);
            guest.offersDelivered().await(10, TimeUnit.SECONDS);
        } finally {
            guest.close().await(10, TimeUnit.SECONDS);
        }
    }

    private static OfferListener listener(List<Integer> offered) {
        return new OfferListener() {
            @Override
            public void offered(Offer offer) {
                offered.add(offer.relid());
            }

            @Override
            public void rescinded(int relid) {
            }
        };
    }

    @Test
    void aHandledChannelStillOfferedIsNotReadyAndAnUnhandledOneDoesNotHoldItUp() {
        Offer heartbeat = new Offer(1, DeviceClass.HEARTBEAT.classId(), INSTANCE, 0, 4 * 4096);
        Offer kvp = new Offer(4, DeviceClass.KVP.classId(), INSTANCE, 0, 4 * 4096);
        ChannelView waiting = ChannelView.listed(heartbeat, "heartbeat", ChannelState.OFFERED, true, null);
        ChannelView open = ChannelView.listed(heartbeat, "heartbeat", ChannelState.OPEN, true, null);
        ChannelView unhandled = ChannelView.listed(kvp, "kvp", ChannelState.OFFERED, false, null);
        assertFalse(Readiness.settled(List.of(waiting, unhandled)));
        assertTrue(Readiness.settled(List.of(open, unhandled)));
        assertTrue(Readiness.settled(List.of()), "no channel to wait for once the host says all are delivered");
    }
}
