package dev.vmbus.example;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.testkit.Packets;
import dev.vmbus.testkit.TestAgent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The example driven the Vert.x way (docs/PLUGINS.md): the kit on the {@code Vertx} that {@link VertxExtension}
 * injects, every step a {@link Future}, the checks in {@link VertxTestContext#verify}.
 */
@ExtendWith(VertxExtension.class)
class PingHandlerVertxTest {
    private static final Map<String, JsonObject> CONFIG =
            Map.of("ping", new JsonObject().put("enabled", true).put("prefix", "PONG "));

    @Test
    void answersAndFaultsWithFuturesOnTheInjectedVertx(Vertx vertx, VertxTestContext test) {
        TestAgent.startAsync(vertx, List.of(new PingHandler()), CONFIG).onComplete(test.succeeding(agent ->
                agent.openAsync(40, PingHandler.CLASS_ID)
                        .compose(ping -> ping.exchangeAsync(Packets.text("hello"), 5)
                                .compose(reply -> {
                                    test.verify(() -> {
                                        assertEquals("PONG hello", Packets.text(reply));
                                        assertEquals(5, reply.transactionId());
                                    });
                                    return agent.stateWhen("ping", s -> s.getLong("answered", 0L) == 1, "one answer");
                                })
                                .compose(state -> ping.sendAsync("crash", 6))
                                .compose(sent -> agent.eventWhen(ChannelState.FAULTED, 40)))
                        .eventually(agent::closeAsync)
                        .onComplete(test.succeeding(faulted -> test.verify(() -> {
                            assertTrue(faulted.reason().text().contains("ping refuses to answer 'crash'"),
                                    faulted.reason().text());
                            test.completeNow();
                        })))));
    }

    /** A blocking call made on an event loop would stop the loop that is to answer it: it fails at once instead. */
    @Test
    void aBlockingCallOnAnEventLoopFailsAtOnce(Vertx vertx, VertxTestContext test) {
        TestAgent.startAsync(vertx, List.of(new PingHandler()), CONFIG).onComplete(test.succeeding(agent ->
                vertx.runOnContext(v -> {
                    Throwable state = thrownBy(() -> agent.state("ping"));
                    Throwable open = thrownBy(() -> agent.open(41, PingHandler.CLASS_ID));
                    agent.closeAsync().onComplete(test.succeeding(closed -> test.verify(() -> {
                        assertInstanceOf(IllegalStateException.class, state);
                        assertTrue(state.getMessage().contains("event loop"), state.getMessage());
                        assertInstanceOf(IllegalStateException.class, open);
                        assertTrue(open.getMessage().contains("Future variant"), open.getMessage());
                        test.completeNow();
                    })));
                })));
    }

    private static Throwable thrownBy(Runnable call) {
        try {
            call.run();
            return null;
        } catch (RuntimeException | AssertionError e) {
            return e;
        }
    }
}
