package dev.vmbus.dashboard;

import dev.vmbus.testkit.AgentInternals;
import dev.vmbus.testkit.TestAgent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.awaitility.core.ConditionTimeoutException;

import static org.awaitility.Awaitility.await;

/**
 * An HTTP client of the dashboard of an agent the kit's {@link TestAgent} started ({@link DashboardAgentConfig#start}):
 * GET and POST with a 10 s bound, host actions with the dashboard's generated token, and the wait until the API
 * shows every channel open. It owns only its client: the test closes the agent. Used from the test's thread.
 */
public final class DashboardClient implements AutoCloseable {
    private final DashboardServer dashboard;
    private final int channelCount;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private DashboardClient(DashboardServer dashboard, int channelCount) {
        this.dashboard = dashboard;
        this.channelCount = channelCount;
    }

    /** A client of {@code agent}'s dashboard, once the API shows its {@code channelCount} channels all open. */
    public static DashboardClient open(TestAgent agent, int channelCount) {
        DashboardClient client = new DashboardClient(AgentInternals.agent(agent).dashboard()
                .orElseThrow(() -> new IllegalStateException("the agent's dashboard is not enabled")), channelCount);
        try {
            client.awaitAllOpen();
            return client;
        } catch (RuntimeException | Error e) {
            client.close();
            throw e;
        }
    }

    /** The dashboard served: its port and generated token. */
    DashboardServer dashboard() {
        return dashboard;
    }

    public String base() {
        return "http://127.0.0.1:" + dashboard.port();
    }

    /** Waits until every channel is open with stats and every host device has negotiated. */
    void awaitAllOpen() {
        AtomicReference<String> last = new AtomicReference<>("");
        try {
            await("the " + channelCount + " channels all open").atMost(15 + channelCount / 10, TimeUnit.SECONDS)
                    .pollInterval(50, TimeUnit.MILLISECONDS).until(() -> allOpen(last));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("the " + channelCount + " channels never all opened: " + last.get(), e);
        }
    }

    private boolean allOpen(AtomicReference<String> last) throws Exception {
        HttpResponse<String> c = get("/api/channels");
        HttpResponse<String> h = get("/api/host");
        last.set(c.body() + " / " + h.body());
        if (c.statusCode() != 200 || h.statusCode() != 200) {
            return false;
        }
        JsonArray channels = new JsonArray(c.body());
        boolean open = channels.size() == channelCount && channels.stream().map(JsonObject.class::cast)
                .allMatch(ch -> "open".equals(ch.getString("state")) && ch.containsKey("stats"));
        return open && new JsonObject(h.body()).getJsonArray("devices").stream().map(JsonObject.class::cast)
                .allMatch(d -> "ready".equals(d.getString("phase")) || "nic".equals(d.getString("device"))
                        && "active".equals(d.getString("phase")));
    }

    public HttpResponse<String> get(String path, String... headers) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base() + path)).GET(), headers);
    }

    HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json"), headers);
    }

    /** POST with the dashboard's (generated) token. */
    HttpResponse<String> act(String action, JsonObject params) throws Exception {
        return post("/api/host/actions/" + action, params.encode(), "Authorization", "Bearer " + dashboard.token());
    }

    HttpResponse<String> send(HttpRequest.Builder request, String... headers) throws Exception {
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        http.shutdownNow();
    }
}
