package dev.vmbus.arch;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plug-in API, as docs/PLUGIN-SPI.md ("What a plug-in may use") lists it: {@code dev.vmbus.spi}, the data types
 * from lower layers that the SPI hands a device or takes from it ({@link #DATA_TYPES}, exactly the public types its
 * signatures reach), the constants of the ints it takes ({@link #CONSTANTS}), the simulated host's plug-in end
 * ({@link #HOST_END}) and, for tests, {@code dev.vmbus.testkit} with what the kit hands out ({@link #KIT_TYPES}).
 * The example plug-in (src/test/plugin-example), which docs/PLUGINS.md tells authors to start from, uses nothing
 * else: no {@code bus}, {@code runtime}, {@code agent} or transport internals.
 */
class PluginApiTest {
    /** The lower layers' types the SPI's and the host end's public signatures reach, transitively. */
    static final Set<String> DATA_TYPES = Set.of(
            "dev.vmbus.channel.Packet", "dev.vmbus.channel.Offer", "dev.vmbus.channel.HostComplaints",
            "dev.vmbus.ring.GpaRanges", "dev.vmbus.ring.TransferPageRanges",
            "dev.vmbus.transport.ChannelBuffer", "dev.vmbus.transport.GuestMemory", "dev.vmbus.transport.GuestPages",
            "dev.vmbus.config.TransportType", "dev.vmbus.config.VmbusConfig.Health",
            "dev.vmbus.ic.IcNegotiation.Negotiated", "dev.vmbus.ic.IcVersion");
    /** Where the values of the SPI's {@code int} packet types and flags are named. */
    static final Set<String> CONSTANTS = Set.of("dev.vmbus.ring.PacketType", "dev.vmbus.ring.PacketLayout");
    /** The simulated host's end of a plug-in's class ({@code host.offers}). */
    static final Set<String> HOST_END = Set.of("dev.vmbus.host.HostPlugin", "dev.vmbus.host.HostCounterpart",
            "dev.vmbus.host.HostLink", "dev.vmbus.host.CounterpartContext");
    /** Besides the kit itself, what a plug-in's test names of what the kit hands out. */
    static final Set<String> KIT_TYPES = Set.of("dev.vmbus.channel.ChannelState", "dev.vmbus.channel.EndReason",
            "dev.vmbus.transport.HostTransport.Buffers");

    /** The packages docs/PLUGIN-SPI.md names internal, which nothing the kit hands out may be of. */
    static final List<String> INTERNAL = List.of("dev.vmbus.bus.", "dev.vmbus.runtime.", "dev.vmbus.agent.");

    private static final Path EXAMPLE = Path.of("src/test/plugin-example/src");
    private static final Pattern NAME = Pattern.compile("\\bdev\\.vmbus(?:\\.[a-z]\\w*)+(?:\\.[A-Z]\\w*)?");
    private static final Pattern PACKAGE = Pattern.compile("(?m)^\\s*package\\s+([\\w.]+)\\s*;");

    @Test
    void theListedDataTypesAreExactlyWhatTheSpiAndTheHostEndHandOut() throws Exception {
        List<Class<?>> roots = new ArrayList<>();
        try (Stream<Path> spi = Files.list(Path.of("src/main/java/dev/vmbus/spi"))) {
            for (Path p : spi.filter(f -> f.toString().endsWith(".java")).toList()) {
                String simple = p.getFileName().toString().replace(".java", "");
                if (!simple.equals("package-info")) {
                    roots.add(Class.forName("dev.vmbus.spi." + simple));
                }
            }
        }
        for (String h : HOST_END) {
            roots.add(Class.forName(h));
        }
        Set<String> reached = reached(roots);
        reached.removeIf(n -> n.startsWith("dev.vmbus.spi.") || HOST_END.contains(n));
        assertEquals(new TreeSet<>(DATA_TYPES), reached,
                "the SPI's public signatures changed: update DATA_TYPES and docs/PLUGIN-SPI.md's list together");
    }

    @Test
    void theKitHandsOutTheTypesItsTestsMayName() throws Exception {
        List<Class<?>> roots = new ArrayList<>();
        try (Stream<Path> kit = Files.list(Path.of("src/testkit/java/dev/vmbus/testkit"))) {
            for (Path p : kit.filter(f -> f.toString().endsWith(".java")).toList()) {
                String simple = p.getFileName().toString().replace(".java", "");
                if (!simple.equals("package-info")) {
                    roots.add(Class.forName("dev.vmbus.testkit." + simple));
                }
            }
        }
        Set<String> reached = reached(roots);
        for (String t : KIT_TYPES) {
            assertTrue(reached.contains(t), t + " is not something the kit hands out");
        }
        List<String> internal = reached.stream().filter(n -> INTERNAL.stream().anyMatch(p -> n.startsWith(p))).toList();
        assertEquals(List.of(), internal, "the kit's public signatures reach the agent's internals: give the kit a"
                + " type of its own (as LifecycleEvent for bus.ChannelEvent)");
    }

    @Test
    void theExamplePlugInUsesOnlyThePlugInApi() throws IOException {
        List<String> violations = new ArrayList<>();
        int files = check(EXAMPLE.resolve("main/java"), deviceSide(), violations)
                + check(EXAMPLE.resolve("test/java"), testSide(), violations);
        assertTrue(files >= 6, "found only " + files + " sources under " + EXAMPLE.toAbsolutePath());
        assertEquals(List.of(), violations);
    }

    @Test
    void theCheckSeesInternalTypesImportedQualifiedOrByWildcard() {
        String source = """
                package org.example.ping;
                import dev.vmbus.bus.DeviceRegistry;
                import dev.vmbus.spi.Device;
                import dev.vmbus.channel.*;
                import dev.vmbus.config.VmbusConfig;
                import static dev.vmbus.ring.PacketType.COMP;
                // dev.vmbus.agent.Agent in a comment is no use
                class X { Object o = new dev.vmbus.runtime.Inbox(); Object t = org.example.ping.X.class; }
                """;
        assertEquals(List.of("dev.vmbus.bus.DeviceRegistry", "dev.vmbus.channel", "dev.vmbus.runtime.Inbox"),
                uses(source, deviceSide()));
        assertEquals(List.of("dev.vmbus.bus.DeviceRegistry", "dev.vmbus.channel", "dev.vmbus.runtime.Inbox"),
                uses(source.replace("org.example.ping", "dev.vmbus.example"), testSide()));
    }

    /** What a plug-in's own code may use besides {@code spi}. */
    private static Set<String> deviceSide() {
        Set<String> out = new TreeSet<>(DATA_TYPES);
        out.addAll(CONSTANTS);
        out.addAll(HOST_END);
        return out;
    }

    /** What its tests may use besides {@code spi} and {@code testkit}. */
    private static Set<String> testSide() {
        Set<String> out = deviceSide();
        out.addAll(KIT_TYPES);
        return out;
    }

    /** Checks every source under {@code root}; returns how many it read. */
    private static int check(Path root, Set<String> allowed, List<String> violations) throws IOException {
        int files = 0;
        try (Stream<Path> sources = Files.walk(root)) {
            for (Path p : sources.filter(f -> f.toString().endsWith(".java")).toList()) {
                files++;
                for (String name : uses(Files.readString(p), allowed)) {
                    violations.add(root.relativize(p) + " uses " + name + ", which is not in the plug-in API");
                }
            }
        }
        return files;
    }

    /**
     * The {@code dev.vmbus} names in {@code source}'s code (imports, qualified names, class names in strings) that
     * are outside its own package, {@code spi}, {@code testkit} (when {@code allowed} is the test side) and
     * {@code allowed}. A type in {@code allowed} may be reached through the type that encloses it.
     */
    static List<String> uses(String source, Set<String> allowed) {
        Matcher clause = PACKAGE.matcher(source);
        String own = clause.find() ? clause.group(1) : "";
        boolean test = allowed.containsAll(KIT_TYPES);
        List<String> out = new ArrayList<>();
        Matcher m = NAME.matcher(LayeringTest.code(source));
        while (m.find()) {
            String name = m.group();
            String layer = name.substring("dev.vmbus.".length()).split("\\.")[0];
            boolean api = layer.equals("spi") || (test && layer.equals("testkit")) || allowed.contains(name)
                    || (isType(name) && allowed.stream().anyMatch(a -> a.startsWith(name + ".")));
            if (!name.equals(own) && !name.startsWith(own + ".") && !api && !out.contains(name)) {
                out.add(name);
            }
        }
        return out;
    }

    /** {@code a.b.C} names a type, {@code a.b} a package. */
    private static boolean isType(String name) {
        return Character.isUpperCase(name.charAt(name.lastIndexOf('.') + 1));
    }

    /**
     * The public {@code dev.vmbus} types that the public constructors, methods, fields, supertypes and member types
     * of {@code roots} name, followed transitively, by canonical name.
     */
    private static Set<String> reached(List<Class<?>> roots) {
        Deque<Class<?>> todo = new ArrayDeque<>(roots);
        Set<Class<?>> done = new java.util.HashSet<>();
        Set<String> out = new TreeSet<>();
        while (!todo.isEmpty()) {
            Class<?> c = todo.poll();
            if (!done.add(c)) {
                continue;
            }
            List<Type> types = new ArrayList<>();
            for (Method m : c.getMethods()) {
                if (m.getDeclaringClass().getName().startsWith("dev.vmbus.")) {
                    types.add(m.getGenericReturnType());
                    types.addAll(List.of(m.getGenericParameterTypes()));
                }
            }
            for (Constructor<?> k : c.getConstructors()) {
                types.addAll(List.of(k.getGenericParameterTypes()));
            }
            for (Field f : c.getFields()) {
                types.add(f.getGenericType());
            }
            if (c.getGenericSuperclass() != null) {
                types.add(c.getGenericSuperclass());
            }
            types.addAll(List.of(c.getGenericInterfaces()));
            types.addAll(List.of(c.getClasses()));
            List<Class<?>> found = new ArrayList<>();
            types.forEach(t -> classes(t, found));
            for (Class<?> k : found) {
                if (Modifier.isPublic(k.getModifiers()) && k.getName().startsWith("dev.vmbus.")) {
                    out.add(k.getCanonicalName());
                    todo.add(k);
                }
            }
        }
        // a nested type goes with its enclosing type when that is reached too (ChannelBuffer.Kind), else stays alone
        // (VmbusConfig.Health: the rest of the configuration is no plug-in's business)
        out.removeIf(n -> out.stream().anyMatch(e -> n.startsWith(e + ".")));
        return out;
    }

    private static void classes(Type t, List<Class<?>> out) {
        if (t instanceof Class<?> k) {
            while (k.isArray()) {
                k = k.getComponentType();
            }
            out.add(k);
        } else if (t instanceof ParameterizedType p) {
            classes(p.getRawType(), out);
            for (Type a : p.getActualTypeArguments()) {
                classes(a, out);
            }
        } else if (t instanceof WildcardType w) {
            for (Type b : w.getUpperBounds()) {
                classes(b, out);
            }
            for (Type b : w.getLowerBounds()) {
                classes(b, out);
            }
        } else if (t instanceof GenericArrayType g) {
            classes(g.getGenericComponentType(), out);
        }
    }
}
