package dev.vmbus.host;

import dev.vmbus.agent.Agent;
import dev.vmbus.bus.Addresses;
import dev.vmbus.config.ConfigException;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.example.PingHandler;
import dev.vmbus.testkit.AgentInternals;
import dev.vmbus.testkit.TestAgent;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static dev.vmbus.host.PluginOfferWaits.awaitHostDevice;
import static dev.vmbus.host.PluginOfferWaits.awaitPingAnswered;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code host.offers[].recording}: the simulated host replays a recorded exchange (docs/PLUGINS.md) against a
 * plug-in's device, on {@code sim} and on {@code shm}: its own packets, the answers it checks byte for byte (the
 * guest's zero padding allowed), the guest's requests it answers; a guest that leaves the recording stops the replay
 * and says where; a re-offer replays it from the start; a bad file stops the host naming the file and the step.
 */
class RecordedExchangeTest {
    private static final UUID ECHO = PluginOffersTest.ECHO;

    @TempDir
    Path tmp;
    private Agent hostSide;
    private Agent agent;

    @AfterEach
    void stop() throws Exception {
        for (Agent a : new Agent[] {agent, hostSide}) {
            if (a != null) {
                a.close();
            }
        }
    }

    /** The ping device answers "PONG " + what it got: every kind of step, the last one's payload in hex. */
    private Path pingRecording() throws Exception {
        return write("ping.json", new JsonArray()
                .add(new JsonObject().put("send", "hello").put("expect", "PONG hello"))
                .add(new JsonObject().put("send", "x"))                                   // no wait: the next step does
                .add(new JsonObject().put("receive", "PONG x").put("reply", "y"))
                .add(new JsonObject().put("receive", "PONG y"))
                .add(new JsonObject().put("send", new JsonObject().put("hex", HexFormat.of()
                        .formatHex("z".getBytes(StandardCharsets.UTF_8)))).put("expect", "PONG z")));
    }

    /** The echo device sends back what it got, so step 2 cannot match: the replay stops there. */
    private Path echoRecording() throws Exception {
        return write("echo.json", new JsonArray()
                .add(new JsonObject().put("send", "one").put("expect", "one"))
                .add(new JsonObject().put("send", "two").put("expect", "three"))
                .add(new JsonObject().put("send", "never")));
    }

    private Path write(String name, JsonArray steps) throws Exception {
        Path file = tmp.resolve(name);
        Files.writeString(file, steps.encodePrettily());
        return file;
    }

    private VmbusConfig config(String transport) throws Exception {
        return ConfigLoader.parse(new JsonObject()
                .put("transport", new JsonObject().put("type", transport).put("shmDir", tmp.resolve("shm").toString()))
                .put("dashboard", new JsonObject().put("enabled", false))
                .put("host", new JsonObject().put("heartbeatIntervalMs", 60_000).put("offers", new JsonArray()
                        .add(new JsonObject().put("classId", PingHandler.CLASS_ID.toString())
                                .put("recording", pingRecording().toString()))
                        .add(new JsonObject().put("classId", ECHO.toString()).put("answer", "recording")
                                .put("recording", echoRecording().toString()))))
                .encode(), "test");
    }

    private Agent.Builder guest(VmbusConfig config) {
        return Agent.builder(config).handlers(List.of(new PingHandler(), new PluginOffersTest.Echo()))
                .devices(Map.of("ping", new JsonObject().put("enabled", true).put("prefix", "PONG "),
                        "echo", new JsonObject().put("enabled", true)));
    }

    @Test
    void onSim() throws Exception {
        try (TestAgent sim = AgentInternals.start(guest(config("sim")))) {
            scenario(AgentInternals.agent(sim).simulatedHost().orElseThrow(), sim.vertx());
        }
    }

    @Test
    void onShm() throws Exception {
        VmbusConfig config = config("shm");
        hostSide = Agent.hostBuilder(config).start();
        agent = guest(config).start();
        scenario(hostSide.simulatedHost().orElseThrow(), agent.vertx());
    }

    private void scenario(SimulatedHost host, Vertx guest) throws Exception {
        SimulatedHostControl control = new SimulatedHostControl(host);
        // the ping channel (relid 7): answered by the recording although the ping plug-in ships a host end
        JsonObject ping = awaitHostDevice(control, 7, d -> d.getBoolean("done", false));
        assertEquals("recording", ping.getString("counterpart"), ping.encode());
        assertEquals(5, ping.getInteger("steps"));
        assertEquals(5, ping.getInteger("stepsDone"));
        assertEquals(4, ping.getLong("matched"), "two answers and two requests, as recorded: " + ping.encode());
        assertEquals(4, ping.getLong("sent"), "hello, x, the reply y and z: " + ping.encode());
        assertEquals("PONG z", ping.getString("lastAnswer"));
        assertFalse(ping.containsKey("diverged"), ping.encode());
        awaitPingAnswered(guest, 4);

        // the echo channel (relid 8): the guest's second answer is not the recorded one
        JsonObject echo = awaitHostDevice(control, 8, d -> d.containsKey("diverged"));
        assertEquals("step 2: the guest answered 'two' to transaction 2, the recording has 'three'",
                echo.getString("diverged"));
        assertEquals(1, echo.getLong("matched"));
        assertEquals(1, echo.getInteger("stepsDone"));
        assertFalse(echo.getBoolean("done"));
        assertEquals(2, echo.getLong("sent"), "the step after the divergence is never sent: " + echo.encode());
        assertFalse(echo.getBoolean("echo"), "a recording does not echo unless told");

        // a re-offer opens the channel again and the recording is replayed from its start
        control.act("reoffer", new JsonObject().put("relid", 7)).await(10, TimeUnit.SECONDS);
        JsonObject again = awaitHostDevice(control, 7, d -> d.getLong("replays") == 2 && d.getBoolean("done", false));
        assertEquals(8, again.getLong("matched"), again.encode());
        awaitPingAnswered(guest, 8);
    }

    @Test
    void aBadRecordingStopsTheHostNamingTheFileAndTheStep() throws Exception {
        Path missing = tmp.resolve("missing.json");
        assertTrue(badRecording(missing, 16384).startsWith("host.offers[0]: recording " + missing + " cannot be read"));
        assertTrue(badRecording(raw("{ \"send\": 1 }"), 16384).contains(" is not a JSON array of steps: "));
        assertTrue(badRecording(raw("[ ]"), 16384).endsWith(" has no steps"));
        assertEquals("host.offers[0]: recording " + tmp.resolve("r.json") + " step 2 must have either send (the host's"
                + " packet) or receive (the guest's), not both",
                badRecording(raw("[ {\"send\": \"a\"}, {\"send\": \"b\", \"receive\": \"c\"} ]"), 16384));
        assertTrue(badRecording(raw("[ {\"receive\": \"a\", \"expect\": \"b\"} ]"), 16384)
                .endsWith("step 1: unknown key 'expect' (a receive step knows [receive, reply])"));
        assertTrue(badRecording(raw("[ 5 ]"), 16384).endsWith("step 1 must be an object with send (and expect) or"
                + " receive (and reply)"));
        assertTrue(badRecording(raw("[ {\"send\": {\"hex\": \"0g\"}} ]"), 16384).contains("step 1: send.hex is not hex"));
        assertTrue(badRecording(raw("[ {\"send\": 7} ]"), 16384).endsWith("step 1: send must be a string (UTF-8) or"
                + " {\"hex\": \"...\"}"));
        assertTrue(badRecording(raw("[ {\"send\": \"\"} ]"), 16384).endsWith("step 1: send is empty (a packet carries"
                + " at least one byte)"));
        String big = "a".repeat(4096);
        assertTrue(badRecording(raw("[ {\"send\": \"a\", \"expect\": \"" + big + "\"} ]"), 8192).endsWith("step 1:"
                + " expect is 4096 bytes, which take 4120 ring bytes, and a ring of 8192 bytes holds 4096 bytes of data"
                + " (offer the class with a larger ringSize)"));
    }

    private Path raw(String text) throws Exception {
        Path file = tmp.resolve("r.json");
        Files.writeString(file, text);
        return file;
    }

    private static String badRecording(Path file, int ringSize) {
        VmbusConfig.Host h = ConfigLoader.parse(new JsonObject().put("host", new JsonObject().put("offers", new JsonArray()
                .add(new JsonObject().put("classId", ECHO.toString()).put("recording", file.toString())
                        .put("ringSize", ringSize)))).encode(), "test").host();
        Vertx vertx = Vertx.vertx();
        try {
            return assertThrows(IllegalArgumentException.class, () -> new SimulatedHost(vertx, null, h)).getMessage();
        } finally {
            vertx.close();
        }
    }

    @Test
    void theConfigurationSaysWhenARecordingCannotBeMeant() {
        assertEquals("test: host.offers[0]: \"answer\": \"recording\" needs \"recording\": the file of the exchange"
                + " to replay", badOffer(new JsonObject().put("answer", "recording")));
        assertEquals("test: host.offers[0]: recording is replayed only with \"answer\": \"recording\" (or no answer),"
                + " not with \"script\"", badOffer(new JsonObject().put("answer", "script").put("recording", "r.json")));
        assertEquals("test: host.offers[0]: send is the script's; a recording sends what its file says (leave send out)",
                badOffer(new JsonObject().put("recording", "r.json").put("send", new JsonArray().add("a"))));
        assertEquals("test: host.offers[0].recording must be a file's path", badOffer(new JsonObject().put("recording", " ")));
    }

    private static String badOffer(JsonObject offer) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.parse(new JsonObject().put("host",
                new JsonObject().put("offers", new JsonArray().add(offer.put("classId", ECHO.toString())))).encode(),
                "test")).getMessage();
    }

    @Test
    void anAnswerMatchesTheRecordingPaddedToEightBytesAndNothingElse() {
        byte[] recorded = "PONG hello".getBytes(StandardCharsets.UTF_8);
        byte[] padded = java.util.Arrays.copyOf(recorded, 16);
        assertTrue(ScriptedCounterpart.matches(padded, recorded));
        assertFalse(ScriptedCounterpart.matches(recorded, recorded), "a ring payload is always whole 8-byte units");
        assertFalse(ScriptedCounterpart.matches(java.util.Arrays.copyOf(recorded, 24), recorded), "one unit too many");
        padded[12] = 1;
        assertFalse(ScriptedCounterpart.matches(padded, recorded), "the padding must be zeros");
    }
}
