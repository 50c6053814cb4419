package dev.vmbus.device.shutdown;

import dev.vmbus.bus.DeviceContext;
import dev.vmbus.bus.DeviceHandler;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.ic.IcConstants;
import io.vertx.core.Deployable;

import java.util.List;
import java.util.UUID;

/** The shutdown device class; settings in {@link ShutdownSettings}. */
public final class ShutdownHandler implements DeviceHandler {
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
    public void validate(DeviceContext context) {
        ShutdownSettings.from(context.config());
    }

    @Override
    public Deployable createVerticle(DeviceContext context) {
        return new ShutdownVerticle(ShutdownSettings.from(context.config()));
    }
}
