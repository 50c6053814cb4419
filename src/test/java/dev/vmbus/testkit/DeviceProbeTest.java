package dev.vmbus.testkit;

import dev.vmbus.spi.OutboundPacket;
import dev.vmbus.spi.Reply;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The probe on the caller's Vert.x: Future variants from an event loop, and a blocking call there refused at once. */
class DeviceProbeTest {
    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private DeviceProbe echo() {
        return DeviceProbe.of(vertx, "echo", packet -> Future.succeededFuture(Reply.echo()));
    }

    @Test
    void theFutureVariantsWorkFromAnEventLoopAndCloseLeavesTheCallersVertxOpen() throws Exception {
        DeviceProbe probe = echo();
        Promise<Optional<OutboundPacket>> reply = Promise.promise();
        vertx.runOnContext(v -> probe.sendAsync(new byte[] {1, 2, 3}, 5).onComplete(reply));
        OutboundPacket out = reply.future().await(10, TimeUnit.SECONDS).orElseThrow();
        assertArrayEquals(new byte[] {1, 2, 3}, out.payload());
        assertTrue(probe.stateAsync().await(10, TimeUnit.SECONDS).containsKey("actionsSkipped"));

        probe.close();
        assertTrue(vertx.deploymentIDs().isEmpty(), "the device is undeployed");
        assertTrue(vertx.setTimer(1, t -> { }) > 0, "the caller's Vert.x still runs");
    }

    @Test
    void aBlockingCallOnAnEventLoopFailsAtOnceSayingWhy() throws Exception {
        DeviceProbe probe = echo();
        Promise<Throwable> thrown = Promise.promise();
        vertx.runOnContext(v -> {
            try {
                probe.state();
                thrown.complete(null);
            } catch (Throwable e) {
                thrown.complete(e);
            }
        });
        Throwable e = thrown.future().await(10, TimeUnit.SECONDS);
        assertTrue(e instanceof IllegalStateException && e.getMessage().contains("event loop")
                && e.getMessage().contains("Future variant"), "refused with the reason: " + e);
    }
}
