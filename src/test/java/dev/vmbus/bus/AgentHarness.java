package dev.vmbus.bus;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.Offer;
import dev.vmbus.config.TransportType;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.sim.SimBus;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** The agent (VmbusVerticle) on the sim transport, with the host end left to the test. */
final class AgentHarness implements AutoCloseable {
    final Vertx vertx = Vertx.vertx();
    final SimBus bus = new SimBus(vertx, 4096);
    final Context hostContext = vertx.getOrCreateContext();
    final List<ChannelEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();

    AgentHarness() throws Exception {
        onHostAsync(() -> bus.host().start());
        vertx.eventBus().<ChannelEvent>consumer(Addresses.CHANNELS, m -> events.add(m.body()));
    }

    String deployAgent(List<DeviceHandler<?>> handlers) throws Exception {
        DeviceRegistry registry = DeviceRegistry.of(handlers, Map.of(), TransportType.SIM);
        return vertx.deployVerticle(new VmbusVerticle(bus.guest(), registry)).await(10, TimeUnit.SECONDS);
    }

    void offer(Offer offer, HostTransport.ChannelListener listener) throws Exception {
        onHostAsync(() -> bus.host().offer(offer, listener));
    }

    void rescind(int relid) throws Exception {
        onHostAsync(() -> bus.host().rescind(relid));
    }

    /** Runs {@code task} on the host context and waits for its result. */
    <T> T onHost(Supplier<T> task) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        hostContext.runOnContext(v -> {
            try {
                result.complete(task.get());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        return result.get(10, TimeUnit.SECONDS);
    }

    private void onHostAsync(Supplier<io.vertx.core.Future<Void>> task) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        hostContext.runOnContext(v -> task.get().onComplete(ar -> {
            if (ar.succeeded()) {
                done.complete(null);
            } else {
                done.completeExceptionally(ar.cause());
            }
        }));
        done.get(10, TimeUnit.SECONDS);
    }

    /** Waits for the oldest unclaimed lifecycle event into {@code state} for {@code relid}, and claims it. */
    ChannelEvent awaitEvent(ChannelState state, int relid) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
            for (ChannelEvent e : events) {
                if (e.state() == state && e.relid() == relid && events.remove(e)) {
                    return e;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no '" + ChannelEvent.name(state) + "' event for relid " + relid);
    }

    @Override
    public void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }
}
