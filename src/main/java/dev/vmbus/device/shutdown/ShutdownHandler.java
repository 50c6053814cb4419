package dev.vmbus.device.shutdown;

import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.ic.IcConstants;

import java.util.List;
import java.util.UUID;

/** The shutdown device class; settings in {@link ShutdownSettings}. */
public final class ShutdownHandler implements DevicePlugin<ShutdownSettings> {
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
