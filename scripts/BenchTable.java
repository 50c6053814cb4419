// Prints a Markdown table from a JMH JSON result of RingThroughputBenchmark (the consumer's aux counters).
// Usage: java -cp <classpath with jackson-databind> scripts/BenchTable.java target/bench/ring.json
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

void main(String[] args) throws Exception {
    JsonNode root = new ObjectMapper().readTree(new File(args[0]));
    // payloadBytes -> impl -> {messages/s, error, bytes/s, messages per poll, mean messages/s of each fork...}
    Map<Integer, Map<String, double[]>> rows = new TreeMap<>();
    for (JsonNode run : root) {
        JsonNode secondary = run.path("secondaryMetrics");
        if (!secondary.has("messages")) {
            continue;
        }
        int payload = run.path("params").path("payloadBytes").asInt();
        String impl = run.path("params").path("impl").asText();
        JsonNode messages = secondary.path("messages");
        JsonNode forks = messages.path("rawData");
        double[] r = new double[4 + forks.size()];
        r[0] = messages.path("score").asDouble();
        r[1] = messages.path("scoreError").asDouble(Double.NaN);
        r[2] = secondary.path("bytes").path("score").asDouble();
        r[3] = r[0] / secondary.path("consume").path("score").asDouble(Double.NaN);
        for (int f = 0; f < forks.size(); f++) {
            double sum = 0;
            for (JsonNode iteration : forks.get(f)) {
                sum += iteration.asDouble();
            }
            r[4 + f] = sum / forks.get(f).size();
        }
        rows.computeIfAbsent(payload, k -> new LinkedHashMap<>()).put(impl, r);
    }
    System.out.println();
    System.out.println("| payload | impl | messages/s | ± (99.9 %) | MB/s | GB/s | vs agrona | vs memcpy | msgs/poll | per fork, M msg/s |");
    System.out.println("|--------:|------|-----------:|-----------:|-----:|-----:|----------:|----------:|----------:|-------------------|");
    for (var row : rows.entrySet()) {
        double[] agrona = row.getValue().get("agrona");
        double[] memcpy = row.getValue().get("memcpy");
        for (String impl : new String[] {"vmbus", "agrona", "memcpy"}) {
            double[] r = row.getValue().get(impl);
            if (r == null) {
                continue;
            }
            StringBuilder forks = new StringBuilder();
            for (int f = 4; f < r.length; f++) {
                forks.append(f > 4 ? " / " : "").append(String.format("%.3f", r[f] / 1e6));
            }
            System.out.printf("| %s | %s | %,.0f | %,.0f | %,.0f | %.2f | %s | %s | %.2f | %s |%n", size(row.getKey()),
                    impl, r[0], r[1], r[2] / 1e6, r[2] / 1e9, ratio(r, agrona), ratio(r, memcpy), r[3], forks);
        }
    }
    System.out.println();
    System.out.println("MB = 10^6 B, GB = 10^9 B of payload; ratios compare messages/s (all forks) of the same run;");
    System.out.println("msgs/poll = messages per consume() call: below 1 the consumer spins on an empty ring.");
}

String ratio(double[] a, double[] b) {
    return b == null || b[0] == 0 ? "-" : String.format("%.2f", a[0] / b[0]);
}

String size(int bytes) {
    return bytes % 1024 == 0 ? bytes / 1024 + " KiB" : bytes + " B";
}
