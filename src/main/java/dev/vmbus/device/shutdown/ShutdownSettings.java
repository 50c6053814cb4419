package dev.vmbus.device.shutdown;

import dev.vmbus.spi.DeviceConfig;
import dev.vmbus.ic.shutdown.ShutdownAction;

import java.util.List;

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
    /** Dry run, systemctl's poweroff and reboot, no hibernation. */
    public static final ShutdownSettings DEFAULTS = new ShutdownSettings(true, DEFAULT_POWER_OFF, DEFAULT_REBOOT, null);

    public ShutdownSettings {
        powerOffCommand = DeviceConfig.command("powerOffCommand", powerOffCommand, false);
        rebootCommand = DeviceConfig.command("rebootCommand", rebootCommand, false);
        hibernateCommand = DeviceConfig.command("hibernateCommand", hibernateCommand, true);
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
