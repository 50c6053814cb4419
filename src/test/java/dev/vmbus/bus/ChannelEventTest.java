package dev.vmbus.bus;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.ring.RingFault;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Lifecycle events as objects on the bus, and the JSON forms at the dashboard and cluster edges. */
class ChannelEventTest {
    private final Offer offer = new Offer(12, DeviceClass.KVP.classId(),
            UUID.fromString("00000000-0000-0000-0000-00000000000c"), 0, 16384);

    @Test
    void theDashboardJsonIsTheOneTheApiHasAlwaysServed() {
        assertEquals(new JsonObject().put("event", "opened").put("relid", 12).put("class", "kvp")
                        .put("classId", offer.classId().toString()).put("instanceId", offer.instanceId().toString())
                        .put("subchannel", 0).put("timestamp", 5L),
                new ChannelEvent(ChannelState.OPEN, offer, "kvp", null, 5).toJson());
        JsonObject faulted = new ChannelEvent(ChannelState.FAULTED, offer, "kvp",
                EndReason.ringFault(new RingFault(RingFault.Kind.DATA_OFFSET_TOO_SMALL, "offset8 1")), 6).toJson();
        assertEquals("faulted", faulted.getString("event"));
        assertEquals("DATA_OFFSET_TOO_SMALL: offset8 1", faulted.getString("reason"));
        assertEquals("offered", ChannelEvent.offered(offer, "kvp").toJson().getString("event"));
        assertEquals("rescinded", ChannelEvent.ended(offer, "kvp",
                EndReason.of(EndReason.Kind.PEER_GONE, "the shm host went away")).toJson().getString("event"));
        assertEquals("closed", ChannelEvent.ended(offer, "kvp",
                EndReason.of(EndReason.Kind.CLOSED, "closed by the guest")).toJson().getString("event"));
    }

    @Test
    void aStateAndItsReasonCannotDisagree() {
        EndReason rescinded = EndReason.of(EndReason.Kind.HOST_RESCINDED, "rescinded by the host");
        assertThrows(IllegalArgumentException.class, () -> new ChannelEvent(ChannelState.FAULTED, offer, "kvp", rescinded, 1));
        assertThrows(IllegalArgumentException.class, () -> new ChannelEvent(ChannelState.CLOSED, offer, "kvp", null, 1));
        assertThrows(IllegalArgumentException.class, () -> new ChannelEvent(ChannelState.OPEN, offer, "kvp", rescinded, 1));
        assertThrows(IllegalArgumentException.class, () -> EndReason.of(EndReason.Kind.RING_FAULT, "no fault given"));
    }

    @Test
    void theClusterFormReadsBackToTheSameEvent() {
        ChannelEventCodec codec = new ChannelEventCodec();
        for (ChannelEvent e : new ChannelEvent[] {
                new ChannelEvent(ChannelState.OPEN, offer, "kvp", null, 7),
                new ChannelEvent(ChannelState.FAULTED, offer, "kvp",
                        EndReason.ringFault(new RingFault(RingFault.Kind.TRUNCATED_PACKET, "8 bytes")), 8),
                new ChannelEvent(ChannelState.FAULTED, offer, "kvp",
                        EndReason.of(EndReason.Kind.HANDLER_TIMED_OUT, "handler 'kvp' failed a packet (TIMEOUT)"), 9)}) {
            Buffer wire = Buffer.buffer().appendString("xx");
            codec.encodeToWire(wire, e);
            assertEquals(e, codec.decodeFromWire(2, wire));
        }
    }

    @Test
    void locallyTheSubscriberGetsThePublishedObjectItself() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            LocalCodec.register(vertx);
            ChannelEvent sent = ChannelEvent.opened(offer, "kvp");
            Promise<Object> got = Promise.promise();
            vertx.eventBus().localConsumer(Addresses.CHANNELS, m -> got.complete(m.body()))
                    .completion().await(5, TimeUnit.SECONDS);
            vertx.eventBus().publish(Addresses.CHANNELS, sent);
            assertSame(sent, got.future().await(5, TimeUnit.SECONDS));
        } finally {
            vertx.close().await(5, TimeUnit.SECONDS);
        }
    }
}
