package dev.vmbus.device.shutdown;

import dev.vmbus.spi.DeviceConfig;
import dev.vmbus.ic.shutdown.ShutdownAction;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Set;

/**
 * {@code devices.shutdown}: {@code dryRun} (default true: answer and record, run nothing),
 * {@code powerOffCommand} (default {@code ["systemctl","poweroff"]}), {@code rebootCommand} (default
 * {@code ["systemctl","reboot"]}) and {@code hibernateCommand} (default null: hibernation unsupported, so a
 * hibernate request is refused with {@code HV_E_FAIL} as Linux does on a guest without S4).
 */
public record ShutdownSettings(boolean dryRun, List<String> powerOffCommand, List<String> rebootCommand,
                               List<String> hibernateCommand) {
    public static final List<String> DEFAULT_POWER_OFF = List.of("systemctl", "poweroff");
    public static final List<String> DEFAULT_REBOOT = List.of("systemctl", "reboot");
    private static final Set<String> KEYS = Set.of("dryRun", "powerOffCommand", "rebootCommand", "hibernateCommand");

    /** Reads and checks the section. */
    public static ShutdownSettings from(JsonObject config) {
        DeviceConfig.onlyKeys(config, KEYS, "shutdown");
        return new ShutdownSettings(DeviceConfig.bool(config, "dryRun", true),
                DeviceConfig.command(config, "powerOffCommand", DEFAULT_POWER_OFF, false),
                DeviceConfig.command(config, "rebootCommand", DEFAULT_REBOOT, false),
                DeviceConfig.command(config, "hibernateCommand", null, true));
    }

    /** Whether this guest accepts a hibernate request. */
    public boolean hibernationSupported() {
        return hibernateCommand != null;
    }

    /** The command for an action. */
    public List<String> command(ShutdownAction action) {
        return switch (action) {
            case POWER_OFF -> powerOffCommand;
            case REBOOT -> rebootCommand;
            case HIBERNATE -> hibernateCommand;
        };
    }
}
