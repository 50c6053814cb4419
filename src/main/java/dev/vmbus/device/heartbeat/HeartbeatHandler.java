package dev.vmbus.device.heartbeat;

import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.spi.NoSettings;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.ic.IcConstants;

import java.util.List;
import java.util.UUID;

/** The heartbeat device class: {@code devices.heartbeat} has no settings besides {@code enabled}. */
public final class HeartbeatHandler implements DevicePlugin<NoSettings> {
    @Override
    public String name() {
        return "heartbeat";
    }

    @Override
    public int credit() {
        return IcConstants.IC_CREDIT;
    }

    @Override
    public List<UUID> classIds() {
        return List.of(DeviceClass.HEARTBEAT.classId());
    }

    @Override
    public NoSettings settings(DeviceContext context) {
        return NoSettings.of(context);
    }

    @Override
    public Device device(NoSettings settings, DeviceContext context) {
        return new HeartbeatDevice();
    }
}
