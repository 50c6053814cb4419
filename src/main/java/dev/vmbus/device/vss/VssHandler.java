package dev.vmbus.device.vss;

import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.ic.IcConstants;

import java.util.List;
import java.util.UUID;

/** The VSS (backup) device class; settings in {@link VssSettings}. */
public final class VssHandler implements DevicePlugin<VssSettings> {
    @Override
    public String name() {
        return "vss";
    }

    @Override
    public int credit() {
        return IcConstants.IC_CREDIT;
    }

    @Override
    public List<UUID> classIds() {
        return List.of(DeviceClass.VSS.classId());
    }

    @Override
    public VssSettings settings(DeviceContext context) {
        return VssSettings.from(context.config());
    }

    @Override
    public Device device(VssSettings settings, DeviceContext context) {
        return new VssDevice(settings);
    }
}
