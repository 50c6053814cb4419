package dev.vmbus.ic.shutdown;

import java.util.Optional;

/** What a shutdown request asks the guest to do, decided from the whole flags value as Linux does. */
public enum ShutdownAction {
    POWER_OFF, REBOOT, HIBERNATE;

    /**
     * Linux's switch in {@code shutdown_onchannelcallback}: 0 or 1 power off, 2 or 3 reboot, 4 or 5 hibernate
     * (force, bit 0, makes no difference); any other value, including combinations such as restart|hibernate,
     * is no action and answered with {@code HV_E_FAIL}.
     */
    public static Optional<ShutdownAction> forFlags(int flags) {
        return switch (flags) {
            case 0, 1 -> Optional.of(POWER_OFF);
            case 2, 3 -> Optional.of(REBOOT);
            case 4, 5 -> Optional.of(HIBERNATE);
            default -> Optional.empty();
        };
    }

    /** The lower-case name used in config keys' documentation and on the dashboard. */
    public String label() {
        return name().toLowerCase().replace('_', '-');
    }
}
