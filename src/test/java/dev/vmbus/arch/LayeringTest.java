package dev.vmbus.arch;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layering contract of ../shared/DESIGN.md, checked on the main sources: each layer imports only layers below
 * it; the simulated host never imports guest handlers or the dashboard; the bus never imports a device class; the
 * ring, channel and IC layers know nothing of Vert.x. {@code config} is read by the layers that take settings and
 * imports none of them.
 */
class LayeringTest {
    private static final Map<String, Integer> ORDER = Map.of("ring", 0, "channel", 1, "transport", 2, "ic", 3,
            "runtime", 4, "bus", 5, "device", 6, "host", 7, "dashboard", 8, "cli", 9);
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?(dev\\.vmbus\\.(\\w+)|io\\.vertx)\\b",
            Pattern.MULTILINE);

    @Test
    void noPackageReachesUpwardOrAcrossAForbiddenLine() throws IOException {
        Path root = Path.of("src/main/java/dev/vmbus");
        List<String> violations = new ArrayList<>();
        int files;
        try (Stream<Path> all = Files.walk(root)) {
            List<Path> sources = all.filter(p -> p.toString().endsWith(".java")).toList();
            files = sources.size();
            for (Path p : sources) {
                String layer = root.relativize(p).getName(0).toString();
                Matcher m = IMPORT.matcher(Files.readString(p));
                while (m.find()) {
                    String why = forbidden(layer, m.group(2) != null ? m.group(2) : "io.vertx");
                    if (why != null) {
                        violations.add(root.relativize(p) + " imports " + m.group(1) + ": " + why);
                    }
                }
            }
        }
        assertTrue(files > 100, "found only " + files + " sources under " + root.toAbsolutePath());
        assertEquals(List.of(), violations);
    }

    /** Why {@code layer} may not import {@code other}, or null if it may. */
    static String forbidden(String layer, String other) {
        if (other.equals(layer)) {
            return null;
        }
        if (other.equals("io.vertx")) {
            return Set.of("ring", "channel", "ic").contains(layer) ? "this layer knows nothing of Vert.x" : null;
        }
        if (layer.equals("config")) {
            return "config imports no other layer";
        }
        if (other.equals("config")) {
            return null;
        }
        if (layer.equals("host") && (other.equals("device") || other.equals("dashboard"))) {
            return "the simulated host knows nothing of guest handlers or the dashboard";
        }
        if (layer.equals("bus") && other.equals("device")) {
            return "the bus knows no device class";
        }
        Integer mine = ORDER.get(layer);
        Integer theirs = ORDER.get(other);
        if (mine == null || theirs == null) {
            return "a package DESIGN.md does not list";
        }
        return theirs > mine ? "it is a layer above" : null;
    }

    @Test
    void theRuleItselfCatchesAnUpwardImport() {
        assertEquals("the simulated host knows nothing of guest handlers or the dashboard", forbidden("host", "dashboard"));
        assertEquals("it is a layer above", forbidden("ring", "channel"));
        assertEquals("this layer knows nothing of Vert.x", forbidden("ic", "io.vertx"));
        assertEquals(null, forbidden("dashboard", "host"));
        assertEquals(null, forbidden("cli", "device"));
    }
}
