package dev.vmbus.device.vss;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.spi.IcPlugin;

/** The VSS (backup) device class; settings in {@link VssSettings}. */
public final class VssHandler extends IcPlugin<VssSettings> {
    public VssHandler() {
        super(DeviceClass.VSS, context -> VssSettings.from(context.config()), (settings, context) -> new VssDevice(settings));
    }
}
