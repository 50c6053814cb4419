package dev.vmbus.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code vmbus ls}: the channel table of a running agent, read from its API, in the shape of {@code lsvmbus -vv}
 * with the ring and counter figures Linux keeps in sysfs.
 */
@Command(name = "ls", mixinStandardHelpOptions = true,
        header = "The channels of a running agent, like lsvmbus -vv.",
        description = "List the channels of a running agent, like lsvmbus -vv, with the ring and counter figures "
                + "Linux keeps in sysfs, from the agent's dashboard API.")
final class LsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--url", paramLabel = "URL", description = "The agent's dashboard (default: ${DEFAULT-VALUE}).")
    String url = "http://127.0.0.1:8080";

    @Option(names = "--token", paramLabel = "T", description = "The dashboard token (default: env VMBUS_DASHBOARD_TOKEN).")
    String token;

    @Option(names = "--json", description = "Print the API's JSON instead of the table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        int code = run(out);
        out.flush();
        return code;
    }

    private int run(PrintWriter out) throws Exception {
        String base = url;
        String token = this.token != null ? this.token : System.getenv("VMBUS_DASHBOARD_TOKEN");
        URI uri;
        try {
            uri = URI.create(base.replaceAll("/+$", "") + "/api/channels");
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--url is not a URL: " + base);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response;
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build()) {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("no vmbus agent answers at " + base + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() != null ? ": " + e.getMessage() : "") + "); is 'vmbus run' running with its dashboard?");
        }
        if (response.statusCode() == 401) {
            throw new IllegalStateException("the agent at " + base + " wants a token: --token or VMBUS_DASHBOARD_TOKEN");
        }
        if (response.statusCode() != 200) {
            throw new IllegalStateException("the agent at " + base + " answered " + response.statusCode() + ": " + response.body());
        }
        JsonArray channels;
        try {
            channels = new JsonArray(response.body());
        } catch (DecodeException e) {
            throw new IllegalStateException("the agent at " + base + " did not answer with a channel list");
        }
        if (json) {
            out.println(channels.encodePrettily());
            return 0;
        }
        for (int i = 0; i < channels.size(); i++) {
            print(channels.getJsonObject(i), out);
        }
        return 0;
    }

    private static void print(JsonObject c, PrintWriter out) {
        out.printf("VMBUS ID %2d: Class_ID = {%s} - %s%n", c.getInteger("relid"), c.getString("classId"), c.getString("class"));
        out.printf("\tDevice_ID = {%s}%n", c.getString("instanceId"));
        out.printf("\tRel_ID=%d, subchannel=%d, state=%s, ring=%d bytes per direction%n", c.getInteger("relid"),
                c.getInteger("subchannel"), c.getString("state"), c.getInteger("ringSize"));
        if (c.getString("reason") != null) {
            out.printf("\treason: %s%n", c.getString("reason"));
        }
        JsonObject s = c.getJsonObject("stats");
        if (s == null) {
            return;
        }
        ring(out, "in ", s.getJsonObject("inbound"));
        ring(out, "out", s.getJsonObject("outbound"));
        out.printf("\tinterrupts=%d events=%d intr_in_full=%d intr_out_empty=%d out_full_first=%d out_full_total=%d%n",
                s.getLong("interrupts"), s.getLong("events"), s.getLong("intr_in_full"), s.getLong("intr_out_empty"),
                s.getLong("out_full_first"), s.getLong("out_full_total"));
        out.printf("\tpackets in=%d out=%d, bytes in=%d out=%d, malformed=%d, requestor rejections=%d%n",
                s.getLong("packetsIn"), s.getLong("packetsOut"), s.getLong("bytesIn"), s.getLong("bytesOut"),
                s.getLong("malformed"), s.getLong("requestorRejected"));
    }

    private static void ring(PrintWriter out, String name, JsonObject r) {
        out.printf("\t%s_intr_mask=%d %s_read_index=%d %s_write_index=%d %s_read_bytes_avail=%d %s_write_bytes_avail=%d"
                        + " pending_send_sz=%d fill=%.1f%%%n", name.trim(), r.getInteger("interruptMask"), name.trim(),
                r.getInteger("readIndex"), name.trim(), r.getInteger("writeIndex"), name.trim(), r.getInteger("bytesToRead"),
                name.trim(), r.getInteger("bytesToWrite"), r.getInteger("pendingSendSize"), r.getDouble("fillPercent"));
    }
}
