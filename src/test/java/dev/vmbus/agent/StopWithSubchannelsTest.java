package dev.vmbus.agent;

import dev.vmbus.bus.Addresses;
import dev.vmbus.bus.AgentSnapshot;
import dev.vmbus.channel.ChannelState;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.logging.StreamHandler;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * An orderly stop of an agent whose synthetic NIC has a subchannel logs no warning. The simulated host rescinds a
 * NIC's subchannels once the guest has closed its primary; that rescind reached the agent after its channels were
 * closed, while its devices and dashboard were going, and the agent published it, so Vert.x logged "Discarding
 * message since the consumer is not registered" at every stop of a NIC with two queues (seen on a fresh clone, with
 * the dashboard on as {@code vmbus run} has it).
 */
class StopWithSubchannelsTest {
    private static final VmbusConfig CONFIG = ConfigLoader.parse("""
            { "dashboard": { "port": 0 },
              "devices": { "netvsc": { "enabled": true, "backend": "eventbus", "queues": 2 } },
              "host": { "nic": { "enabled": true, "backend": "loopback", "queues": 2 } } }""", "test");

    @Test
    void anOrderlyStopOfANicWithASubchannelLogsNoWarning() throws Exception {
        ByteArrayOutputStream warnings = new ByteArrayOutputStream();
        Handler capture = new StreamHandler(warnings, new SimpleFormatter());
        capture.setLevel(Level.WARNING);
        Logger root = Logger.getLogger("");
        root.addHandler(capture);
        try {
            Agent agent = Agent.builder(CONFIG).start();
            try {
                await("the NIC's primary and its subchannel open").atMost(20, TimeUnit.SECONDS)
                        .until(() -> agent.vertx().eventBus().<AgentSnapshot>request(Addresses.CHANNEL_LIST, null)
                                .await(5, TimeUnit.SECONDS).body().channels().stream()
                                .filter(c -> c.className().equals("netvsc") && c.state() == ChannelState.OPEN)
                                .map(c -> c.offer().subchannel()).sorted().toList(), open -> open.equals(List.of(0, 1)));
            } finally {
                agent.close();
            }
        } finally {
            root.removeHandler(capture);
            capture.flush();
        }
        assertEquals("", warnings.toString(StandardCharsets.UTF_8));
    }
}
