package dev.vmbus.agent;

import dev.vmbus.spi.DevicePlugin;

import dev.vmbus.bus.Addresses;
import dev.vmbus.bus.ChannelEvent;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.Offer;
import dev.vmbus.agent.Agent;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.transport.HostTransport;
import dev.vmbus.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;

/**
 * The agent ({@link Agent} on sim, no dashboard) with the host end left to the test: the test offers and rescinds
 * channels with its own listener on {@link #hostContext}. Lifecycle events are collected from the start, before the
 * agent is deployed. Used from the test's thread; {@link #events} is made for concurrent use.
 */
public final class AgentHarness implements AutoCloseable {
    private static final VmbusConfig CONFIG = ConfigLoader.parse("{\"dashboard\": {\"enabled\": false}}", "test");

    final Vertx vertx = Vertx.vertx();
    final List<ChannelEvent> events = new CopyOnWriteArrayList<>();
    /** The host end's context; set by {@link #deployAgent}. */
    volatile Context hostContext;
    private volatile HostTransport host;
    private Agent agent;

    AgentHarness() {
        vertx.eventBus().<ChannelEvent>consumer(Addresses.CHANNELS, m -> events.add(m.body()));
    }

    /** Starts the agent with these handlers and the host transport (4 KiB ring headers), offering nothing yet. */
    void deployAgent(List<? extends DevicePlugin<?>> handlers) throws Exception {
        agent = Agent.builder(CONFIG).vertx(vertx).handlers(handlers).simRingHeader(4096)
                .hostEnd((context, transport) -> {
                    hostContext = context;
                    host = transport;
                    return transport.start();
                })
                .start();
    }

    void offer(Offer offer, HostTransport.ChannelListener listener) throws Exception {
        onHostAsync(() -> host.offer(offer, listener));
    }

    void rescind(int relid) throws Exception {
        onHostAsync(() -> host.rescind(relid));
    }

    /** Runs {@code task} on the host context and waits for its result. */
    <T> T onHost(Supplier<T> task) throws Exception {
        return OnContext.supply(hostContext, task).await(10, TimeUnit.SECONDS);
    }

    private void onHostAsync(Supplier<Future<Void>> task) throws Exception {
        OnContext.call(hostContext, task).await(10, TimeUnit.SECONDS);
    }

    /** Waits for the oldest unclaimed lifecycle event into {@code state} for {@code relid}, and claims it. */
    ChannelEvent awaitEvent(ChannelState state, int relid) {
        AtomicReference<ChannelEvent> claimed = new AtomicReference<>();
        await("a '" + ChannelEvent.name(state) + "' event for relid " + relid).atMost(10, TimeUnit.SECONDS).until(() -> {
            for (ChannelEvent e : events) {
                if (e.state() == state && e.relid() == relid && events.remove(e)) {
                    claimed.set(e);
                    return true;
                }
            }
            return false;
        });
        return claimed.get();
    }

    @Override
    public void close() throws Exception {
        if (agent != null) {
            agent.close();
        }
        vertx.close().await(10, TimeUnit.SECONDS);
    }
}
