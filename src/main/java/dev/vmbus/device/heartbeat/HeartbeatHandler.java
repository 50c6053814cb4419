package dev.vmbus.device.heartbeat;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.spi.IcPlugin;
import dev.vmbus.spi.NoSettings;

/** The heartbeat device class: {@code devices.heartbeat} has no settings besides {@code enabled}. */
public final class HeartbeatHandler extends IcPlugin<NoSettings> {
    public HeartbeatHandler() {
        super(DeviceClass.HEARTBEAT, NoSettings::of, (settings, context) -> new HeartbeatDevice());
    }
}
