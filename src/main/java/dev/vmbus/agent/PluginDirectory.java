package dev.vmbus.agent;

import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Supplier;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * A plug-in directory ({@code --plugins DIR}, {@code plugins.dir}, {@code /usr/lib/vmbus/plugins} in the package):
 * every {@code *.jar} in it, in name order, on one class loader of their own whose parent is the agent's, so that
 * {@link ServiceLoader} finds their {@code DevicePlugin}s and {@code HostPlugin}s beside the built-in ones whatever
 * launched the JVM ({@code java -jar} ignores {@code -cp}). A jar that cannot be read, or whose listed provider
 * cannot be loaded, stops start-up with a message naming the jar.
 *
 * <p>Threads: immutable once opened; the class loader stays open for the life of the process.
 */
public final class PluginDirectory {
    private final Path dir;
    private final List<Path> jars;
    private final ClassLoader loader;
    /** provider class name to the jar that lists it, for naming the jar in errors. */
    private final Map<String, Path> listedBy;

    private PluginDirectory(Path dir, List<Path> jars, ClassLoader loader, Map<String, Path> listedBy) {
        this.dir = dir;
        this.jars = jars;
        this.loader = loader;
        this.listedBy = listedBy;
    }

    /** No directory: the agent's own class loader. */
    public static PluginDirectory none() {
        return new PluginDirectory(null, List.of(), PluginDirectory.class.getClassLoader(), Map.of());
    }

    /**
     * Opens {@code dir}: every jar in it is read (its service lists too) before any class is loaded.
     *
     * @throws IllegalArgumentException naming the directory (missing, not a directory) or the jar that is broken
     */
    public static PluginDirectory open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("plug-in directory " + dir + (Files.exists(dir) ? " is not a directory"
                    : " does not exist"));
        }
        List<Path> jars;
        try (Stream<Path> list = Files.list(dir)) {
            jars = list.filter(p -> p.getFileName().toString().endsWith(".jar") && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            throw new IllegalArgumentException("plug-in directory " + dir + " cannot be read: " + e.getMessage(), e);
        }
        Map<String, Path> listedBy = new LinkedHashMap<>();
        List<URL> urls = new ArrayList<>();
        for (Path jar : jars) {
            readServices(jar, listedBy);
            try {
                urls.add(jar.toUri().toURL());
            } catch (MalformedURLException e) {
                throw new IllegalArgumentException("plug-in jar " + jar + ": " + e.getMessage(), e);
            }
        }
        ClassLoader loader = jars.isEmpty() ? PluginDirectory.class.getClassLoader()
                : new URLClassLoader("vmbus-plugins", urls.toArray(URL[]::new), PluginDirectory.class.getClassLoader());
        return new PluginDirectory(dir, jars, loader, Map.copyOf(listedBy));
    }

    /** Reads a jar's {@code META-INF/services/*} lists, or says why it cannot. */
    private static void readServices(Path jar, Map<String, Path> listedBy) {
        try (JarFile file = new JarFile(jar.toFile())) {
            for (JarEntry entry : java.util.Collections.list(file.entries())) {
                if (!entry.isDirectory() && entry.getName().startsWith("META-INF/services/")) {
                    try (InputStream in = file.getInputStream(entry)) {
                        for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                            String name = line.replaceFirst("#.*", "").trim();
                            if (!name.isEmpty()) {
                                listedBy.putIfAbsent(name, jar);
                            }
                        }
                    }
                }
            }
        } catch (IOException | SecurityException e) {
            throw new IllegalArgumentException("plug-in jar " + jar + " cannot be read: " + e.getMessage()
                    + " (is it a complete jar?)", e);
        }
    }

    /** The directory, or null for none. */
    public Path dir() {
        return dir;
    }

    /** The jars loaded, in name order. */
    public List<Path> jars() {
        return jars;
    }

    /** The class loader plug-ins are found with (the agent's when there are no jars). */
    public ClassLoader loader() {
        return loader;
    }

    /**
     * Runs {@code load} (a {@link ServiceLoader} pass over {@link #loader()}); a provider that cannot be loaded is
     * rethrown as an {@link IllegalArgumentException} naming the jar that lists it.
     */
    public <T> T load(Supplier<T> load) {
        try {
            return load.get();
        } catch (ServiceConfigurationError e) {
            throw new IllegalArgumentException(describe(e), e);
        } catch (IllegalStateException e) {
            if (e.getCause() instanceof ServiceConfigurationError sce) {
                throw new IllegalArgumentException(describe(sce), e);
            }
            throw e;
        } catch (LinkageError e) {
            throw new IllegalArgumentException("a plug-in in " + dir + " cannot be loaded: " + e, e);
        }
    }

    private String describe(ServiceConfigurationError e) {
        String message = String.valueOf(e.getMessage());
        Throwable cause = e.getCause();
        String detail = cause != null ? " (" + cause + ")" : "";
        for (Map.Entry<String, Path> listed : listedBy.entrySet()) {
            if (message.contains(listed.getKey())) {
                return "plug-in jar " + listed.getValue() + ": " + message + detail;
            }
        }
        return (dir != null ? "plug-in directory " + dir + ": " : "") + message + detail;
    }
}
