package dev.vmbus.device.vss;

import dev.vmbus.bus.Device;
import dev.vmbus.bus.DeviceContext;
import dev.vmbus.bus.DeviceHandler;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.ic.IcConstants;

import java.util.List;
import java.util.UUID;

/** The VSS (backup) device class; settings in {@link VssSettings}. */
public final class VssHandler implements DeviceHandler<VssSettings> {
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
