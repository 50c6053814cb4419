package dev.vmbus.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads {@code conf/vmbus.json}: the file is merged over the defaults ({@link VmbusConfig#DEFAULTS}, written out as
 * JSON), then bound to records with unknown keys refused, then values are checked: the one place a config's values
 * are checked. Device sections are kept as JSON for their handlers to check.
 */
public final class ConfigLoader {
    /** Ten years, in milliseconds: the most the simulated partition's counter may lead the guest's clock. */
    private static final long MAX_COUNTER_AHEAD_MS = 10L * 366 * 24 * 3600 * 1000;

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

    private ConfigLoader() {
    }

    /** Reads and checks {@code file}. */
    public static VmbusConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        return parse(text, file.toString());
    }

    /** Parses and checks a config document; {@code source} names it in messages. */
    public static VmbusConfig parse(String text, String source) {
        JsonNode user;
        try {
            user = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + " is not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ")");
        }
        if (user == null || !user.isObject()) {
            throw new ConfigException(source + " must hold a JSON object");
        }
        if (user.get("devices") != null && user.get("devices").isObject()) {
            user.get("devices").fields().forEachRemaining(e -> {
                if (!e.getValue().isObject()) {
                    throw new ConfigException(source + ": devices." + e.getKey() + " must be an object");
                }
            });
        }
        ObjectNode merged = MAPPER.valueToTree(VmbusConfig.DEFAULTS);
        try {
            merge(merged, (ObjectNode) user, "");
        } catch (ConfigException e) {
            throw new ConfigException(source + ": " + e.getMessage());
        }
        checkTransportType(merged.path("transport").path("type"), source);
        VmbusConfig config;
        try {
            config = MAPPER.treeToValue(merged, VmbusConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw new ConfigException(source + ": unknown key '" + path(e) + "'");
        } catch (JsonMappingException e) {
            throw new ConfigException(source + ": bad value for '" + path(e) + "': " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": " + e.getOriginalMessage());
        }
        check(config, source);
        return config;
    }

    /** Deep-merges {@code user} into {@code base}; top-level sections must be objects. */
    private static void merge(ObjectNode base, ObjectNode user, String prefix) {
        for (Iterator<Map.Entry<String, JsonNode>> it = user.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode existing = base.get(e.getKey());
            if (existing != null && existing.isObject()) {
                if (!e.getValue().isObject()) {
                    throw new ConfigException("'" + prefix + e.getKey() + "' must be an object");
                }
                merge((ObjectNode) existing, (ObjectNode) e.getValue(), prefix + e.getKey() + ".");
            } else {
                base.set(e.getKey(), e.getValue());
            }
        }
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    /** Before binding, so that a bad name gets the message naming the allowed ones rather than Jackson's. */
    private static void checkTransportType(JsonNode type, String source) {
        String name = type.isValueNode() && !type.isNull() ? type.asText() : type.toString();
        try {
            TransportType.parse(name);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source + ": transport.type " + e.getMessage());
        }
    }

    private static void check(VmbusConfig c, String source) {
        requireText(c.transport().shmDir(), "transport.shmDir", source);
        requireText(c.transport().sysfsRoot(), "transport.sysfsRoot", source);
        requireText(c.transport().devRoot(), "transport.devRoot", source);
        requireText(c.transport().procRoot(), "transport.procRoot", source);
        requireText(c.transport().runDir(), "transport.runDir", source);
        requireText(c.transport().stateDir(), "transport.stateDir", source);
        double share = c.transport().maxBufferPercent();
        if (!(share > 0 && share <= 100)) {
            throw new ConfigException(source + ": transport.maxBufferPercent must be above 0 and at most 100, got "
                    + share);
        }
        Integer page = c.transport().kernel().pageSize();
        if (page != null && (page < 4096 || Integer.bitCount(page) != 1)) {
            throw new ConfigException(source + ": transport.kernel.pageSize must be a power of two >= 4096, got "
                    + page);
        }
        String release = c.transport().kernel().release();
        if (release != null && !release.matches("\\d+\\.\\d+.*")) {
            throw new ConfigException(source + ": transport.kernel.release must start with MAJOR.MINOR (as uname -r"
                    + " prints it), got '" + release + "'");
        }
        c.devices().forEach((name, node) -> {
            if (!VmbusConfig.isObject(node)) {
                throw new ConfigException(source + ": devices." + name + " must be an object");
            }
        });
        if (!VmbusConfig.Dashboard.validPort(c.dashboard().port())) {
            throw new ConfigException(source + ": dashboard.port must be 0..65535, got " + c.dashboard().port());
        }
        requireText(c.dashboard().host(), "dashboard.host", source);
        if (c.dashboard().updateIntervalMs() < VmbusConfig.Dashboard.MIN_UPDATE_INTERVAL_MS) {
            throw new ConfigException(source + ": dashboard.updateIntervalMs must be at least "
                    + VmbusConfig.Dashboard.MIN_UPDATE_INTERVAL_MS + ", got "
                    + c.dashboard().updateIntervalMs());
        }
        if (c.dashboard().token() != null && c.dashboard().token().length() < 16) {
            throw new ConfigException(source + ": dashboard.token must be at least 16 characters");
        }
        if (c.host().heartbeatIntervalMs() < 10) {
            throw new ConfigException(source + ": host.heartbeatIntervalMs must be at least 10, got "
                    + c.host().heartbeatIntervalMs());
        }
        if (c.host().timesyncIntervalMs() < 10) {
            throw new ConfigException(source + ": host.timesyncIntervalMs must be at least 10, got "
                    + c.host().timesyncIntervalMs());
        }
        if (!(Math.abs(c.host().clockDriftPpm()) <= 1000)) {
            throw new ConfigException(source + ": host.clockDriftPpm must be -1000..1000, got " + c.host().clockDriftPpm());
        }
        if (c.host().referenceCounterAheadMs() < 0 || c.host().referenceCounterAheadMs() > MAX_COUNTER_AHEAD_MS) {
            throw new ConfigException(source + ": host.referenceCounterAheadMs must be 0.." + MAX_COUNTER_AHEAD_MS
                    + " (the partition exists before the guest's clock starts; at most 10 years), got "
                    + c.host().referenceCounterAheadMs());
        }
        if (c.host().extraHeartbeats() < 0 || c.host().extraHeartbeats() > 4096) {
            throw new ConfigException(source + ": host.extraHeartbeats must be 0..4096, got " + c.host().extraHeartbeats());
        }
        if (c.plugins().dir() != null && c.plugins().dir().isBlank()) {
            throw new ConfigException(source + ": plugins.dir must be a directory's path, or null for none");
        }
        checkNic(c.host().nic(), source);
        for (int i = 0; i < c.host().offers().size(); i++) {
            checkOffer(c.host().offers().get(i), "host.offers[" + i + "]", source);
        }
        checkHealth(c.dashboard().health(), source);
    }

    private static void checkOffer(VmbusConfig.HostOffer o, String key, String source) {
        if (o == null) {
            throw new ConfigException(source + ": " + key + " must be an object");
        }
        guid(o.classId(), key + ".classId", source, true);
        guid(o.instance(), key + ".instance", source, false);
        int ring = o.ringSizeOrDefault();
        if (ring < 8192 || ring > 16 << 20 || ring % 4096 != 0) {
            throw new ConfigException(source + ": " + key + ".ringSize must be a multiple of 4096 in 8192..16777216"
                    + " (bytes per direction, header page included), got " + ring);
        }
        int count = o.countOrDefault();
        if (count < 1 || count > 64) {
            throw new ConfigException(source + ": " + key + ".count must be 1..64, got " + count);
        }
        if (o.instance() != null && count != 1) {
            throw new ConfigException(source + ": " + key + ".instance names one channel, but count is " + count
                    + " (leave instance out: each channel then gets its own)");
        }
        if (o.answer() != null && !o.answer().equals("counterpart") && !o.answer().equals("script")
                && !o.answer().equals("recording")) {
            throw new ConfigException(source + ": " + key + ".answer must be \"counterpart\", \"script\" or"
                    + " \"recording\", got '" + o.answer() + "'");
        }
        if (o.recording() != null && o.recording().isBlank()) {
            throw new ConfigException(source + ": " + key + ".recording must be a file's path");
        }
        if (o.answersWithRecording() && o.recording() == null) {
            throw new ConfigException(source + ": " + key + ": \"answer\": \"recording\" needs \"recording\": the"
                    + " file of the exchange to replay");
        }
        if (o.recording() != null && !o.answersWithRecording()) {
            throw new ConfigException(source + ": " + key + ": recording is replayed only with \"answer\": \"recording\""
                    + " (or no answer), not with \"" + o.answer() + "\"");
        }
        if (o.answersWithRecording() && o.send() != null) {
            throw new ConfigException(source + ": " + key + ": send is the script's; a recording sends what its file"
                    + " says (leave send out)");
        }
        for (int j = 0; j < o.sendOrNone().size(); j++) {
            if (o.sendOrNone().get(j) == null) {
                throw new ConfigException(source + ": " + key + ".send[" + j + "] must be a string");
            }
        }
        if ("counterpart".equals(o.answer()) && (o.send() != null || o.echo() != null)) {
            throw new ConfigException(source + ": " + key + ": send and echo are the script's; the counterpart"
                    + " answers for itself (leave them out, or say \"answer\": \"script\")");
        }
    }

    private static void guid(String value, String key, String source, boolean required) {
        if (value == null) {
            if (required) {
                throw new ConfigException(source + ": " + key + " is required (a GUID such as"
                        + " a1b2c3d4-0000-4000-8000-00000000c0de)");
            }
            return;
        }
        try {
            java.util.UUID u = java.util.UUID.fromString(value);
            if (!u.toString().equalsIgnoreCase(value)) {
                throw new IllegalArgumentException(value);
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source + ": " + key + " must be a GUID (8-4-4-4-12 hex digits), got '" + value + "'");
        }
    }

    /** The NIC backends {@code host.nic.backend} names. */
    public static final java.util.List<String> NIC_BACKENDS = java.util.List.of("none", "loopback", "tap");

    private static void checkNic(VmbusConfig.Nic n, String source) {
        if (!NIC_BACKENDS.contains(n.backend())) {
            throw new ConfigException(source + ": host.nic.backend must be one of " + NIC_BACKENDS + ", got '"
                    + n.backend() + "'");
        }
        if (!InterfaceNames.valid(n.tap())) {
            throw new ConfigException(source + ": host.nic.tap must be an interface name (" + InterfaceNames.RULE
                    + "), got '" + n.tap() + "'");
        }
        if (n.queues() < 1 || n.queues() > 64) {
            throw new ConfigException(source + ": host.nic.queues must be 1..64, got " + n.queues());
        }
        if (n.count() < 1 || n.count() > VmbusConfig.Nic.MAX_COUNT) {
            throw new ConfigException(source + ": host.nic.count must be 1.." + VmbusConfig.Nic.MAX_COUNT + ", got "
                    + n.count());
        }
        if (n.mac() == null || !n.mac().matches("(?i)[0-9a-f]{2}(:[0-9a-f]{2}){5}")) {
            throw new ConfigException(source + ": host.nic.mac must be six hex pairs separated by ':', got '"
                    + n.mac() + "'");
        }
        if ((Integer.parseInt(n.mac().substring(0, 2), 16) & 1) != 0) {
            throw new ConfigException(source + ": host.nic.mac " + n.mac() + " is a multicast address");
        }
        if (Integer.parseInt(n.mac().substring(15), 16) + n.count() - 1 > 0xff) {
            throw new ConfigException(source + ": host.nic.mac " + n.mac() + " leaves no room for " + n.count()
                    + " NICs (each after the first takes the next last byte)");
        }
        String lastTap = InterfaceNames.nth(n.tap(), n.count() - 1);
        if (!InterfaceNames.valid(lastTap)) {
            throw new ConfigException(source + ": host.nic.tap '" + n.tap() + "' numbered on for " + n.count()
                    + " NICs gives '" + lastTap + "', which is no interface name (" + InterfaceNames.RULE + ")");
        }
        if (n.mtu() < 1280 || n.mtu() > 9202) {
            throw new ConfigException(source + ": host.nic.mtu must be 1280..9202 (the Ethernet header comes on"
                    + " top, up to NDIS's 9216), got " + n.mtu());
        }
    }

    private static void checkHealth(VmbusConfig.Health h, String source) {
        positive(h.heartbeatLateMs(), "heartbeatLateMs", source);
        positive(h.heartbeatLostMs(), "heartbeatLostMs", source);
        positive(h.timesyncStaleMs(), "timesyncStaleMs", source);
        positive(h.vssFrozenMs(), "vssFrozenMs", source);
        positive(h.fcopyStuckMs(), "fcopyStuckMs", source);
        if (h.heartbeatLostMs() < h.heartbeatLateMs()) {
            throw new ConfigException(source + ": dashboard.health.heartbeatLostMs (" + h.heartbeatLostMs()
                    + ") must not be less than heartbeatLateMs (" + h.heartbeatLateMs() + ")");
        }
        if (!(h.ringFillPercent() > 0 && h.ringFillPercent() <= 100)) {
            throw new ConfigException(source + ": dashboard.health.ringFillPercent must be in (0, 100], got "
                    + h.ringFillPercent());
        }
        if (!(h.timesyncOffsetMs() > 0)) {
            throw new ConfigException(source + ": dashboard.health.timesyncOffsetMs must be positive, got "
                    + h.timesyncOffsetMs());
        }
    }

    private static void positive(long value, String key, String source) {
        if (value <= 0) {
            throw new ConfigException(source + ": dashboard.health." + key + " must be positive, got " + value);
        }
    }

    private static void requireText(String value, String key, String source) {
        if (value == null || value.isBlank()) {
            throw new ConfigException(source + ": " + key + " must be a non-empty string");
        }
    }
}
