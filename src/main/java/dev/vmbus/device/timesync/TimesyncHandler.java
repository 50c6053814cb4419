package dev.vmbus.device.timesync;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.ic.timesync.ReferenceClock;
import dev.vmbus.os.Clocks;
import dev.vmbus.spi.IcPlugin;

/** The time sync device class; settings in {@link TimesyncSettings}. */
public final class TimesyncHandler extends IcPlugin<TimesyncSettings> {
    public TimesyncHandler() {
        super(DeviceClass.TIMESYNC, context -> TimesyncSettings.from(context.config()),
                (settings, context) -> new TimesyncDevice(settings, ReferenceClock.MONOTONIC_RAW, Clocks::setRealtime));
    }
}
