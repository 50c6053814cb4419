// Tables for RingThroughputBenchmark results (JMH JSON), and merging of one-fork runs. Needs the test classpath
// (jackson-databind, and commons-math3 from jmh-core):
//   java -cp <cp> scripts/BenchTable.java [--paired] result.json      prints a Markdown table
//   java -cp <cp> scripts/BenchTable.java --merge out.json part.json...  one JMH result, parts' forks in order
// --paired: fork i of every impl ran in the same round (scripts/bench.sh ring-interleaved), so the ratio columns
// are the median of the per-round ratios, with their range, instead of the ratio of the means.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.math3.distribution.TDistribution;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;

static final ObjectMapper JSON = new ObjectMapper();
static final String[] IMPLS = {"vmbus", "agrona", "memcpy", "vmbus-xfer"};

void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--merge")) {
        merge(new File(args[1]), Arrays.copyOfRange(args, 2, args.length));
        return;
    }
    boolean paired = args[0].equals("--paired");
    table(JSON.readTree(new File(args[paired ? 1 : 0])), paired);
}

/** A result per (payload, impl): {messages/s, error, bytes/s, messages per poll}, and each fork's mean. */
record Row(double messages, double error, double bytes, double perPoll, double[] forks) {
}

void table(JsonNode root, boolean paired) {
    Map<Integer, Map<String, Row>> rows = new TreeMap<>();
    for (JsonNode run : root) {
        JsonNode secondary = run.path("secondaryMetrics");
        if (!secondary.has("messages")) {
            continue;
        }
        JsonNode messages = secondary.path("messages");
        JsonNode raw = messages.path("rawData");
        double[] forks = new double[raw.size()];
        for (int f = 0; f < forks.length; f++) {
            double sum = 0;
            for (JsonNode iteration : raw.get(f)) {
                sum += iteration.asDouble();
            }
            forks[f] = sum / raw.get(f).size();
        }
        double score = messages.path("score").asDouble();
        rows.computeIfAbsent(run.path("params").path("payloadBytes").asInt(), k -> new LinkedHashMap<>())
                .put(run.path("params").path("impl").asText(), new Row(score,
                        messages.path("scoreError").asDouble(Double.NaN), secondary.path("bytes").path("score").asDouble(),
                        score / secondary.path("consume").path("score").asDouble(Double.NaN), forks));
    }
    String ratios = paired ? "median (range) of per-round ratios" : "ratio of means";
    System.out.println();
    System.out.println("| payload | impl | messages/s | ± (99.9 %) | MB/s | GB/s | vs agrona | vs memcpy | msgs/poll | per fork, M msg/s |");
    System.out.println("|--------:|------|-----------:|-----------:|-----:|-----:|----------:|----------:|----------:|-------------------|");
    for (var row : rows.entrySet()) {
        for (String impl : IMPLS) {
            Row r = row.getValue().get(impl);
            if (r == null) {
                continue;
            }
            StringBuilder forks = new StringBuilder();
            for (int f = 0; f < r.forks().length; f++) {
                forks.append(f > 0 ? " / " : "").append(String.format("%.3f", r.forks()[f] / 1e6));
            }
            System.out.printf("| %s | %s | %,.0f | %,.0f | %,.0f | %.2f | %s | %s | %.2f | %s |%n", size(row.getKey()),
                    impl, r.messages(), r.error(), r.bytes() / 1e6, r.bytes() / 1e9,
                    ratio(r, row.getValue().get("agrona"), paired), ratio(r, row.getValue().get("memcpy"), paired),
                    r.perPoll(), forks);
        }
    }
    System.out.println();
    System.out.println("MB = 10^6 B, GB = 10^9 B of payload per second; ratios of messages/s: " + ratios + ";");
    System.out.println("msgs/poll = messages per consume() call: below 1 the consumer mostly finds the ring empty.");
}

String ratio(Row a, Row b, boolean paired) {
    if (b == null || a == b) {
        return a == b ? "1.00" : "-";
    }
    if (!paired || a.forks().length != b.forks().length) {
        return String.format("%.2f", a.messages() / b.messages());
    }
    double[] r = new double[a.forks().length];
    for (int i = 0; i < r.length; i++) {
        r[i] = a.forks()[i] / b.forks()[i];
    }
    Arrays.sort(r);
    double median = r.length % 2 == 1 ? r[r.length / 2] : (r[r.length / 2 - 1] + r[r.length / 2]) / 2;
    return String.format("%.2f (%.2f–%.2f)", median, r[0], r[r.length - 1]);
}

String size(int bytes) {
    return bytes % 1024 == 0 ? bytes / 1024 + " KiB" : bytes + " B";
}

/** Concatenates the forks of results with equal benchmark and params, in argument order, and redoes the stats. */
void merge(File out, String[] parts) throws Exception {
    Map<String, ObjectNode> merged = new LinkedHashMap<>();
    for (String part : parts) {
        for (JsonNode run : JSON.readTree(new File(part))) {
            String key = run.path("benchmark").asText() + run.path("params");
            ObjectNode into = merged.get(key);
            if (into == null) {
                merged.put(key, ((ObjectNode) run).deepCopy());
                continue;
            }
            into.put("forks", into.path("forks").asInt() + run.path("forks").asInt());
            append(into.withObjectProperty("primaryMetric"), run.path("primaryMetric"));
            run.path("secondaryMetrics").properties().forEach(e ->
                    append(into.withObjectProperty("secondaryMetrics").withObjectProperty(e.getKey()), e.getValue()));
        }
    }
    ArrayNode result = JSON.createArrayNode();
    for (ObjectNode run : merged.values()) {
        restat(run.withObjectProperty("primaryMetric"));
        run.withObjectProperty("secondaryMetrics").properties().forEach(e -> restat((ObjectNode) e.getValue()));
        result.add(run);
    }
    JSON.writerWithDefaultPrettyPrinter().writeValue(out, result);
}

void append(ObjectNode metric, JsonNode more) {
    more.path("rawData").forEach(fork -> metric.withArrayProperty("rawData").add(fork));
}

/** Score, 99.9 % confidence interval (Student's t, as JMH) and percentiles over all iterations of all forks. */
void restat(ObjectNode metric) {
    List<Double> all = new ArrayList<>();
    metric.path("rawData").forEach(fork -> fork.forEach(v -> all.add(v.asDouble())));
    DescriptiveStatistics stats = new DescriptiveStatistics();
    all.forEach(stats::addValue);
    double error = all.size() > 1
            ? new TDistribution(all.size() - 1).inverseCumulativeProbability(0.9995)
              * stats.getStandardDeviation() / Math.sqrt(all.size())
            : Double.NaN;
    metric.put("score", stats.getMean());
    metric.put("scoreError", error);
    metric.putArray("scoreConfidence").add(stats.getMean() - error).add(stats.getMean() + error);
    ObjectNode percentiles = metric.putObject("scorePercentiles");
    for (String p : new String[] {"0.0", "50.0", "90.0", "95.0", "99.0", "99.9", "99.99", "99.999", "99.9999", "100.0"}) {
        double q = Double.parseDouble(p);
        percentiles.put(p, q == 0 ? stats.getMin() : stats.getPercentile(q));
    }
}
