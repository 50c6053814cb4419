package dev.vmbus.dashboard;

import dev.vmbus.agent.Agent;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.transport.shm.ShmProtocol;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.SocketAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 18 row 3 (a bug): the shm guest kept a {@code HostComplaints} of its own, so a host's {@code error} ops on
 * the control connection were rate-limited in the log but never reached {@code /metrics}. A host that sends three
 * of them must show as three in the agent's {@code vmbus_transport_host_complaints_total}.
 */
class TransportComplaintsMetricsTest {
    @TempDir
    Path tmp;
    private final Vertx hostVertx = Vertx.vertx();
    private Agent agent;

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        hostVertx.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void shmErrorOpsFromTheHostReachMetrics() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("shm"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        // a host that offers nothing and answers the guest's connection with three error ops
        NetServer server = hostVertx.createNetServer().connectHandler(socket -> {
            for (int i = 0; i < 3; i++) {
                socket.write(ShmProtocol.line(ShmProtocol.error("host-side trouble " + i)));
            }
        });
        server.listen(SocketAddress.domainSocketAddress(dir.resolve(ShmProtocol.CONTROL_SOCKET).toString()))
                .await(10, TimeUnit.SECONDS);
        Files.setPosixFilePermissions(dir.resolve(ShmProtocol.CONTROL_SOCKET), PosixFilePermissions.fromString("rw-------"));

        VmbusConfig config = ConfigLoader.parse(new JsonObject()
                .put("transport", new JsonObject().put("type", "shm").put("shmDir", dir.toString()))
                .put("dashboard", new JsonObject().put("enabled", true).put("port", 0).put("updateIntervalMs", 100))
                .encode(), "test");
        agent = Agent.builder(config).handlers(List.of()).start();

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest metrics = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.dashboardPort() + "/metrics"))
                .timeout(Duration.ofSeconds(5)).build();
        await("three bad_control_message complaints in /metrics").atMost(Duration.ofSeconds(20))
                .until(() -> Double.valueOf(3.0).equals(Exposition.value(http.send(metrics,
                        HttpResponse.BodyHandlers.ofString()).body(), "vmbus_transport_host_complaints_total", "reason",
                        "bad_control_message")));
        String text = http.send(metrics, HttpResponse.BodyHandlers.ofString()).body();
        assertEquals(3.0, Exposition.value(text, "vmbus_transport_host_complaints_total", "reason", "bad_control_message"),
                text);
    }
}
