package dev.vmbus.dashboard;

import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * One live-stream client: its own HttpClient (HTTP/1.1, so closing it closes the connection and the server sees
 * the client leave), the response lines read on a virtual thread into a queue.
 */
final class SseStream implements AutoCloseable {
    private static final String END = "\u0000end";
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final HttpResponse<Stream<String>> response;

    SseStream(String url, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).GET();
        if (headers.length > 0) {
            request.headers(headers);
        }
        try {
            response = client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofLines()).get(5, TimeUnit.SECONDS);
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
        StringBuilder out = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (String l; (l = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) != null && !l.equals(END); ) {
            out.append(l);
        }
        return out.toString();
    }

    /** The data of the next event named {@code name} that matches, or an AssertionError after {@code timeout}. */
    JsonObject next(String name, Duration timeout, Predicate<JsonObject> matches) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String event = null;
        while (true) {
            String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null || line.equals(END)) {
                throw new AssertionError("no matching '" + name + "' event within " + timeout
                        + (line == null ? "" : " (the stream ended)"));
            }
            if (line.startsWith("event: ")) {
                event = line.substring(7);
            } else if (line.startsWith("data: ") && name.equals(event)) {
                JsonObject data = new JsonObject(line.substring(6));
                if (matches.test(data)) {
                    return data;
                }
            } else if (line.isEmpty()) {
                event = null;
            }
        }
    }

    /** The next raw line (comments and fields included), or null after {@code timeout}. */
    String nextLine(Duration timeout) throws InterruptedException {
        return lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        client.shutdownNow();
    }
}
