package dev.vmbus.arch;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static java.util.Map.entry;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layering contract of ../shared/DESIGN.md, checked on the main sources: each layer uses only layers below
 * it, by import or by a fully qualified name in the code; sub-packages are checked too (nothing outside
 * {@code transport} reaches into one transport, nothing but the composition root and the commands into uio's
 * administration; inside one top-level package a sub-package uses only the packages it sits in, never a sibling nor
 * its own sub-packages, so no device class, service codec or transport knows another); the simulated host never
 * uses the guest's devices, bus or dashboard; the bottom layers know nothing of Vert.x; only {@code os} makes
 * native calls.
 */
class LayeringTest {
    /** DESIGN.md's table, bottom up. Equal ranks are peers and may not use each other. */
    private static final Map<String, Integer> ORDER = Map.ofEntries(entry("ring", 0), entry("channel", 1),
            entry("config", 2), entry("os", 3), entry("transport", 4), entry("ic", 5), entry("net", 5),
            entry("runtime", 6), entry("spi", 7), entry("bus", 8), entry("device", 9), entry("host", 9),
            entry("dashboard", 10), entry("systemd", 11), entry("agent", 12), entry("bench", 13), entry("cli", 14), entry("testkit", 15));
    private static final Set<String> NO_VERTX = Set.of("ring", "channel", "config", "os", "ic", "net");
    /** The layers that put a transport together and so may name one: the composition root, commands, harness. */
    private static final Set<String> WIRING = Set.of("agent", "cli", "bench");
    private static final Pattern REFERENCE = Pattern.compile("\\b(dev\\.vmbus(?:\\.[a-z]\\w*)+)|\\b(io\\.vertx)\\b"
            + "|\\b(Linker)\\.(?:nativeLinker|Option)");

    /**
     * Uses that break the rules, as "file uses package": issue 18's consolidation moved the last of them, so it is
     * empty and stays so (never add an entry: move the use to its layer). The test fails when an entry is no longer
     * needed.
     */
    private static final Set<String> NOT_YET_MOVED = Set.of();

    /**
     * The uses inside one top-level package that the sub-package rule refuses but the code needs, as "from -> to",
     * each with its reason. The test fails when an entry is no longer used.
     */
    private static final Set<String> SUB_PACKAGE_USES = Set.of(
            // The simulated host is put together in host: SimulatedHost makes the NIC's host end (in a package of
            // its own for its size) and offers its channels as it does every service's, and SimulatedHostControl
            // turns its fault knobs for the dashboard; host.nic in turn builds on host's channel ends.
            "host -> host.nic");

    @Test
    void noPackageReachesUpwardOrAcrossAForbiddenLine() throws IOException {
        Path root = Path.of("src/main/java/dev/vmbus");
        List<String> violations = new ArrayList<>();
        Set<String> stillKnown = new TreeSet<>(NOT_YET_MOVED);
        Set<String> used = new TreeSet<>();
        int files;
        // the test kit has a source root of its own (src/testkit/java), ranked and checked like main's packages
        Path kitRoot = Path.of("src/testkit/java/dev/vmbus");
        try (Stream<Path> main = Files.walk(root); Stream<Path> kit = Files.walk(kitRoot)) {
            List<Path> sources = Stream.concat(main, kit).filter(p -> p.toString().endsWith(".java")).toList();
            files = sources.size();
            for (Path p : sources) {
                // a file's name below dev/vmbus, whichever source root holds it
                Path name = p.startsWith(kitRoot) ? kitRoot.relativize(p) : root.relativize(p);
                String from = packageOf(name);
                Matcher m = REFERENCE.matcher(code(Files.readString(p)));
                Set<String> seen = new TreeSet<>();
                while (m.find()) {
                    String target = m.group(1) != null ? packageName(m.group(1).substring("dev.vmbus.".length()))
                            : m.group(2) != null ? "io.vertx" : "native";
                    String why = forbidden(from, target);
                    used.add(from + " -> " + target);
                    String use = name + " uses " + target;
                    if (why != null && seen.add(target) && !stillKnown.remove(use)) {
                        violations.add(use + ": " + why);
                    }
                }
            }
        }
        assertTrue(files > 100, "found only " + files + " sources under " + root.toAbsolutePath());
        assertEquals(List.of(), violations);
        assertEquals(Set.of(), stillKnown, "fixed: take these out of NOT_YET_MOVED");
        Set<String> unused = new TreeSet<>(SUB_PACKAGE_USES);
        unused.removeAll(used);
        assertEquals(Set.of(), unused, "no longer used: take these out of SUB_PACKAGE_USES");
    }

    /** Why package {@code from} (relative to dev.vmbus, dotted) may not use {@code to}, or null if it may. */
    static String forbidden(String from, String to) {
        String layer = top(from);
        if (to.equals("native")) {
            return layer.equals("os") ? null : "native calls live in os";
        }
        if (to.equals("io.vertx")) {
            return NO_VERTX.contains(layer) ? "this layer knows nothing of Vert.x" : null;
        }
        String other = top(to);
        if (from.equals(to)) {
            return null;
        }
        if (layer.equals(other)) {
            return inside(from, to);
        }
        if (layer.equals("config")) {
            return "config uses no other layer";
        }
        if (layer.equals("host") && Set.of("device", "dashboard", "bus", "spi").contains(other)) {
            return "the simulated host knows nothing of the guest's devices, bus or dashboard";
        }
        if (layer.equals("bus") && other.equals("device")) {
            return "the bus knows no device class";
        }
        if (other.equals("transport") && !to.equals("transport") && !layer.equals("transport")) {
            boolean admin = to.startsWith("transport.uio.admin");
            boolean mayName = WIRING.contains(layer) || (layer.equals("host") && !to.startsWith("transport.uio"));
            if (!mayName) {
                return admin ? "only the commands and the composition root use uio's administration"
                        : "only the wiring layers name a transport; the rest see dev.vmbus.transport";
            }
        }
        Integer mine = ORDER.get(layer);
        Integer theirs = ORDER.get(other);
        if (mine == null || theirs == null) {
            return "a package DESIGN.md does not list";
        }
        if (theirs > mine) {
            return "it is a layer above";
        }
        return theirs.equals(mine) ? "peers do not use each other" : null;
    }

    /**
     * Why {@code from} may not use {@code to}, two packages of one top-level package, or null if it may: a
     * sub-package builds on the packages it sits in (device.kvp on device, transport.uio.admin on transport.uio),
     * not on a sibling nor on its own sub-packages, but for {@link #SUB_PACKAGE_USES}.
     */
    private static String inside(String from, String to) {
        if (from.startsWith(to + ".") || SUB_PACKAGE_USES.contains(from + " -> " + to)) {
            return null;
        }
        if (to.startsWith(from + ".")) {
            return "a package knows nothing of its sub-packages";
        }
        return top(from).equals("device") ? "device classes know nothing of each other"
                : "sibling sub-packages know nothing of each other";
    }

    @Test
    void theRuleItselfCatchesUpwardSidewaysAndNativeUses() {
        assertEquals("the simulated host knows nothing of the guest's devices, bus or dashboard",
                forbidden("host", "dashboard"));
        assertEquals("it is a layer above", forbidden("ring", "channel"));
        assertEquals("this layer knows nothing of Vert.x", forbidden("ic", "io.vertx"));
        assertEquals("only the wiring layers name a transport; the rest see dev.vmbus.transport",
                forbidden("bus", "transport.uio"));
        assertEquals("only the commands and the composition root use uio's administration",
                forbidden("dashboard", "transport.uio.admin"));
        assertEquals("device classes know nothing of each other", forbidden("device.kvp", "device.timesync"));
        assertEquals("native calls live in os", forbidden("device.timesync", "native"));
        assertEquals("peers do not use each other", forbidden("ic", "net"));
        assertNull(forbidden("dashboard", "host"));
        assertNull(forbidden("cli", "device.kvp"));
        assertNull(forbidden("device.kvp", "device"));
        assertNull(forbidden("os", "native"));
    }

    @Test
    void subPackagesOfOnePackageAreCheckedAgainstEachOther() {
        String sibling = "sibling sub-packages know nothing of each other";
        String parent = "a package knows nothing of its sub-packages";
        String[][] refused = {{"transport.sim", "transport.shm", sibling}, {"transport.shm", "transport.uio", sibling},
                {"ic.kvp", "ic.vss", sibling}, {"transport", "transport.sim", parent},
                {"transport.uio", "transport.uio.admin", parent}, {"ic", "ic.kvp", parent},
                {"device.kvp", "device.vss", "device classes know nothing of each other"},
                {"device.kvp", "host", "peers do not use each other"}};
        for (String[] r : refused) {
            assertEquals(r[2], forbidden(r[0], r[1]), r[0] + " -> " + r[1]);
        }
        // a sub-package builds on the packages it sits in; host -> host.nic is SUB_PACKAGE_USES' one entry
        String[][] allowed = {{"host.nic", "host"}, {"transport.uio.admin", "transport"}, {"ic.kvp", "ic"},
                {"host", "host.nic"}};
        for (String[] a : allowed) {
            assertNull(forbidden(a[0], a[1]), a[0] + " -> " + a[1]);
        }
    }

    @Test
    void fullyQualifiedNamesInTheCodeAndInStringsAreSeenAndCommentsAreNot() {
        String source = """
                package dev.vmbus.ring;
                /** See {@link dev.vmbus.channel.VmbusChannel}. */
                class X { Object f = new dev.vmbus.channel.Offer(); // dev.vmbus.bus.Nothing
                  String s = "runs dev.vmbus.cli.Vmbus"; char q = '"'; String u = "http://x/"; int n = dev.vmbus.os.Y.N;
                  String t = \"""
                      dev.vmbus.agent.Agent\""";
                  /* dev.vmbus.bus.Other */ }
                """;
        Matcher m = REFERENCE.matcher(code(source));
        List<String> found = new ArrayList<>();
        while (m.find()) {
            found.add(m.group(1));
        }
        assertEquals(List.of("dev.vmbus.ring", "dev.vmbus.channel", "dev.vmbus.cli", "dev.vmbus.os", "dev.vmbus.agent"),
                found);
    }

    private static String top(String pkg) {
        int dot = pkg.indexOf('.');
        return dot < 0 ? pkg : pkg.substring(0, dot);
    }

    /** {@code a/b/C.java} → {@code a.b}. */
    private static String packageOf(Path relative) {
        Path parent = relative.getParent();
        return parent == null ? "" : parent.toString().replace('/', '.');
    }

    /** The package part of a dotted name: segments up to the first one that starts with a capital. */
    private static String packageName(String dotted) {
        StringBuilder b = new StringBuilder();
        for (String s : dotted.split("\\.")) {
            if (s.isEmpty() || Character.isUpperCase(s.charAt(0))) {
                break;
            }
            b.append(b.isEmpty() ? "" : ".").append(s);
        }
        return b.toString();
    }

    /** Comments, text blocks, string and character literals, in one left-to-right pass (so "//" in a string is no comment). */
    private static final Pattern NOT_CODE = Pattern.compile("(?s)/\\*.*?\\*/|//[^\\n]*|\"\"\".*?\"\"\""
            + "|\"(?:\\\\.|[^\"\\\\\\n])*\"|'(?:\\\\.|[^'\\\\\\n])*'");
    private static final Pattern NAME_IN_TEXT = Pattern.compile("\\bdev\\.vmbus(?:\\.\\w+)+");

    /**
     * The source as the rule sees it: comments go; a string or text block goes too, but every {@code dev.vmbus.*}
     * name in it stays, as code, since a class named in a string (to load it, or to run it in another JVM) is a use.
     */
    static String code(String source) {
        return NOT_CODE.matcher(source).replaceAll(r -> {
            String text = r.group();
            if (text.startsWith("/")) {
                return " ";
            }
            StringBuilder kept = new StringBuilder("\"\"");
            Matcher names = NAME_IN_TEXT.matcher(text);
            while (names.find()) {
                kept.append(' ').append(names.group());
            }
            return Matcher.quoteReplacement(kept.toString());
        });
    }
}
