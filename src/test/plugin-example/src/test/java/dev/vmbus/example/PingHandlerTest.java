package dev.vmbus.example;

import dev.vmbus.channel.ChannelState;
import dev.vmbus.channel.Packet;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.testkit.Packets;
import dev.vmbus.testkit.ScriptedHost;
import dev.vmbus.testkit.TestAgent;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The plug-in example from docs/PLUGINS.md, found by ServiceLoader and driven through a simulated channel. */
class PingHandlerTest {
    private static final Map<String, JsonObject> CONFIG =
            Map.of("ping", new JsonObject().put("enabled", true).put("prefix", "PONG "));

    @Test
    void thePluginIsFoundConfiguredAndAnswersOnItsChannel() throws Exception {
        List<DevicePlugin<?>> installed = TestAgent.installed();
        assertTrue(installed.stream().anyMatch(p -> p instanceof PingHandler), "ServiceLoader did not find the plug-in");
        try (TestAgent agent = TestAgent.start(installed, CONFIG)) {
            ScriptedHost.Channel ping = agent.open(40, PingHandler.CLASS_ID);
            Packet reply = ping.exchange(Packets.text("hello"), 5);
            assertEquals("PONG hello", Packets.text(reply));
            assertEquals(5, reply.transactionId());
            assertEquals(1, agent.state("ping").getLong("answered"));

            ping.send("crash", 6); // a failure faults and closes that channel, and says why
            String reason = agent.awaitEvent(ChannelState.FAULTED, 40).reason().text();
            assertTrue(reason.contains("ping refuses to answer 'crash'"), reason);
        }
    }

    @Test
    void aBadConfigSectionIsRefusedWithTheKeyNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> TestAgent.start(List.of(new PingHandler()),
                Map.of("ping", new JsonObject().put("enabled", true).put("prefx", "x"))));
        assertEquals("devices.ping: unknown key 'prefx' (ping has [prefix] besides 'enabled')", e.getMessage());
    }
}
