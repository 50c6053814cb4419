package dev.vmbus.bus;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.EndReason;
import dev.vmbus.channel.Offer;
import dev.vmbus.config.TransportType;
import dev.vmbus.spi.BatchHandler;
import dev.vmbus.spi.ChannelPort;
import dev.vmbus.spi.Device;
import dev.vmbus.spi.Reply;
import dev.vmbus.transport.ChannelLink;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.GuestTransport;
import dev.vmbus.transport.OnContext;
import dev.vmbus.transport.shm.ShmGuest;
import dev.vmbus.transport.shm.ShmHost;
import dev.vmbus.transport.shm.ShmOptions;
import dev.vmbus.transport.sim.SimBus;
import dev.vmbus.channel.HostComplaints;
import io.vertx.core.Context;
import java.nio.file.Path;
import dev.vmbus.channel.Packet;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The host rescinds a channel while the guest is still attaching it to its device: the link is open, the device
 * has not answered yet, the channel's driver does not exist. The end the transport reports in that window is kept
 * and given to the driver when it takes the link, so the channel ends rescinded and its verticle goes. On sim the
 * ring memory stays valid (the garbage collector owns it), so nothing else would ever end it: the channel stayed
 * open for good, its verticle, its event-bus consumers and its share of the device's state with it, and no
 * orderly stop closed it (audit28 finding 2).
 */
class RescindDuringAttachTest {
    private static final UUID CLASS = UUID.fromString("2c4e6a8b-0d1f-4a3c-9e5b-7d9f1b3d5e7a");
    private static final int RELID = 5;

    private final Vertx vertx = Vertx.vertx();
    private final List<ChannelEvent> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"sim", "shm"})
    void aRescindWhileTheDeviceAttachesEndsTheChannel(String transport) throws Exception {
        Context hostContext = vertx.getOrCreateContext();
        HostTransport host;
        GuestTransport guest;
        if (transport.equals("sim")) {
            SimBus bus = new SimBus(vertx);
            host = bus.host();
            guest = bus.guest();
        } else {
            host = new ShmHost(vertx, dir.resolve("shm"));
            guest = new ShmGuest(vertx, new ShmOptions(dir.resolve("shm")), new HostComplaints());
        }
        Promise<Void> rescinded = Promise.promise();
        Offer offer = new Offer(RELID, CLASS, UUID.randomUUID(), 0, 16 * 1024);
        HostTransport.ChannelListener listener = new HostTransport.ChannelListener() {
            @Override
            public void opened(ChannelLink link) {
                // the guest's open is done: its channel verticle now asks the device to attach
                host.rescind(RELID).onComplete(ar -> rescinded.tryComplete());
            }

            @Override
            public void closed(int relid, EndReason reason) {
            }
        };
        OnContext.call(hostContext, () -> host.start().compose(x -> host.offer(offer, listener)))
                .await(10, TimeUnit.SECONDS);
        Device device = new Device() {
            @Override
            public Future<Reply> handle(Packet packet) {
                return Future.succeededFuture(Reply.echo());
            }

            @Override
            public BatchHandler batchHandler(ChannelPort port) {
                // the attach answers only once the rescind has gone out, and its end reached the channel's context
                await("the host's rescind").atMost(5, TimeUnit.SECONDS).until(rescinded.future()::isComplete);
                try {
                    Thread.sleep(200); // pacing: the end's task, already queued on the channel's context, runs
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return null;
            }
        };
        DeviceRegistry registry = DeviceRegistry.of(List.of(new OneClassPlugin("late", CLASS, () -> device)),
                Map.of(), TransportType.SIM);
        LocalCodec.register(vertx);
        vertx.eventBus().<ChannelEvent>localConsumer(Addresses.CHANNELS, m -> events.add(m.body()));
        vertx.deployVerticle(new VmbusVerticle(guest, registry, 0)).await(10, TimeUnit.SECONDS);

        ChannelEvent ended = await("the channel ended").atMost(10, TimeUnit.SECONDS).until(() -> events.stream()
                .filter(e -> e.relid() == RELID && e.ended()).findFirst().orElse(null), e -> e != null);
        assertEquals(ChannelState.RESCINDED, ended.state(), ended.toString());
        assertEquals(EndReason.Kind.HOST_RESCINDED, ended.reason().kind(), ended.toString());
        // the channel's verticle went, and its consumers with it
        await("no one answering for the channel's figures").atMost(10, TimeUnit.SECONDS)
                .until(() -> vertx.eventBus().request(Addresses.channelStats(RELID), null)
                        .transform(ar -> Future.succeededFuture(ar.failed()
                                && ar.cause() instanceof ReplyException r && r.failureType() == ReplyFailure.NO_HANDLERS))
                        .await(10, TimeUnit.SECONDS));
        // one word of the channel's end, and no "opened" after the rescind (all published before it went)
        assertEquals(List.of(ChannelState.OFFERED, ChannelState.RESCINDED), events.stream()
                .filter(e -> e.relid() == RELID).map(ChannelEvent::state).toList(), events.toString());
    }
}
