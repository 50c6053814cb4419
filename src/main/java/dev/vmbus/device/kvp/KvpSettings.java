package dev.vmbus.device.kvp;

import dev.vmbus.spi.DeviceContext;
import dev.vmbus.config.TransportType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The {@code devices.kvp} section.
 *
 * @param poolDir      where the {@code .kvp_pool_N} files and {@code ifcfg-<nic>} files live
 * @param dryRun       SET_IP_INFO writes its file but does not run {@code setIpCommand}
 * @param setIpCommand the hook run with the written file's path appended (Linux runs {@code hv_set_ifconfig})
 * @param sysfsRoot    where {@code class/net} is, to find a NIC by its VMBus instance id
 */
public record KvpSettings(Path poolDir, boolean dryRun, List<String> setIpCommand, Path sysfsRoot) {
    /** The daemon's directory, the default on a real guest. */
    public static final String DEFAULT_POOL_DIR_UIO = "/var/lib/hyperv";
    /** Under the working directory elsewhere, so that a sim run never touches the system's pools. */
    public static final String DEFAULT_POOL_DIR = "data/kvp";
    public static final List<String> DEFAULT_SET_IP_COMMAND = List.of("hv_set_ifconfig");
    public static final String DEFAULT_SYSFS_ROOT = "/sys";

    private static final Set<String> KEYS = Set.of("poolDir", "dryRun", "setIpCommand", "sysfsRoot");

    /** Parses and checks the section; throws {@link IllegalArgumentException} naming the bad key. */
    public static KvpSettings from(DeviceContext context) {
        JsonObject c = context.config();
        for (String key : c.fieldNames()) {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown key '" + key + "' (kvp has " + new java.util.TreeSet<>(KEYS)
                        + " besides 'enabled')");
            }
        }
        String poolDir = string(c, "poolDir", context.transport() == TransportType.UIO ? DEFAULT_POOL_DIR_UIO : DEFAULT_POOL_DIR);
        Object dry = c.getValue("dryRun", context.simulated());
        if (!(dry instanceof Boolean dryRun)) {
            throw new IllegalArgumentException("dryRun must be true or false, got " + dry);
        }
        List<String> command = DEFAULT_SET_IP_COMMAND;
        if (c.containsKey("setIpCommand")) {
            Object v = c.getValue("setIpCommand");
            if (!(v instanceof JsonArray array) || array.isEmpty()) {
                throw new IllegalArgumentException("setIpCommand must be a non-empty array of strings, got " + v);
            }
            command = new ArrayList<>();
            for (Object part : array) {
                if (!(part instanceof String s) || s.isEmpty()) {
                    throw new IllegalArgumentException("setIpCommand must hold non-empty strings, got " + part);
                }
                command.add(s);
            }
        }
        return new KvpSettings(Path.of(poolDir), dryRun, List.copyOf(command),
                Path.of(string(c, "sysfsRoot", DEFAULT_SYSFS_ROOT)));
    }

    private static String string(JsonObject c, String key, String fallback) {
        Object v = c.getValue(key, fallback);
        if (!(v instanceof String s) || s.isBlank()) {
            throw new IllegalArgumentException(key + " must be a non-empty path string, got " + v);
        }
        return s;
    }
}
