package dev.vmbus.device.vss;

import dev.vmbus.agent.Agent;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.host.IcHostDevice;
import dev.vmbus.host.VssHostDevice;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The agent is stopped (SIGTERM: a package upgrade, {@code systemctl restart}) while a backup's freeze is still
 * running, here one that takes 6 s (a busy file system syncing, a slow pre-freeze hook): the stop waits for the freeze
 * and thaws before the agent goes. The orderly close used to be cut off after 5 s, the freeze finished after it, and
 * nothing thawed: the file systems stayed frozen behind a dead agent (audit29 finding 3).
 */
@Tag("slow") // a freeze of 6 s
class VssStopTest {
    @TempDir
    Path tmp;

    @Test
    void aStopDuringASlowFreezeWaitsForItAndThaws() throws Exception {
        Path journal = tmp.resolve("journal");
        String j = journal.toString();
        JsonObject vss = new JsonObject().put("enabled", true).put("dryRun", false)
                .put("mounts", new JsonArray().add("/").add("/srv"))
                .put("freezeCommand", new JsonArray().add("sh").add("-c")
                        .add("echo start freeze $0 >> " + j + "; [ \"$0\" = / ] && sleep 6; echo freeze $0 >> " + j))
                .put("thawCommand", new JsonArray().add("sh").add("-c").add("echo thaw $0 >> " + j));
        Agent agent = Agent.builder(ConfigLoader.parse(new JsonObject()
                .put("devices", new JsonObject().put("vss", vss))
                .put("dashboard", new JsonObject().put("enabled", false)).encode(), "test")).start();
        VssHostDevice host = agent.simulatedHost().orElseThrow().device("vss", VssHostDevice.class);
        await("vss negotiated").atMost(15, TimeUnit.SECONDS).until(() -> host.phase() == IcHostDevice.Phase.READY);
        host.backup(); // its answer never comes: the agent stops under it
        await("the freeze of / under way").atMost(15, TimeUnit.SECONDS)
                .until(() -> Files.exists(journal) && Files.readAllLines(journal).contains("start freeze /"));

        agent.close();

        assertEquals(List.of("start freeze /srv", "freeze /srv", "start freeze /", "freeze /", "thaw /", "thaw /srv"),
                Files.readAllLines(journal), "the freeze finished, then both mounts thawed, before the agent went");
    }
}
