package dev.vmbus.device.timesync;

import dev.vmbus.bus.DeviceContext;
import dev.vmbus.bus.DeviceHandler;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.timesync.ReferenceClock;
import io.vertx.core.Deployable;

import java.util.List;
import java.util.UUID;

/** The time sync device class; settings in {@link TimesyncSettings}. */
public final class TimesyncHandler implements DeviceHandler {
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
    public void validate(DeviceContext context) {
        TimesyncSettings.from(context.config());
    }

    @Override
    public Deployable createVerticle(DeviceContext context) {
        return new TimesyncVerticle(TimesyncSettings.from(context.config()), ReferenceClock.MONOTONIC_RAW,
                new SystemClockStepper());
    }
}
