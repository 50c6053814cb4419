package dev.vmbus.dashboard;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.awaitility.core.ConditionTimeoutException;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * One live-stream client: its own HttpClient (HTTP/1.1, so closing it closes the connection and the server sees
 * the client leave), the response lines read on a virtual thread into a queue.
 */
final class SseStream implements AutoCloseable {
    private static final String END = "\u0000end";
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final Queue<String> lines = new ConcurrentLinkedQueue<>();
    private final HttpResponse<Stream<String>> response;

    SseStream(String url, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).GET();
        if (headers.length > 0) {
            request.headers(headers);
        }
        try {
            response = Future.fromCompletionStage(client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofLines()))
                    .await(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            client.shutdownNow();
            throw e;
        }
        Thread.ofVirtual().start(() -> {
            try (Stream<String> body = response.body()) {
                body.forEach(lines::add);
            } catch (RuntimeException e) {
                // closed under us
            } finally {
                lines.add(END);
            }
        });
    }

    int status() {
        return response.statusCode();
    }

    String header(String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    /** The whole body of a response that ends (an error), within a few seconds. */
    String body() throws InterruptedException {
        try {
            await("the end of the response").atMost(5, TimeUnit.SECONDS).until(() -> lines.contains(END));
        } catch (ConditionTimeoutException stillOpen) {
            // what came so far
        }
        StringBuilder out = new StringBuilder();
        for (String l; (l = lines.poll()) != null && !l.equals(END); ) {
            out.append(l);
        }
        return out.toString();
    }

    /** The data of the next event named {@code name} that matches, or an AssertionError after {@code timeout}. */
    JsonObject next(String name, Duration timeout, Predicate<JsonObject> matches) throws InterruptedException {
        String[] event = {null}; // the event the lines taken so far are in
        try {
            return await("a matching '" + name + "' event").atMost(timeout).until(() -> {
                for (String line; (line = lines.poll()) != null; ) {
                    if (line.equals(END)) {
                        throw new AssertionError("no matching '" + name + "' event within " + timeout
                                + " (the stream ended)");
                    }
                    if (line.startsWith("event: ")) {
                        event[0] = line.substring(7);
                    } else if (line.startsWith("data: ") && name.equals(event[0])) {
                        JsonObject data = new JsonObject(line.substring(6));
                        if (matches.test(data)) {
                            return data;
                        }
                    } else if (line.isEmpty()) {
                        event[0] = null;
                    }
                }
                return null;
            }, Objects::nonNull);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("no matching '" + name + "' event within " + timeout, e);
        }
    }

    /** The next raw line (comments and fields included), or null after {@code timeout}. */
    String nextLine(Duration timeout) throws InterruptedException {
        try {
            return await("the next line").atMost(timeout).until(lines::poll, Objects::nonNull);
        } catch (ConditionTimeoutException none) {
            return null;
        }
    }

    @Override
    public void close() {
        client.shutdownNow();
    }
}
