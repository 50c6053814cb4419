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
 * {@code vmbus ls}: the channel table of a running agent, read from its API ({@code /api/channels}), in the shape
 * of {@code lsvmbus -vv} with the ring and counter figures Linux keeps in sysfs; a primary names its subchannels
 * and a subchannel its primary, and a synthetic NIC's primary channel shows the NIC ({@code /api/devices/netvsc}:
 * name, phase, MAC, link, MTU, NVSP version, backend, its queues with their frames each way).
 */
@Command(name = "ls", mixinStandardHelpOptions = true,
        header = "The channels of a running agent, like lsvmbus -vv.",
        description = "List the channels of a running agent, like lsvmbus -vv, with the ring and counter figures "
                + "Linux keeps in sysfs, each primary's subchannels, and on a synthetic NIC's primary the NIC "
                + "(phase, MAC, link, MTU, NVSP version, backend, frames per queue), from the agent's dashboard API.")
final class LsCommand implements Callable<Integer> {
    /** The synthetic NIC's device and class name. */
    private static final String NETVSC = dev.vmbus.channel.DeviceClass.NETVSC.name();

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
        URI uri = uri(base, "/api/channels");
        HttpResponse<String> response;
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build()) {
            response = client.send(request(uri), HttpResponse.BodyHandlers.ofString());
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
        JsonObject nics = hasNic(channels) ? nics(base) : new JsonObject();
        for (int i = 0; i < channels.size(); i++) {
            print(channels.getJsonObject(i), nics, out);
        }
        return 0;
    }

    private URI uri(String base, String path) {
        try {
            return URI.create(base.replaceAll("/+$", "") + path);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--url is not a URL: " + base);
        }
    }

    private HttpRequest request(URI uri) {
        String token = this.token != null ? this.token : System.getenv("VMBUS_DASHBOARD_TOKEN");
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return request.build();
    }

    private static boolean hasNic(JsonArray channels) {
        for (int i = 0; i < channels.size(); i++) {
            if (NETVSC.equals(channels.getJsonObject(i).getString("class"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The guest's NICs by relid of their primary channel, from the netvsc device's state; empty when the agent
     * does not give it (the device off, an error): the channels are listed anyway.
     */
    private JsonObject nics(String base) {
        JsonObject byRelid = new JsonObject();
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build()) {
            HttpResponse<String> r = client.send(request(uri(base, "/api/devices/" + NETVSC)),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return byRelid;
            }
            JsonArray list = new JsonObject(r.body()).getJsonArray("nics", new JsonArray());
            for (int i = 0; i < list.size(); i++) {
                if (list.getValue(i) instanceof JsonObject nic && nic.getValue("relid") instanceof Integer relid) {
                    byRelid.put(relid.toString(), nic);
                }
            }
        } catch (IOException | DecodeException | ClassCastException e) {
            return byRelid;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return byRelid;
    }

    private static void print(JsonObject c, JsonObject nics, PrintWriter out) {
        out.printf("VMBUS ID %2d: Class_ID = {%s} - %s%n", c.getInteger("relid"), c.getString("classId"), c.getString("class"));
        out.printf("\tDevice_ID = {%s}%n", c.getString("instanceId"));
        out.printf("\tRel_ID=%d, subchannel=%d, state=%s, ring=%d bytes per direction%n", c.getInteger("relid"),
                c.getInteger("subchannel"), c.getString("state"), c.getInteger("ringSize"));
        if (c.getValue("primary") != null) {
            out.printf("\tprimary=%s%n", c.getValue("primary"));
        }
        if (c.getJsonArray("subchannels") != null) {
            out.printf("\tsubchannels=%s%n", c.getJsonArray("subchannels").encode());
        }
        if (c.getString("reason") != null) {
            out.printf("\treason: %s%n", c.getString("reason"));
        }
        JsonObject nic = nics.getJsonObject(String.valueOf(c.getInteger("relid")));
        if (nic != null) {
            nic(nic, out);
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

    /** A NIC's line and one line per queue (figures each way: frames and bytes). */
    private static void nic(JsonObject n, PrintWriter out) {
        JsonArray queues = n.getJsonArray("queues", new JsonArray());
        out.printf("\tnetvsc %s: phase=%s, MAC=%s, link=%s, MTU=%s, NVSP=%s, backend=%s, queues=%d%n",
                n.getValue("name"), n.getValue("phase"), n.getValue("mac"), n.getValue("link"), n.getValue("mtu"),
                n.getValue("nvspVersion"), n.getValue("backend"), queues.size());
        if (n.getValue("failure") != null) {
            out.printf("\tnetvsc failure: %s%n", n.getValue("failure"));
        }
        for (int i = 0; i < queues.size(); i++) {
            if (!(queues.getValue(i) instanceof JsonObject q)) {
                continue;
            }
            out.printf("\tqueue %s (Rel_ID=%s): frames from host=%s (%s bytes), to host=%s (%s bytes)%n",
                    q.getValue("index"), q.getValue("relid"), q.getValue("framesFromHost"), q.getValue("bytesFromHost"),
                    q.getValue("framesToHost"), q.getValue("bytesToHost"));
        }
    }

    private static void ring(PrintWriter out, String name, JsonObject r) {
        out.printf("\t%s_intr_mask=%d %s_read_index=%d %s_write_index=%d %s_read_bytes_avail=%d %s_write_bytes_avail=%d"
                        + " pending_send_sz=%d fill=%.1f%%%n", name.trim(), r.getInteger("interruptMask"), name.trim(),
                r.getInteger("readIndex"), name.trim(), r.getInteger("writeIndex"), name.trim(), r.getInteger("bytesToRead"),
                name.trim(), r.getInteger("bytesToWrite"), r.getInteger("pendingSendSize"), r.getDouble("fillPercent"));
    }
}
