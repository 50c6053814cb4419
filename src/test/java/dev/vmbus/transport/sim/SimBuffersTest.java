package dev.vmbus.transport.sim;

import dev.vmbus.channel.Offer;
import dev.vmbus.transport.BufferChecks;
import dev.vmbus.transport.BufferHostLogic;
import dev.vmbus.transport.GuestMemory;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.SharedGuestMemory;
import dev.vmbus.transport.RecordedOffers;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Buffers and guest memory on {@code sim}: segments named as uio names maps 3 and 4, one segment of guest RAM. */
class SimBuffersTest {
    private static final UUID CLASS_ID = UUID.fromString("4b1f3d2a-77e1-4f0e-8a55-3c1d2e3f4051");
    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void buffersAndGuestMemoryAreSharedWithTheHost() throws Exception {
        SimBus bus = new SimBus(vertx);
        Context hostContext = vertx.getOrCreateContext();
        AtomicReference<SharedGuestMemory> ram = new AtomicReference<>();
        BufferHostLogic logic = new BufferHostLogic(hostContext, ram::get);
        HostTransport host = bus.host();
        host.start().await(10, TimeUnit.SECONDS);
        assertTrue(bus.guest().guestMemory().unavailableReason().contains("shares no guest memory"));
        var refused = assertThrows(GuestMemory.GuestMemoryException.class, () -> bus.guest().guestMemory().allocate(1));
        assertTrue(refused.getMessage().startsWith("no guest memory for GPA-direct packets: "), refused.getMessage());
        ram.set(host.guestMemory(64 * 4096).await(10, TimeUnit.SECONDS));
        assertTrue(host.guestMemory(4096).failed(), "guest memory is given once");
        host.offer(new Offer(9, CLASS_ID, UUID.randomUUID(), 0, 4 * 4096),
                new HostTransport.Buffers(256 * 1024, 128 * 1024), logic).await(10, TimeUnit.SECONDS);

        Context guestContext = vertx.getOrCreateContext();
        RecordedOffers offers = new RecordedOffers();
        bus.guest().start(guestContext, offers).await(10, TimeUnit.SECONDS);
        Offer offer = offers.next();
        BufferChecks checks = BufferChecks.open(bus.guest(), offer, guestContext);
        checks.buffersAreSharedAndBounded(256 * 1024, 128 * 1024);
        assertEquals("recv:" + HostTransport.FIRST_GPADL, checks.link().buffers().getFirst().name().toString());
        checks.guestMemoryIsSharedByPfn(bus.guest(), 64);
    }

    @Test
    void subchannelsAreOfferedOnRequestAndHandedToTheSameDevice() throws Exception {
        SimBus bus = new SimBus(vertx);
        Context hostContext = vertx.getOrCreateContext();
        BufferHostLogic logic = new BufferHostLogic(hostContext, () -> null);
        logic.transport = bus.host();
        bus.host().start().await(10, TimeUnit.SECONDS);
        Offer orphan = new Offer(30, CLASS_ID, UUID.randomUUID(), 1, 4 * 4096);
        var refused = bus.host().offer(orphan, logic);
        assertTrue(refused.failed() && refused.cause().getMessage().contains("has no primary"), "orphan subchannel");
        bus.host().offer(new Offer(9, CLASS_ID, UUID.randomUUID(), 0, 4 * 4096),
                new HostTransport.Buffers(64 * 1024, 32 * 1024), logic).await(10, TimeUnit.SECONDS);
        dev.vmbus.transport.SubchannelScenario.run(vertx, bus.guest(), CLASS_ID, 9);
    }
}
