package dev.vmbus.device.shutdown;

import dev.vmbus.bus.Device;
import dev.vmbus.bus.DeviceContext;
import dev.vmbus.bus.DeviceHandler;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.ic.IcConstants;

import java.util.List;
import java.util.UUID;

/** The shutdown device class; settings in {@link ShutdownSettings}. */
public final class ShutdownHandler implements DeviceHandler<ShutdownSettings> {
    @Override
    public String name() {
        return "shutdown";
    }

    @Override
    public int credit() {
        return IcConstants.IC_CREDIT;
    }

    @Override
    public List<UUID> classIds() {
        return List.of(DeviceClass.SHUTDOWN.classId());
    }

    @Override
    public ShutdownSettings settings(DeviceContext context) {
        return ShutdownSettings.from(context.config());
    }

    @Override
    public Device device(ShutdownSettings settings, DeviceContext context) {
        return new ShutdownDevice(settings);
    }
}
