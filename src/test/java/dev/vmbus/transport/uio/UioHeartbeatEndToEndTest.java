package dev.vmbus.transport.uio;

import dev.vmbus.bus.DeviceRegistry;
import dev.vmbus.bus.VmbusVerticle;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.Offer;
import dev.vmbus.config.TransportType;
import dev.vmbus.device.heartbeat.HeartbeatHandler;
import dev.vmbus.host.HeartbeatHostDevice;
import dev.vmbus.ring.PageSize;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Heartbeat through the whole agent over the uio transport on a fixture tree: {@code VmbusVerticle} with the
 * heartbeat handler on one side, the simulated host's {@link HeartbeatHostDevice} writing the other ends of the
 * rings in the same file and interrupting through the socket pair.
 */
class UioHeartbeatEndToEndTest {
    static final long PAGE = PageSize.system();
    static final UUID INSTANCE = UUID.fromString("fd149e91-82e0-4a7d-afa6-2a4166cbd7c0");

    @TempDir
    Path tmp;
    Vertx hostVertx;
    Vertx guestVertx;
    final CompletableFuture<FixtureHostLink> hostLink = new CompletableFuture<>();

    @AfterEach
    void tearDown() throws Exception {
        if (guestVertx != null) {
            guestVertx.close().await(10, TimeUnit.SECONDS);
        }
        if (hostVertx != null) {
            hostVertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void heartbeatsAreAnsweredOverUio() throws Exception {
        SysfsFixture fixture = new SysfsFixture(tmp);
        int relid = 11;
        fixture.device(INSTANCE.toString(), "{57164F39-9115-4E78-AB55-382F3BD5422D}\n", "{" + INSTANCE + "}\n",
                relid, "uio2", 8 * PAGE);
        hostVertx = Vertx.vertx();
        Context hostContext = hostVertx.getOrCreateContext();
        Offer offer = new Offer(relid, DeviceClass.HEARTBEAT.classId(), INSTANCE, 0, (int) (4 * PAGE));
        HeartbeatHostDevice host = new HeartbeatHostDevice(hostContext, offer, 100);
        CompletableFuture<HeartbeatHostDevice.Health> healthy = new CompletableFuture<>();
        host.healthHandler(h -> {
            if (h == HeartbeatHostDevice.Health.HEALTHY) {
                healthy.complete(h);
            }
        });

        // Opening /dev/uioN makes the kernel initialise the rings and open the channel; then the host starts.
        FixtureNodes nodes = new FixtureNodes(fixture, true, (device, pair) -> {
            try {
                FixtureHostLink link = new FixtureHostLink(offer, device.dir().resolve("channels/" + relid + "/ring"),
                        (int) PAGE, pair, hostContext);
                hostContext.runOnContext(v -> host.opened(link));
                hostLink.complete(link);
            } catch (Exception e) {
                hostLink.completeExceptionally(e);
            }
        });

        guestVertx = Vertx.vertx();
        DeviceRegistry registry = DeviceRegistry.of(List.of(new HeartbeatHandler()), Map.of(), TransportType.UIO);
        guestVertx.deployVerticle(new VmbusVerticle(new UioGuest(guestVertx, new UioOptions(tmp), nodes), registry))
                .await(10, TimeUnit.SECONDS);

        assertEquals(HeartbeatHostDevice.Health.HEALTHY, healthy.get(10, TimeUnit.SECONDS));
        long deadline = System.currentTimeMillis() + 10_000;
        while (host.replies() < 5 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(host.replies() >= 5, "replies: " + host.replies());
        assertEquals(HeartbeatHostDevice.Health.HEALTHY, host.health());
        FixtureHostLink link = hostLink.get();
        assertTrue(link.interrupts() >= 5, "the host interrupted through the socket pair: " + link.interrupts());
        assertTrue(link.kicks() >= 5, "the guest kicked with write(1): " + link.kicks());
    }
}
