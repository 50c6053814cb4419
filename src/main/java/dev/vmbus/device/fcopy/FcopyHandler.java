package dev.vmbus.device.fcopy;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.spi.IcPlugin;

/** The file copy (guest services) device class; settings in {@link FcopySettings}. */
public final class FcopyHandler extends IcPlugin<FcopySettings> {
    public FcopyHandler() {
        super(DeviceClass.FCOPY, context -> FcopySettings.from(context.config()), (settings, context) -> new FcopyDevice(settings));
    }
}
