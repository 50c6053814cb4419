package dev.vmbus.device.netvsc;

import dev.vmbus.channel.Packet;
import dev.vmbus.net.FramePort;
import dev.vmbus.net.Nvsp;
import dev.vmbus.net.RndisMessage;
import dev.vmbus.spi.ChannelPort;
import dev.vmbus.spi.DeviceChannel;
import dev.vmbus.spi.OutboundPacket;
import dev.vmbus.spi.SendSections;
import dev.vmbus.transport.HostTransport;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonObject;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Everything of a NIC runs on its primary channel's context ({@code ChannelPort.context()}): the backend is started
 * there, its frames reach the send path there, and the channel's packets are handled there, so one thread owns the
 * send sections. Issue 21's fault: the NIC learnt its context from its first send's future, whose callback runs on
 * the thread that adds it when the channel completed the future first, that is on the device's loop. The backend's
 * frames then took sections on the device's loop while the channel's completions gave them back and sent waiting
 * frames on the channel's, and the host got NVSP 107s naming 0 bytes of a section, then completions the guest had
 * "never issued". The port here ({@link CompletedFirst}) makes that ordering certain: a send from off the channel's
 * context returns only once the channel has completed it.
 */
class NetvscContextTest {

    /** A backend that notes the threads it is started on, hands frames to the NIC on and gets frames on. */
    static class ThreadPort implements FramePort {
        final Set<String> started = ConcurrentHashMap.newKeySet();
        final Set<String> fromHost = ConcurrentHashMap.newKeySet();
        volatile Executor deliver;

        @Override
        public void startBursts(Executor deliver, Receiver toNic) {
            started.add(Thread.currentThread().getName());
            this.deliver = deliver;
        }

        @Override
        public boolean send(byte[] frame, int offset, int length) {
            fromHost.add(Thread.currentThread().getName());
            return true;
        }

        @Override
        public void pause() {
        }

        @Override
        public void resume() {
        }

        @Override
        public Stats stats() {
            return new Stats(0, 0, 0, 0, 0, 0);
        }

        @Override
        public void close() {
        }
    }

    /**
     * The real channel port, except that a send from off the channel's thread returns once the channel completed
     * it (at most 5 s), as it does whenever the channel's loop is quicker than the caller: a callback added to the
     * future then runs at once, on the caller's thread.
     */
    record CompletedFirst(ChannelPort port) implements ChannelPort {
        @Override
        public DeviceChannel channel() {
            return port.channel();
        }

        @Override
        public Context context() {
            return port.context();
        }

        @Override
        public Future<Void> complete(Packet request, byte[] payload) {
            return port.complete(request, payload);
        }

        @Override
        public Future<Void> send(OutboundPacket packet) {
            Future<Void> sent = port.send(packet);
            if (!((ContextInternal) port.context()).nettyEventLoop().inEventLoop()) {
                try {
                    await("the channel to complete the send").atMost(5, TimeUnit.SECONDS).until(sent::isComplete);
                } catch (ConditionTimeoutException late) {
                    // handed back pending, as a slower channel's send is
                }
            }
            return sent;
        }

        @Override
        public Future<Void> end(String reason) {
            return port.end(reason);
        }

        @Override
        public Future<Void> close(String reason) {
            return port.close(reason);
        }

        @Override
        public SendSections sendSections(int sectionSize) {
            return port.sendSections(sectionSize);
        }
    }

    @Test
    void theBackendStartsAndDeliversOnTheThreadThatHandlesTheChannel() throws Exception {
        for (int round = 0; round < 2; round++) {
            ThreadPort port = new ThreadPort();
            NetvscHandler netvsc = new NetvscHandler((vertx, name, mac, mtu, maxFrame, link) -> port);
            // round 0 as the channel usually goes, round 1 with the channel completing every send first
            try (NicHost host = new NicHost(new JsonObject(), HostTransport.Buffers.UIO,
                    round == 0 ? netvsc : new WrappedNetvsc(netvsc, CompletedFirst::new, () -> { }))) {
                assertTrue(host.bringUp(new NetvspAnswers() { }));
                host.awaitNic(n -> n.getString("phase").equals("up"), "up");
                assertNotNull(port.deliver, "the NIC started its backend");

                // a frame from the host: handled in a batch, on the channel's context
                host.deliver(List.of(new RndisMessage.Packet(NetvscDataTest.frame(60, round), List.of()).encode()),
                        Nvsp.CHANNEL_DATA);
                host.awaitNic(n -> n.getJsonArray("queues").getJsonObject(0).getLong("framesFromHost") == 1,
                        "the host's frame handled");
                assertEquals(1, port.fromHost.size(), "threads that handed frames to the backend: " + port.fromHost);
                String channelThread = port.fromHost.iterator().next();

                Promise<String> delivered = Promise.promise();
                port.deliver.execute(() -> delivered.complete(Thread.currentThread().getName()));
                String deliverThread = delivered.future().await(10, TimeUnit.SECONDS);

                assertEquals(Set.of(channelThread), port.started, "round " + round
                        + ": the backend was started off the thread that handles the channel's packets");
                assertEquals(channelThread, deliverThread, "round " + round
                        + ": the backend's frames reach the NIC off the thread that handles the channel's packets");
            }
        }
    }
}
