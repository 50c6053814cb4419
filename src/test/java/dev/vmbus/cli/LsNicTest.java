package dev.vmbus.cli;

import dev.vmbus.agent.Agent;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.testkit.AgentInternals;
import dev.vmbus.testkit.TestAgent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vmbus ls} against an agent (in this JVM, on {@code sim}) whose synthetic NIC runs on three queues against
 * the simulated host's loopback NIC: the NIC's channels are listed with their class, the primary names its
 * subchannels and each subchannel its primary, and the primary shows the NIC (MAC, link, MTU, its queues).
 */
class LsNicTest {

    @Test
    void lsShowsTheNicItsSubchannelsAndItsQueues() throws Exception {
        JsonObject config = new JsonObject()
                .put("devices", new JsonObject().put("netvsc", new JsonObject().put("enabled", true)
                        .put("backend", "eventbus").put("queues", 3)))
                .put("host", new JsonObject().put("heartbeatIntervalMs", 60_000).put("nic", new JsonObject()
                        .put("enabled", true).put("backend", "loopback").put("queues", 3)))
                .put("dashboard", new JsonObject().put("host", "127.0.0.1").put("port", 0));
        try (TestAgent agent = AgentInternals.start(Agent.builder(ConfigLoader.parse(config.encode(), "test")))) {
            JsonObject nic = await("the NIC up with 3 queues").atMost(20, TimeUnit.SECONDS).until(() -> {
                JsonArray nics = ((JsonObject) agent.vertx().eventBus().request("vmbus.device.netvsc.state", null)
                        .await(10, TimeUnit.SECONDS).body()).getJsonArray("nics");
                return nics == null || nics.isEmpty() ? new JsonObject() : nics.getJsonObject(0);
            }, n -> "up".equals(n.getString("phase")) && n.getJsonArray("queues", new JsonArray()).size() == 3);
            int primary = nic.getInteger("relid");
            JsonArray queues = nic.getJsonArray("queues");
            int sub1 = queues.getJsonObject(1).getInteger("relid");
            int sub2 = queues.getJsonObject(2).getInteger("relid");

            String text = ls(agent);
            assertTrue(text.contains("VMBUS ID %2d: Class_ID = {f8615163-df3e-46c5-913f-f2d2f965ed0e} - netvsc"
                    .formatted(primary)), text);
            assertTrue(text.contains("Rel_ID=%d, subchannel=0, state=open".formatted(primary)), text);
            assertTrue(text.contains("subchannels=[%d,%d]".formatted(sub1, sub2)), text);
            assertTrue(text.contains("Rel_ID=%d, subchannel=1, state=open".formatted(sub1)), text);
            assertTrue(text.contains("Rel_ID=%d, subchannel=2, state=open".formatted(sub2)), text);
            assertEquals(2, text.split("primary=" + primary + "\n", -1).length - 1, text);
            assertTrue(text.contains("netvsc vmbus0: phase=up, MAC=00:15:5d:56:4d:01, link=up, MTU=1500, NVSP=6.1,"
                    + " backend=eventbus, queues=3"), text);
            for (int q = 0; q < 3; q++) {
                assertTrue(text.contains("queue %d (Rel_ID=%d): frames from host=".formatted(q,
                        queues.getJsonObject(q).getInteger("relid"))), text);
            }
            // the heartbeat and the other integration services are listed as before, with no NIC line
            assertTrue(text.contains("- heartbeat"), text);
            assertEquals(1, text.split("netvsc vmbus0:", -1).length - 1, text);
        }
    }

    /** A VM with two adapters ({@code host.nic.count} 2): each NIC is shown under its own primary, with its MAC. */
    @Test
    void lsShowsEachNicOfTwoUnderItsOwnChannel() throws Exception {
        JsonObject config = new JsonObject()
                .put("devices", new JsonObject().put("netvsc", new JsonObject().put("enabled", true)
                        .put("backend", "eventbus")))
                .put("host", new JsonObject().put("heartbeatIntervalMs", 60_000).put("nic", new JsonObject()
                        .put("enabled", true).put("backend", "loopback").put("count", 2)))
                .put("dashboard", new JsonObject().put("host", "127.0.0.1").put("port", 0));
        try (TestAgent agent = AgentInternals.start(Agent.builder(ConfigLoader.parse(config.encode(), "test")))) {
            JsonArray nics = await("two NICs up").atMost(20, TimeUnit.SECONDS).until(() ->
                    ((JsonObject) agent.vertx().eventBus().request("vmbus.device.netvsc.state", null)
                            .await(10, TimeUnit.SECONDS).body()).getJsonArray("nics", new JsonArray()),
                    n -> n.size() == 2 && n.stream().allMatch(x -> "up".equals(((JsonObject) x).getString("phase"))));
            String text = ls(agent);
            for (int k = 0; k < 2; k++) {
                JsonObject nic = nics.getJsonObject(k);
                String name = nic.getString("name");
                int relid = nic.getInteger("relid");
                // the NIC's line follows its own primary's channel lines, before the next channel's
                int channel = text.indexOf("VMBUS ID %2d: Class_ID".formatted(relid));
                int line = text.indexOf("netvsc " + name + ": phase=up, MAC=" + nic.getString("mac"));
                assertTrue(channel >= 0 && line > channel, text);
                int next = text.indexOf("VMBUS ID", channel + 1);
                assertTrue(next < 0 || line < next, name + " is not under relid " + relid + ":\n" + text);
            }
            assertTrue(text.contains("netvsc vmbus0:") && text.contains("netvsc vmbus1:"), text);
            assertTrue(text.contains("MAC=00:15:5d:56:4d:01") && text.contains("MAC=00:15:5d:56:4d:02"), text);
        }
    }

    /** What {@code vmbus ls --url} prints for the agent's dashboard; it must exit 0. */
    private static String ls(TestAgent agent) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String url = "http://127.0.0.1:" + AgentInternals.agent(agent).dashboardPort();
        int code = Vmbus.execute(new String[] {"ls", "--url", url}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text);
        return text;
    }
}
