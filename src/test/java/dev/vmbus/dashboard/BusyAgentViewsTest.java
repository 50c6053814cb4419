package dev.vmbus.dashboard;

import dev.vmbus.bus.Addresses;
import dev.vmbus.bus.AgentSnapshot;
import dev.vmbus.bus.ChannelView;
import dev.vmbus.bus.LocalCodec;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.config.VmbusConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 19 item 8: an agent too busy to gather its channels' figures in time (a host flooding it) must not make
 * the dashboard list no channel at all (every {@code /api/channels/N} a 404): the view falls back to the agent's
 * listing without figures, and, when even that does not come, to the last snapshot the agent gave.
 */
class BusyAgentViewsTest {
    private final Vertx vertx = Vertx.vertx();
    private static final Offer FAULTED = new Offer(7, DeviceClass.HEARTBEAT.classId(), UUID.randomUUID(), 0, 16384);
    private static final Offer OPEN = new Offer(8, DeviceClass.HEARTBEAT.classId(), UUID.randomUUID(), 0, 16384);

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static AgentSnapshot listing() {
        return new AgentSnapshot(System.currentTimeMillis(), List.of(
                ChannelView.listed(FAULTED, "heartbeat", ChannelState.FAULTED, true,
                        EndReason.of(EndReason.Kind.HANDLER_FAILED, "handler 'heartbeat' failed")),
                ChannelView.listed(OPEN, "heartbeat", ChannelState.OPEN, true, null)));
    }

    private Views views() {
        DashboardOptions options = new DashboardOptions(
                new VmbusConfig.Dashboard(true, "127.0.0.1", 0, null, 1000), List.of());
        // a shorter wait than Views.QUICK's 2 s: the path is the same, and each test waits for one or two of them
        return new Views(vertx, options, null, new HealthRules(options.config().health(), options.devicesByName()),
                new History(1000, options.devicesByName())).replyTimeout(500);
    }

    private JsonArray channels(Views views) throws Exception {
        var context = vertx.getOrCreateContext();
        io.vertx.core.Promise<Views.View> view = io.vertx.core.Promise.promise();
        context.runOnContext(v -> views.current().onComplete(view));
        return view.future().await(20, TimeUnit.SECONDS).json().getJsonArray("channels");
    }

    private static void assertListed(JsonArray channels) {
        assertEquals(2, channels.size(), channels.encode());
        JsonObject faulted = channels.getJsonObject(0);
        assertEquals(7, faulted.getInteger("relid"));
        assertEquals("faulted", faulted.getString("state"));
        assertEquals("handler 'heartbeat' failed", faulted.getString("reason"));
        assertEquals("open", channels.getJsonObject(1).getString("state"));
    }

    @Test
    void anAgentThatCannotGatherItsFiguresInTimeStillHasEveryChannelListed() throws Exception {
        LocalCodec.register(vertx);
        // the figures never come (a channel's event loop busy with a flood); the listing does
        vertx.eventBus().localConsumer(Addresses.STATS_NOW, m -> { });
        vertx.eventBus().localConsumer(Addresses.CHANNEL_LIST, m -> m.reply(listing()));
        assertListed(channels(views()));
    }

    @Test
    void anAgentThatAnswersNothingInTimeKeepsItsLastSnapshotListed() throws Exception {
        LocalCodec.register(vertx);
        AtomicInteger asked = new AtomicInteger();
        // the first snapshot comes; after that the agent answers nothing in time
        vertx.eventBus().localConsumer(Addresses.STATS_NOW, m -> {
            if (asked.getAndIncrement() == 0) {
                m.reply(listing());
            }
        });
        vertx.eventBus().localConsumer(Addresses.CHANNEL_LIST, m -> { });
        Views views = views();
        assertListed(channels(views));
        assertListed(channels(views));
        assertEquals(2, asked.get());
    }
}
