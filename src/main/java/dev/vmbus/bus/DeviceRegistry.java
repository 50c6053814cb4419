package dev.vmbus.bus;

import dev.vmbus.spi.DevicePlugin;

import dev.vmbus.spi.DeviceContext;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.config.TransportType;
import dev.vmbus.transport.SettingsBinder;
import dev.vmbus.config.VmbusConfig;
import io.vertx.core.Deployable;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The installed device handlers ({@link ServiceLoader}) and which of them the configuration enables, with each
 * enabled handler's settings parsed once. Everything is checked up front: two handlers claiming one name or class,
 * a config section for a handler that is not installed, or a section the handler rejects (enabled or not: a section
 * that is not enabled is still parsed, and a warning says it is ignored), stops start-up with a message naming it.
 *
 * <p>Threads: immutable once built; {@link #newDevice} may be called from any thread.
 */
public final class DeviceRegistry {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(DeviceRegistry.class.getName());
    private final Map<String, DevicePlugin<?>> handlers;
    private final Map<UUID, DevicePlugin<?>> byClass;
    private final Map<String, Configured<?>> configured;
    private final Map<String, DeviceContext> enabled;

    /** An enabled handler with its context and the settings it parsed from it. */
    private record Configured<S>(DevicePlugin<S> handler, DeviceContext context, S settings) {
        static <S> Configured<S> parse(DevicePlugin<S> handler, DeviceContext context) {
            S settings = handler.settings(context);
            if (settings == null) {
                throw new IllegalStateException("device handler '" + handler.name() + "' returned no settings"
                        + " (use NoSettings.of(context) for a device without any)");
            }
            return new Configured<>(handler, context, settings);
        }

        Deployable newDevice() {
            return new DeviceVerticle(handler.name(), handler.device(settings, context));
        }
    }

    private DeviceRegistry(Map<String, DevicePlugin<?>> handlers, Map<UUID, DevicePlugin<?>> byClass,
                           Map<String, Configured<?>> configured) {
        this.handlers = handlers;
        this.byClass = byClass;
        this.configured = configured;
        Map<String, DeviceContext> contexts = new LinkedHashMap<>();
        configured.forEach((name, c) -> contexts.put(name, c.context()));
        this.enabled = java.util.Collections.unmodifiableMap(contexts);
    }

    /**
     * {@code config}'s device sections as Vert.x JSON, name to section: the config layer binds them with Jackson and
     * knows nothing of Vert.x, the registry and the handlers read Vert.x JSON.
     */
    public static Map<String, JsonObject> sections(VmbusConfig config) {
        Map<String, JsonObject> out = new LinkedHashMap<>();
        config.devices().forEach((name, node) -> out.put(name, SettingsBinder.json(node)));
        return out;
    }

    /** The handlers on the class path, configured by {@code devices} (name to section). */
    public static DeviceRegistry load(Map<String, JsonObject> devices, TransportType transport) {
        return load(devices, transport, DeviceRegistry.class.getClassLoader());
    }

    /** The handlers {@code loader} sees (the class path, and a plug-in directory's jars), configured by {@code devices}. */
    public static DeviceRegistry load(Map<String, JsonObject> devices, TransportType transport, ClassLoader loader) {
        List<DevicePlugin<?>> found = new ArrayList<>();
        ServiceLoader.load(DevicePlugin.class, loader).forEach(found::add);
        return of(found, devices, transport);
    }

    /** As {@link #load}, with an explicit list of handlers. */
    public static DeviceRegistry of(List<? extends DevicePlugin<?>> found, Map<String, JsonObject> devices,
                                    TransportType transport) {
        Map<String, DevicePlugin<?>> handlers = new LinkedHashMap<>();
        Map<UUID, DevicePlugin<?>> byClass = new LinkedHashMap<>();
        for (DevicePlugin<?> h : found) {
            DevicePlugin<?> other = handlers.putIfAbsent(h.name(), h);
            if (other != null) {
                throw new IllegalStateException("two device handlers are named '" + h.name() + "': "
                        + other.getClass().getName() + " and " + h.getClass().getName());
            }
            for (UUID classId : h.classIds()) {
                DevicePlugin<?> claimed = byClass.putIfAbsent(classId, h);
                if (claimed != null) {
                    throw new IllegalStateException("class " + classId + " is claimed by both '" + claimed.name()
                            + "' and '" + h.name() + "'");
                }
            }
        }
        for (String name : devices.keySet()) {
            if (!handlers.containsKey(name)) {
                throw new IllegalArgumentException("devices." + name + ": no handler named '" + name
                        + "' is installed (installed: " + new TreeSet<>(handlers.keySet()) + ")");
            }
        }
        Map<String, Configured<?>> enabled = new LinkedHashMap<>();
        for (DevicePlugin<?> h : handlers.values()) {
            JsonObject section = devices.getOrDefault(h.name(), new JsonObject()).copy();
            Object flag = section.remove("enabled");
            if (flag != null && !(flag instanceof Boolean)) {
                throw new IllegalArgumentException("devices." + h.name() + ".enabled must be true or false, got " + flag);
            }
            boolean on = flag != null ? (Boolean) flag : h.enabledByDefault();
            DeviceContext context = new DeviceContext(h.name(), section, transport);
            if (on) {
                checkChannelShape(h);
                try {
                    enabled.put(h.name(), Configured.parse(h, context));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("devices." + h.name() + ": " + e.getMessage(), e);
                }
            } else if (!section.isEmpty()) {
                // a section that is not enabled is still checked: a typo must not wait for the day it is enabled
                try {
                    Configured.parse(h, context);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("devices." + h.name() + ": " + e.getMessage()
                            + " (the section is checked although '" + h.name() + "' is not enabled)", e);
                }
                LOG.warning("devices." + h.name() + " has settings " + new TreeSet<>(section.fieldNames())
                        + " but '" + h.name() + "' is not enabled: they are ignored until the section says"
                        + " \"enabled\": true");
            }
        }
        return new DeviceRegistry(handlers, byClass, enabled);
    }

    /**
     * What every channel of an enabled plug-in would be built with, refused here with its name, before anything is
     * opened: a channel that cannot be built used to fail after the guest had opened its rings.
     */
    private static void checkChannelShape(DevicePlugin<?> h) {
        if (h.credit() < 1) {
            throw new IllegalArgumentException("device handler '" + h.name() + "' (" + h.getClass().getName()
                    + "): credit() must be at least 1, got " + h.credit());
        }
        if (h.requestorSize() < 0) {
            throw new IllegalArgumentException("device handler '" + h.name() + "' (" + h.getClass().getName()
                    + "): requestorSize() must be 0 or more, got " + h.requestorSize());
        }
    }

    /** Every installed handler. */
    public List<DevicePlugin<?>> installed() {
        return List.copyOf(handlers.values());
    }

    /** The enabled handlers with their contexts, in discovery order. */
    public Map<String, DeviceContext> enabled() {
        return enabled;
    }

    /**
     * Each enabled handler's class GUIDs, by name in the registry's order: what uio's administration
     * ({@code Diagnosis}, {@code UioRefusal}) judges, without knowing the bus.
     */
    public Map<String, List<UUID>> enabledClasses() {
        Map<String, List<UUID>> out = new java.util.LinkedHashMap<>();
        for (String name : enabled().keySet()) {
            out.put(name, List.copyOf(handler(name).orElseThrow().classIds()));
        }
        return out;
    }

    /** The settings enabled device {@code name} parsed from its section (its handler's type), if it is enabled. */
    public Optional<Object> settings(String name) {
        return Optional.ofNullable(configured.get(name)).map(Configured::settings);
    }

    public Optional<DevicePlugin<?>> handler(String name) {
        return Optional.ofNullable(handlers.get(name));
    }

    /**
     * A new verticle running enabled device {@code name} with the settings parsed at load (the device is made
     * afresh, so one registry can serve several agents).
     */
    public Deployable newDevice(String name) {
        Configured<?> c = configured.get(name);
        if (c == null) {
            throw new IllegalArgumentException("device '" + name + "' is not enabled (enabled: " + enabled.keySet() + ")");
        }
        return c.newDevice();
    }

    /** The enabled handler for a class GUID, if any. */
    public Optional<DevicePlugin<?>> forClass(UUID classId) {
        DevicePlugin<?> h = byClass.get(classId);
        return h != null && enabled.containsKey(h.name()) ? Optional.of(h) : Optional.empty();
    }

    /**
     * The enabled handlers none of whose classes is in {@code offered} (the class GUIDs the host offered): each runs
     * but will see no packet until the host offers its class, which the agent warns about once it is ready.
     */
    public List<String> withoutChannel(java.util.Collection<UUID> offered) {
        List<String> idle = new ArrayList<>();
        for (String name : enabled.keySet()) {
            if (handlers.get(name).classIds().stream().noneMatch(offered::contains)) {
                idle.add(name);
            }
        }
        return idle;
    }

    /** A display name for a class: the handler's, then the well-known table's, then the GUID. */
    public String className(UUID classId) {
        DevicePlugin<?> h = byClass.get(classId);
        return h != null ? h.name() : DeviceClass.nameOf(classId);
    }
}
