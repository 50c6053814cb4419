package dev.vmbus.transport.uio;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.agent.Agent;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.channel.Offer;
import dev.vmbus.device.heartbeat.HeartbeatHandler;
import dev.vmbus.host.HeartbeatHostDevice;
import dev.vmbus.os.PageSize;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Heartbeat through the whole agent over the uio transport on a fixture tree: {@code VmbusVerticle} with the
 * heartbeat handler on one side, the simulated host's {@link HeartbeatHostDevice} writing the other ends of the
 * rings in the same file and interrupting through the socket pair.
 */
class UioHeartbeatEndToEndTest extends UioAgentTest {
    static final long PAGE = PageSize.system();
    static final UUID INSTANCE = UUID.fromString("fd149e91-82e0-4a7d-afa6-2a4166cbd7c0");

    final Promise<FixtureHostLink> hostLink = Promise.promise();

    /** The agent on uio over the fixture tree under {@code root}, on a kernel with every fix (6.16), no dashboard. */
    static VmbusConfig config(Path root, JsonObject dashboard) {
        return ConfigLoader.parse(new JsonObject()
                .put("transport", new JsonObject().put("type", "uio").put("sysfsRoot", root.toString())
                        .put("kernel", new JsonObject().put("release", "6.16.0")))
                .put("dashboard", dashboard).encode(), "test");
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
        Promise<HeartbeatHostDevice.Health> healthy = Promise.promise();
        host.healthHandler(h -> {
            if (h == HeartbeatHostDevice.Health.HEALTHY) {
                healthy.tryComplete(h);
            }
        });

        // Opening /dev/uioN makes the kernel initialise the rings and open the channel; then the host starts.
        FixtureNodes nodes = new FixtureNodes(fixture, true, (device, pair) -> {
            try {
                FixtureHostLink link = new FixtureHostLink(offer, device.device().dir().resolve("channels/" + relid + "/ring"),
                        (int) PAGE, pair, hostContext);
                hostContext.runOnContext(v -> host.opened(link));
                hostLink.tryComplete(link);
            } catch (Exception e) {
                hostLink.tryFail(e);
            }
        });

        agent = Agent.builder(config(tmp, new JsonObject().put("enabled", false)))
                .handlers(List.of(new HeartbeatHandler())).uioNodes(nodes).start();

        assertEquals(HeartbeatHostDevice.Health.HEALTHY, healthy.future().await(10, TimeUnit.SECONDS));
        await("five replies").atMost(10, TimeUnit.SECONDS).until(() -> host.replies() >= 5);
        assertEquals(HeartbeatHostDevice.Health.HEALTHY, host.health());
        FixtureHostLink link = hostLink.future().await(10, TimeUnit.SECONDS);
        assertTrue(link.interrupts() >= 5, "the host interrupted through the socket pair: " + link.interrupts());
        assertTrue(link.kicks() >= 5, "the guest kicked with write(1): " + link.kicks());
    }
}
