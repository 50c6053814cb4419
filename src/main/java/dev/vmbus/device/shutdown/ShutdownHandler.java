package dev.vmbus.device.shutdown;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.spi.IcPlugin;

/** The shutdown device class; settings in {@link ShutdownSettings}. */
public final class ShutdownHandler extends IcPlugin<ShutdownSettings> {
    public ShutdownHandler() {
        super(DeviceClass.SHUTDOWN, context -> context.settings(ShutdownSettings.class, ShutdownSettings.DEFAULTS), (settings, context) -> new ShutdownDevice(settings,
                context.transport().hibernationImpossible()));
    }
}
