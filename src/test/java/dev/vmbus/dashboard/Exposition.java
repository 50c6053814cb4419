package dev.vmbus.dashboard;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads Prometheus text exposition back into samples, so that tests check a series and its value whatever order
 * the writer puts labels in and however it spells a number ({@code 6}, {@code 6.0}, {@code 4.294967295E9}).
 * Parses exactly what the format allows in label values: {@code \\}, {@code \"} and {@code \n} escapes.
 */
public final class Exposition {
    private Exposition() {
    }

    /** Every sample: {@code name{label="value",...}} with labels in name order, to its value. */
    public static Map<String, Double> samples(String text) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            String name = brace < 0 ? line.substring(0, space) : line.substring(0, brace);
            Map<String, String> labels = new TreeMap<>();
            if (brace >= 0) {
                int i = brace + 1;
                while (line.charAt(i) != '}') {
                    int eq = line.indexOf('=', i);
                    String label = line.substring(i, eq);
                    StringBuilder value = new StringBuilder();
                    int k = eq + 2; // past ="
                    for (; line.charAt(k) != '"'; k++) {
                        char c = line.charAt(k);
                        if (c == '\\') {
                            char e = line.charAt(++k);
                            value.append(e == 'n' ? '\n' : e);
                        } else {
                            value.append(c);
                        }
                    }
                    labels.put(label, value.toString());
                    i = k + 1;
                    if (line.charAt(i) == ',') {
                        i++;
                    }
                }
            }
            out.put(key(name, labels), Double.parseDouble(line.substring(space + 1)));
        }
        return out;
    }

    /** The value of the series {@code name} with exactly these labels (pairs: name, value), or null. */
    public static Double value(String text, String name, String... labelPairs) {
        Map<String, String> labels = new TreeMap<>();
        for (int i = 0; i < labelPairs.length; i += 2) {
            labels.put(labelPairs[i], labelPairs[i + 1]);
        }
        return samples(text).get(key(name, labels));
    }

    /** Whether some series of {@code name} carries these labels (and perhaps more). */
    public static boolean has(String text, String name, String... labelPairs) {
        Map<String, String> wanted = new TreeMap<>();
        for (int i = 0; i < labelPairs.length; i += 2) {
            wanted.put(labelPairs[i], labelPairs[i + 1]);
        }
        for (String key : samples(text).keySet()) {
            if (!key.equals(name) && !key.startsWith(name + "{")) {
                continue;
            }
            boolean all = true;
            for (Map.Entry<String, String> w : wanted.entrySet()) {
                all &= key.contains(w.getKey() + "=" + quote(w.getValue()));
            }
            if (all) {
                return true;
            }
        }
        return false;
    }

    private static String key(String name, Map<String, String> labels) {
        if (labels.isEmpty()) {
            return name;
        }
        StringBuilder b = new StringBuilder(name).append('{');
        labels.forEach((k, v) -> b.append(b.charAt(b.length() - 1) == '{' ? "" : ",").append(k).append('=').append(quote(v)));
        return b.append('}').toString();
    }

    private static String quote(String v) {
        return "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}
