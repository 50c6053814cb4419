package dev.vmbus.transport;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A plug-in's settings, bound from its config section into a settings record in one call, for both of its ends: the
 * guest's ({@code spi.DeviceContext.settings}) and the simulated host's ({@code host.CounterpartContext.settings}).
 * Here, as {@link OnContext}, because this is the lowest package that may use Vert.x and both ends (which may not
 * use each other) reach it. Each key is the record component of that name and its JSON value must have the
 * component's type, strictly (no string "true", no 1.5 for a whole number). A key left out keeps the defaults
 * record's value. The record's canonical constructor then checks the values; its {@link IllegalArgumentException}
 * comes through as it is.
 * <p>Component types: {@code boolean}, {@code int}, {@code long}, {@code double} (and their boxes), {@code String},
 * {@link Path} (a string), an enum (its constant's name in lower case), {@link JsonObject}, {@link JsonArray}, and a
 * {@link List} of any of these. JSON null is refused for a primitive and passed on as null otherwise, for the
 * constructor to accept or refuse.
 * <p>{@link #json} is the one glue from the config layer's Jackson tree (it knows nothing of Vert.x) to the Vert.x
 * JSON the sections are bound from.
 */
public final class SettingsBinder {
    private SettingsBinder() {
    }

    /**
     * Binds {@code config} into a {@code type}.
     *
     * @param owner   who the section is for, named in the refusal of an unknown key
     * @param besides what the refusal of an unknown key adds after the record's keys (e.g. a key the caller
     *                takes out itself), or empty
     * @throws IllegalArgumentException for an unknown key or a value of the wrong type, naming the key, or the
     *                                  record's own refusal
     */
    public static <S extends Record> S bind(String owner, String besides, JsonObject config, Class<S> type,
                                            S defaults) {
        RecordComponent[] components = type.getRecordComponents();
        if (components == null) {
            throw new IllegalArgumentException(type.getName() + " is not a record");
        }
        Set<String> known = Arrays.stream(components).map(RecordComponent::getName)
                .collect(Collectors.toCollection(TreeSet::new));
        for (String key : config.fieldNames()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException("unknown key '" + key + "' (" + owner + " has " + known
                        + besides + ")");
            }
        }
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            types[i] = c.getType();
            values[i] = config.containsKey(c.getName())
                    ? value(c.getName(), config.getValue(c.getName()), c.getType(), c.getGenericType())
                    : read(c, defaults);
        }
        try {
            Constructor<S> canonical = type.getDeclaredConstructor(types);
            canonical.setAccessible(true);
            return canonical.newInstance(values);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException own) {
                throw own; // the record's own check, as it is
            }
            throw new IllegalStateException("constructing " + type.getName(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("constructing " + type.getName(), e);
        }
    }

    /** A config section as the config layer holds it (Jackson) in Vert.x JSON; an empty object for none. */
    public static JsonObject json(JsonNode section) {
        return section == null ? new JsonObject() : new JsonObject(section.toString());
    }

    private static Object read(RecordComponent c, Record defaults) {
        try {
            var accessor = c.getAccessor();
            accessor.setAccessible(true);
            return accessor.invoke(defaults);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("reading the default of " + c.getName(), e);
        }
    }

    /** The JSON value {@code v} of {@code key} as a {@code type}, or a refusal naming the key. */
    private static Object value(String key, Object v, Class<?> type, Type generic) {
        if (v == null) {
            if (type.isPrimitive()) {
                throw refused(key, type, generic, null);
            }
            return null;
        }
        if (type == boolean.class || type == Boolean.class) {
            if (v instanceof Boolean) {
                return v;
            }
        } else if (type == int.class || type == Integer.class) {
            if ((v instanceof Integer || v instanceof Long) && ((Number) v).longValue() == ((Number) v).intValue()) {
                return ((Number) v).intValue();
            }
        } else if (type == long.class || type == Long.class) {
            if (v instanceof Integer || v instanceof Long) {
                return ((Number) v).longValue();
            }
        } else if (type == double.class || type == Double.class) {
            if (v instanceof Number n) {
                return n.doubleValue();
            }
        } else if (type == String.class) {
            if (v instanceof String) {
                return v;
            }
        } else if (type == Path.class) {
            if (v instanceof String s && !s.isBlank() && s.indexOf('\0') < 0) {
                return Path.of(s);
            }
        } else if (type.isEnum()) {
            for (Object constant : type.getEnumConstants()) {
                if (lowerName(constant).equals(v)) {
                    return constant;
                }
            }
        } else if (type == JsonObject.class || type == JsonArray.class) {
            if (type.isInstance(v)) {
                return v;
            }
        } else if (type == List.class) {
            Class<?> element = elementType(key, generic);
            if (v instanceof JsonArray array) {
                List<Object> out = new ArrayList<>(array.size());
                for (int i = 0; i < array.size(); i++) {
                    Object item = array.getValue(i);
                    if (item == null) {
                        throw refused(key + "[" + i + "]", element, element, null);
                    }
                    out.add(value(key + "[" + i + "]", item, element, element));
                }
                return List.copyOf(out);
            }
        } else {
            throw new IllegalStateException("settings component '" + key + "' has a type the binder does not know: "
                    + generic.getTypeName());
        }
        throw refused(key, type, generic, v);
    }

    private static Class<?> elementType(String key, Type generic) {
        if (generic instanceof ParameterizedType p && p.getActualTypeArguments()[0] instanceof Class<?> c) {
            return c;
        }
        throw new IllegalStateException("settings component '" + key + "' must be a List of a plain type, is "
                + generic.getTypeName());
    }

    private static IllegalArgumentException refused(String key, Class<?> type, Type generic, Object got) {
        return new IllegalArgumentException("'" + key + "' must be " + what(type, generic) + ", got " + got);
    }

    /** How a refusal names a value of a plain type, alone and in an array. */
    private record Noun(String one, String many) {
    }

    /** By boxed type: a primitive component is looked up as its box. */
    private static final Map<Class<?>, Noun> NOUNS = Map.of(
            Boolean.class, new Noun("true or false", "true or false values"),
            Integer.class, new Noun("a whole number (at most " + Integer.MAX_VALUE + ")", "whole numbers"),
            Long.class, new Noun("a whole number", "whole numbers"),
            Double.class, new Noun("a number", "numbers"),
            String.class, new Noun("a string", "strings"),
            Path.class, new Noun("a path (a non-empty string)", "paths"),
            JsonObject.class, new Noun("an object", "objects"),
            JsonArray.class, new Noun("an array", "arrays"));

    private static Noun noun(Class<?> type) {
        return NOUNS.get(type.isPrimitive() ? MethodType.methodType(type).wrap().returnType() : type);
    }

    /** What a value of {@code type} looks like in JSON, for a refusal. */
    private static String what(Class<?> type, Type generic) {
        Noun noun = noun(type);
        if (noun != null) {
            return noun.one();
        }
        if (type.isEnum()) {
            List<String> names = Arrays.stream(type.getEnumConstants()).map(c -> "\"" + lowerName(c) + "\"").toList();
            return names.size() == 2 ? names.get(0) + " or " + names.get(1) : "one of " + String.join(", ", names);
        }
        Class<?> element = elementType("", generic);
        return "an array of " + plural(element);
    }

    private static String plural(Class<?> type) {
        Noun noun = noun(type);
        return noun != null ? noun.many() : what(type, type) + " values";
    }

    private static String lowerName(Object constant) {
        return ((Enum<?>) constant).name().toLowerCase(Locale.ROOT);
    }
}
