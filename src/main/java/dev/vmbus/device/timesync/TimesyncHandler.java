package dev.vmbus.device.timesync;

import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.timesync.ReferenceClock;
import dev.vmbus.os.Clocks;

import java.util.List;
import java.util.UUID;

/** The time sync device class; settings in {@link TimesyncSettings}. */
public final class TimesyncHandler implements DevicePlugin<TimesyncSettings> {
    @Override
    public String name() {
        return "timesync";
    }

    @Override
    public int credit() {
        return IcConstants.IC_CREDIT;
    }

    @Override
    public List<UUID> classIds() {
        return List.of(DeviceClass.TIMESYNC.classId());
    }

    @Override
    public TimesyncSettings settings(DeviceContext context) {
        return TimesyncSettings.from(context.config());
    }

    @Override
    public Device device(TimesyncSettings settings, DeviceContext context) {
        return new TimesyncDevice(settings, ReferenceClock.MONOTONIC_RAW, Clocks::setRealtime);
    }
}
