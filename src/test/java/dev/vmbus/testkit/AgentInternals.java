package dev.vmbus.testkit;

import dev.vmbus.agent.Agent;
import dev.vmbus.channel.Offer;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.transport.HostTransport;
import io.vertx.core.Context;
import io.vertx.core.Future;

/**
 * The agent's own tests' access to a {@link TestAgent} beyond the public kit, and the only one: the kit's
 * package-private seam, opened here in the test sources (so neither in the kit's jar nor in what a plug-in's test
 * can name). The agent those tests start is still the kit's, started and closed by {@link TestAgent}; this adds no
 * wiring and no lifecycle of its own.
 * <ul>
 *   <li>{@link #start(VmbusConfig)}: the whole agent as {@code vmbus run} builds it from a configuration (the
 *       installed plug-ins, the simulated host, the dashboard), {@link #start(Agent.Builder)} with the builder's
 *       options too, and {@link #agent} to reach them;</li>
 *   <li>{@link #offer} and {@link #hostContext}: a raw host end, a test's own {@link HostTransport.ChannelListener}
 *       offered through the scripted host's transport and run on its context.</li>
 * </ul>
 */
public final class AgentInternals {
    private AgentInternals() {
    }

    /** The whole agent from {@code config} on a Vert.x of its own (see {@link TestAgent}'s package-private start). */
    public static TestAgent start(VmbusConfig config) {
        return TestAgent.start(config);
    }

    /**
     * The agent {@code builder} describes (a configuration with the handlers, device sections or host end the test
     * gives it) on the Vert.x {@code vmbus run} makes (see {@link TestAgent}'s package-private start); the test
     * does not give the builder a Vert.x (it would be replaced).
     */
    public static TestAgent start(Agent.Builder builder) {
        return TestAgent.start(builder);
    }

    /** The composition root {@code agent} runs: its dashboard, simulated host, registry. */
    public static Agent agent(TestAgent agent) {
        return agent.agent();
    }

    /** The context of {@code agent}'s scripted host end, on which a raw listener is called. */
    public static Context hostContext(TestAgent agent) {
        return agent.host().context();
    }

    /** Offers {@code offer} with {@code listener} as its host end; completes once the offer is made. */
    public static Future<Void> offer(TestAgent agent, Offer offer, HostTransport.ChannelListener listener) {
        return agent.host().offerAsync(offer, listener);
    }
}
