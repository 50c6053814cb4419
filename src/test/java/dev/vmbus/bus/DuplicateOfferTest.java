package dev.vmbus.bus;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.config.TransportType;
import dev.vmbus.spi.Reply;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.sim.SimBus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A host that offers a second primary channel of a device already offered (the same class and instance GUIDs on
 * another relid), as a buggy or hostile host might: which device would its subchannels, and the device's state,
 * belong to? Linux's {@code vmbus_process_offer} drops such an offer with a warning; the agent does the same and
 * says so on the channel, and the first channel, and a device with another instance, are served as before. Once the
 * first is rescinded, an offer of that device is a new device and is opened.
 */
class DuplicateOfferTest {
    private static final UUID CLASS = UUID.fromString("5e1b0d52-8f6a-4c3e-b7d9-2a4f6c8e0b13");
    private static final UUID INSTANCE = UUID.fromString("0f3a5c7e-9b1d-4f2a-8c6e-1d3b5f7a9c2e");
    private static final UUID OTHER = UUID.fromString("6a8c0e2f-4b6d-4e1a-9c3f-5b7d9f1a3c4e");

    private final Vertx vertx = Vertx.vertx();
    private final List<ChannelEvent> events = new CopyOnWriteArrayList<>();
    private final Set<Integer> openedByGuest = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void aSecondPrimaryOfOneDeviceIsRefusedAndTheFirstServed() throws Exception {
        SimBus bus = new SimBus(vertx);
        HostTransport host = bus.host();
        host.start().await(10, TimeUnit.SECONDS);
        for (Offer o : List.of(offer(5, INSTANCE), offer(6, INSTANCE), offer(7, OTHER))) {
            host.offer(o, listener()).await(10, TimeUnit.SECONDS);
        }
        DeviceRegistry registry = DeviceRegistry.of(List.of(new OneClassPlugin("twin", CLASS,
                () -> packet -> Future.succeededFuture(Reply.echo()))), Map.of(), TransportType.SIM);
        LocalCodec.register(vertx);
        vertx.eventBus().<ChannelEvent>localConsumer(Addresses.CHANNELS, m -> events.add(m.body()));
        vertx.deployVerticle(new VmbusVerticle(bus.guest(), registry, 0)).await(10, TimeUnit.SECONDS);

        await("relids 5 and 7 open, 6 refused").atMost(10, TimeUnit.SECONDS).until(() -> {
            Map<Integer, ChannelState> s = states();
            return s.get(5) == ChannelState.OPEN && s.get(7) == ChannelState.OPEN && s.get(6) == ChannelState.FAULTED;
        });
        ChannelEvent refused = events.stream().filter(e -> e.relid() == 6 && e.ended()).findFirst().orElseThrow();
        assertEquals(EndReason.Kind.OPEN_FAILED, refused.reason().kind());
        assertEquals("refused: the host offered a second twin device with instance " + INSTANCE
                + ", which relid 5 already is; not opened", refused.reason().text());
        assertEquals(Set.of(5, 7), openedByGuest, "the guest opened the refused channel's rings");

        // The first goes; the same device offered again on another relid is a new device
        host.rescind(5).await(10, TimeUnit.SECONDS);
        host.offer(offer(8, INSTANCE), listener()).await(10, TimeUnit.SECONDS);
        await("relid 8 open").atMost(10, TimeUnit.SECONDS).until(() -> states().get(8) == ChannelState.OPEN);
        assertTrue(openedByGuest.contains(8));
        assertEquals(ChannelState.OPEN, states().get(7));
    }

    private static Offer offer(int relid, UUID instance) {
        return new Offer(relid, CLASS, instance, 0, 16 * 1024);
    }

    private HostTransport.ChannelListener listener() {
        return new HostTransport.ChannelListener() {
            @Override
            public void opened(ChannelLink link) {
                openedByGuest.add(link.offer().relid());
            }

            @Override
            public void closed(int relid, EndReason reason) {
            }
        };
    }

    /** Each relid's last state, as the lifecycle events told it. */
    private Map<Integer, ChannelState> states() {
        return events.stream().collect(Collectors.toMap(ChannelEvent::relid, ChannelEvent::state, (a, b) -> b));
    }
}
