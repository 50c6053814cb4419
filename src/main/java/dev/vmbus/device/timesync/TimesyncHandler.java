package dev.vmbus.device.timesync;

import dev.vmbus.bus.Device;
import dev.vmbus.bus.DeviceContext;
import dev.vmbus.bus.DeviceHandler;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.timesync.ReferenceClock;

import java.util.List;
import java.util.UUID;

/** The time sync device class; settings in {@link TimesyncSettings}. */
public final class TimesyncHandler implements DeviceHandler<TimesyncSettings> {
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
        return new TimesyncDevice(settings, ReferenceClock.MONOTONIC_RAW, new SystemClockStepper());
    }
}
