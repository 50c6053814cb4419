package dev.vmbus.device.vss;

import dev.vmbus.spi.DeviceConfig;

import java.util.List;

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
    /** Dry run, no mounts, 900 s, fsfreeze, no hooks. */
    public static final VssSettings DEFAULTS = new VssSettings(true, List.of(), DEFAULT_AUTO_THAW_SECONDS,
            DEFAULT_FREEZE, DEFAULT_THAW, null, null);

    public VssSettings {
        mounts = DeviceConfig.strings("mounts", mounts);
        for (int i = 0; i < mounts.size(); i++) {
            if (!mounts.get(i).startsWith("/")) {
                throw new IllegalArgumentException("'mounts[" + i + "]' must be an absolute path, got " + mounts.get(i));
            }
            if (mounts.indexOf(mounts.get(i)) != i) {
                throw new IllegalArgumentException("'mounts[" + i + "]' repeats " + mounts.get(i));
            }
        }
        DeviceConfig.range("autoThawSeconds", autoThawSeconds, 1, 86_400);
        freezeCommand = DeviceConfig.command("freezeCommand", freezeCommand, false);
        thawCommand = DeviceConfig.command("thawCommand", thawCommand, false);
        preFreezeCommand = DeviceConfig.command("preFreezeCommand", preFreezeCommand, true);
        postThawCommand = DeviceConfig.command("postThawCommand", postThawCommand, true);
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
