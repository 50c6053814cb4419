package dev.vmbus.agent;

import dev.vmbus.bus.DeviceRegistry;
import dev.vmbus.config.TransportType;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A plug-in directory: a device plug-in found only in a jar there (compiled here, so it is on no class path) is
 * loaded by ServiceLoader in the directory's own class loader; a broken jar, or one listing a provider that is not
 * there, stops start-up naming the jar.
 */
class PluginDirectoryTest {
    private static final UUID CLASS = UUID.fromString("0d0d0d0d-0000-4000-8000-0000000d1e00");

    @TempDir
    Path tmp;

    @Test
    void aPluginOnlyInTheDirectoryIsFoundInAClassLoaderOfItsOwn() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("plugins"));
        Path classes = compile("""
                package org.example.outside;
                import dev.vmbus.spi.*;
                import java.util.*;
                public final class Outside implements DevicePlugin<NoSettings> {
                    public String name() { return "outside"; }
                    public List<UUID> classIds() { return List.of(UUID.fromString("%s")); }
                    public NoSettings settings(DeviceContext c) { return NoSettings.of(c); }
                    public Device device(NoSettings s, DeviceContext c) {
                        return p -> io.vertx.core.Future.succeededFuture(Reply.none());
                    }
                }
                """.formatted(CLASS));
        jar(dir.resolve("outside.jar"), Map.of("org/example/outside/Outside.class",
                        Files.readAllBytes(classes.resolve("org/example/outside/Outside.class")),
                "META-INF/services/dev.vmbus.spi.DevicePlugin", "org.example.outside.Outside\n".getBytes(StandardCharsets.UTF_8)));
        Files.writeString(dir.resolve("README.txt"), "not a jar: ignored");

        PluginDirectory plugins = PluginDirectory.open(dir);
        assertEquals(1, plugins.jars().size());
        DeviceRegistry registry = plugins.load(() -> DeviceRegistry.load(
                Map.of("outside", new JsonObject().put("enabled", true)), TransportType.SIM, plugins.loader()));
        assertTrue(registry.forClass(CLASS).isPresent(), "the plug-in in the directory was not found");
        assertTrue(registry.handler("heartbeat").isPresent(), "the built-in handlers are still found");
        assertFalse(DeviceRegistry.load(Map.of(), TransportType.SIM).handler("outside").isPresent(),
                "the agent's own class loader does not see the directory's jars");
    }

    @Test
    void aBrokenJarIsNamed() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("plugins"));
        Files.writeString(dir.resolve("broken.jar"), "this is not a zip file");
        var e = assertThrows(IllegalArgumentException.class, () -> PluginDirectory.open(dir));
        assertTrue(e.getMessage().startsWith("plug-in jar " + dir.resolve("broken.jar") + " cannot be read: "), e.getMessage());
    }

    @Test
    void aJarListingAProviderThatIsNotThereIsNamed() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("plugins"));
        jar(dir.resolve("missing.jar"), Map.of("META-INF/services/dev.vmbus.spi.DevicePlugin",
                "org.example.Missing\n".getBytes(StandardCharsets.UTF_8)));
        PluginDirectory plugins = PluginDirectory.open(dir);
        var e = assertThrows(IllegalArgumentException.class, () -> plugins.load(
                () -> DeviceRegistry.load(Map.of(), TransportType.SIM, plugins.loader())));
        assertTrue(e.getMessage().startsWith("plug-in jar " + dir.resolve("missing.jar") + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("org.example.Missing"), e.getMessage());
    }

    @Test
    void aMissingDirectoryIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> PluginDirectory.open(tmp.resolve("nowhere")));
        assertEquals("plug-in directory " + tmp.resolve("nowhere") + " does not exist", e.getMessage());
    }

    private Path compile(String source) throws IOException {
        Path src = Files.createDirectories(tmp.resolve("src/org/example/outside")).resolve("Outside.java");
        Files.writeString(src, source);
        Path out = Files.createDirectories(tmp.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "-proc:none", "-d", out.toString(), "-cp", System.getProperty("java.class.path"),
                src.toString());
        assertEquals(0, rc, "javac failed");
        return out;
    }

    private static void jar(Path to, Map<String, byte[]> entries) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(to))) {
            for (var e : entries.entrySet()) {
                out.putNextEntry(new JarEntry(e.getKey()));
                out.write(e.getValue());
                out.closeEntry();
            }
        }
    }
}
