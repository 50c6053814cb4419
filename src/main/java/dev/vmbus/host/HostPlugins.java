package dev.vmbus.host;


import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.UUID;

/** The host counterparts plug-ins ship ({@link HostPlugin}, found with {@link ServiceLoader}), by class. */
public final class HostPlugins {
    private HostPlugins() {
    }

    /**
     * Every {@link HostPlugin} {@code loader} sees.
     *
     * @throws IllegalStateException naming the provider that cannot be loaded
     */
    public static List<HostPlugin> load(ClassLoader loader) {
        List<HostPlugin> found = new ArrayList<>();
        try {
            ServiceLoader.load(HostPlugin.class, loader).forEach(found::add);
        } catch (ServiceConfigurationError e) {
            throw new IllegalStateException("a host counterpart (HostPlugin) cannot be loaded: " + e.getMessage(), e);
        }
        return found;
    }

    /** The counterparts by class; two claiming one class stop start-up. */
    static Map<UUID, HostPlugin> byClass(List<HostPlugin> plugins) {
        Map<UUID, HostPlugin> out = new LinkedHashMap<>();
        for (HostPlugin p : plugins) {
            for (UUID classId : p.classIds()) {
                HostPlugin other = out.putIfAbsent(classId, p);
                if (other != null && other != p) {
                    throw new IllegalStateException("class " + classId + " has two host counterparts: '" + other.name()
                            + "' (" + other.getClass().getName() + ") and '" + p.name() + "' (" + p.getClass().getName() + ")");
                }
            }
        }
        return out;
    }

    static String describe(Map<UUID, HostPlugin> byClass) {
        TreeSet<String> names = new TreeSet<>();
        byClass.forEach((c, p) -> names.add(p.name() + " for " + c));
        return names.isEmpty() ? "none" : names.toString();
    }
}
