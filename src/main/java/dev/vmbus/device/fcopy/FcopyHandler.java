package dev.vmbus.device.fcopy;

import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.ic.IcConstants;

import java.util.List;
import java.util.UUID;

/** The file copy (guest services) device class; settings in {@link FcopySettings}. */
public final class FcopyHandler implements DevicePlugin<FcopySettings> {
    @Override
    public String name() {
        return "fcopy";
    }

    @Override
    public int credit() {
        return IcConstants.IC_CREDIT;
    }

    @Override
    public List<UUID> classIds() {
        return List.of(DeviceClass.FCOPY.classId());
    }

    @Override
    public FcopySettings settings(DeviceContext context) {
        return FcopySettings.from(context.config());
    }

    @Override
    public Device device(FcopySettings settings, DeviceContext context) {
        return new FcopyDevice(settings);
    }
}
