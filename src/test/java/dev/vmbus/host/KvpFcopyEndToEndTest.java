package dev.vmbus.host;

import dev.vmbus.agent.Agent;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.device.fcopy.FcopyHandler;
import dev.vmbus.device.kvp.KvpHandler;
import dev.vmbus.ic.kvp.KvpValue;
import dev.vmbus.testkit.AgentInternals;
import dev.vmbus.testkit.TestAgent;
import dev.vmbus.transport.OnContext;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The simulated host drives KVP and file copy against the real guest handlers, on sim and on shm. */
class KvpFcopyEndToEndTest {
    @TempDir
    Path dir;

    private Map<String, JsonObject> devices() {
        return Map.of(
                "kvp", new JsonObject().put("poolDir", dir.resolve("pools").toString()),
                "fcopy", new JsonObject().put("allowedRoots", new JsonArray().add(dir.resolve("root").toString()))
                        .put("maxFileBytes", 16 << 20));
    }

    /** The defaults on {@code transport} (shm in {@code shm}), without a dashboard. */
    static VmbusConfig config(String transport, Path shm) {
        return ConfigLoader.parse(new JsonObject()
                .put("transport", new JsonObject().put("type", transport).put("shmDir", String.valueOf(shm)))
                .put("dashboard", new JsonObject().put("enabled", false)).encode(), "test");
    }

    private Agent.Builder guest(VmbusConfig config) {
        return Agent.builder(config).handlers(List.of(new KvpHandler(), new FcopyHandler())).devices(devices());
    }

    @Test
    void onSim() throws Exception {
        try (TestAgent agent = AgentInternals.start(guest(config("sim", null)))) {
            scenario(AgentInternals.agent(agent).simulatedHost().orElseThrow());
        }
    }

    @Test
    void onShm() throws Exception {
        Path shm = Files.createDirectories(dir.resolve("shm"));
        try (Agent host = Agent.hostBuilder(config("shm", shm)).start();
             Agent agent = guest(config("shm", shm)).start()) {
            scenario(host.simulatedHost().orElseThrow());
        }
    }

    private static void awaitReady(SimulatedHost host, IcHostDevice device) {
        await(device.name() + " negotiated").atMost(10, TimeUnit.SECONDS).until(() ->
                OnContext.supply(host.context(), device::phase).await(5, TimeUnit.SECONDS) == IcHostDevice.Phase.READY);
    }

    private void scenario(SimulatedHost host) throws Exception {
        KvpHostDevice kvp = host.device("kvp", KvpHostDevice.class);
        FcopyHostDevice fcopy = host.device("fcopy", FcopyHostDevice.class);
        awaitReady(host, kvp);
        awaitReady(host, fcopy);

        kvp.set(0, "Greeting", "grüß dich").await(10, TimeUnit.SECONDS);
        kvp.set(0, "Counter", KvpValue.qword(-1)).await(10, TimeUnit.SECONDS);
        kvp.set(0, "Greeting", "hello").await(10, TimeUnit.SECONDS);
        assertEquals(List.of(new KvpHostDevice.Entry("Greeting", KvpValue.string("hello")),
                        new KvpHostDevice.Entry("Counter", KvpValue.string("18446744073709551615"))),
                kvp.getAll(0).await(10, TimeUnit.SECONDS));
        assertEquals(Optional.of(KvpValue.string("hello")), kvp.get(0, "Greeting").await(10, TimeUnit.SECONDS));
        assertEquals(Optional.of(KvpValue.string("hello")), kvp.getByKey(0, "Greeting").await(10, TimeUnit.SECONDS));
        assertEquals("IntegrationServicesVersion",
                kvp.enumerate(2, 1).await(10, TimeUnit.SECONDS).orElseThrow().key());
        assertEquals(Optional.empty(), kvp.enumerate(2, 10).await(10, TimeUnit.SECONDS));
        kvp.delete(0, "Greeting").await(10, TimeUnit.SECONDS);
        GuestStatusException missing = assertThrows(GuestStatusException.class,
                () -> kvp.delete(0, "Greeting").await(10, TimeUnit.SECONDS));
        assertEquals(0x80070103, missing.status().value());
        byte[] pool = Files.readAllBytes(dir.resolve("pools/.kvp_pool_0"));
        assertEquals(2560, pool.length);
        assertEquals("Counter", new String(pool, 0, 7, StandardCharsets.US_ASCII));

        Path root = dir.resolve("root");
        byte[] data = new byte[3 * 1024 * 1024 + 123];
        new Random(42).nextBytes(data);
        Path local = dir.resolve("local.bin");
        Files.write(local, data);
        FcopyHostDevice.CopyResult first = fcopy.copy(local, root + "/incoming", "first.bin", false, true)
                .await(60, TimeUnit.SECONDS);
        assertEquals(data.length, first.bytesSent());
        assertFalse(first.cancelled());
        assertArrayEquals(data, Files.readAllBytes(root.resolve("incoming/first.bin")));

        fcopy.progressHandler(sent -> {
            if (sent >= 1024 * 1024) {
                fcopy.cancel();
            }
        });
        FcopyHostDevice.CopyResult second = fcopy.copy(local, root + "/incoming", "second.bin", false, true)
                .await(60, TimeUnit.SECONDS);
        assertTrue(second.cancelled());
        assertTrue(second.bytesSent() >= 1024 * 1024 && second.bytesSent() < data.length, "cancelled midway");
        try (Stream<Path> files = Files.walk(root)) {
            assertEquals(List.of(root.resolve("incoming/first.bin")), files.filter(Files::isRegularFile).toList(),
                    "the cancelled copy left nothing, not even its temporary file");
        }
        GuestStatusException exists = assertThrows(GuestStatusException.class, () ->
                fcopy.copy(local, root + "/incoming", "first.bin", false, false).await(60, TimeUnit.SECONDS));
        assertEquals(0x80070050, exists.status().value());
    }
}
