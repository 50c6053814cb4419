package dev.vmbus.spi;

/** The settings of a device that has none besides {@code enabled}. */
public enum NoSettings {
    NONE;

    /** Checks that {@code context}'s section is empty; a key in it is refused by name. */
    public static NoSettings of(DeviceContext context) {
        for (String key : context.config().fieldNames()) {
            throw new IllegalArgumentException("unknown key '" + key + "' (" + context.name() + " has only 'enabled')");
        }
        return NONE;
    }
}
