package dev.vmbus.device.vss;

import dev.vmbus.spi.DeviceConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Set;

/**
 * {@code devices.vss}:
 * <ul>
 *   <li>{@code dryRun} (true): answer as a real guest would, log and record the commands, run nothing;</li>
 *   <li>{@code mounts} ([]): absolute mount points to freeze, in order ({@code /} is always frozen last);</li>
 *   <li>{@code autoThawSeconds} (900, Linux's freeze timeout): thaw by ourselves if no THAW comes;</li>
 *   <li>{@code freezeCommand} (["fsfreeze","-f"]) and {@code thawCommand} (["fsfreeze","-u"]): run once per
 *       mount with the mount point appended;</li>
 *   <li>{@code preFreezeCommand} and {@code postThawCommand} (null): application hooks run before the first
 *       freeze and after the last thaw.</li>
 * </ul>
 */
public record VssSettings(boolean dryRun, List<String> mounts, long autoThawSeconds, List<String> freezeCommand,
                          List<String> thawCommand, List<String> preFreezeCommand, List<String> postThawCommand) {
    public static final long DEFAULT_AUTO_THAW_SECONDS = 900;
    public static final List<String> DEFAULT_FREEZE = List.of("fsfreeze", "-f");
    public static final List<String> DEFAULT_THAW = List.of("fsfreeze", "-u");
    private static final Set<String> KEYS = Set.of("dryRun", "mounts", "autoThawSeconds", "freezeCommand",
            "thawCommand", "preFreezeCommand", "postThawCommand");

    /** Reads and checks the section. */
    public static VssSettings from(JsonObject config) {
        DeviceConfig.onlyKeys(config, KEYS, "vss");
        List<String> mounts = List.of();
        if (config.containsKey("mounts")) {
            if (!(config.getValue("mounts") instanceof JsonArray array)) {
                throw new IllegalArgumentException("'mounts' must be an array of absolute paths, got "
                        + config.getValue("mounts"));
            }
            mounts = DeviceConfig.strings(array, "mounts", true);
            for (int i = 0; i < mounts.size(); i++) {
                if (!mounts.get(i).startsWith("/")) {
                    throw new IllegalArgumentException("'mounts[" + i + "]' must be an absolute path, got " + mounts.get(i));
                }
                if (mounts.indexOf(mounts.get(i)) != i) {
                    throw new IllegalArgumentException("'mounts[" + i + "]' repeats " + mounts.get(i));
                }
            }
        }
        return new VssSettings(DeviceConfig.bool(config, "dryRun", true), mounts,
                DeviceConfig.integer(config, "autoThawSeconds", DEFAULT_AUTO_THAW_SECONDS, 1, 86_400),
                DeviceConfig.command(config, "freezeCommand", DEFAULT_FREEZE, false),
                DeviceConfig.command(config, "thawCommand", DEFAULT_THAW, false),
                DeviceConfig.command(config, "preFreezeCommand", null, true),
                DeviceConfig.command(config, "postThawCommand", null, true));
    }

    /** The mounts in freeze order: as configured, with the root file system last, as Linux's daemon does. */
    public List<String> freezeOrder() {
        List<String> order = new java.util.ArrayList<>(mounts);
        if (order.remove("/")) {
            order.add("/");
        }
        return List.copyOf(order);
    }
}
