package dev.vmbus.device.vss;

import dev.vmbus.bus.DeviceContext;
import dev.vmbus.bus.DeviceHandler;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.ic.IcConstants;
import io.vertx.core.Deployable;

import java.util.List;
import java.util.UUID;

/** The VSS (backup) device class; settings in {@link VssSettings}. */
public final class VssHandler implements DeviceHandler {
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
    public void validate(DeviceContext context) {
        VssSettings.from(context.config());
    }

    @Override
    public Deployable createVerticle(DeviceContext context) {
        return new VssVerticle(VssSettings.from(context.config()));
    }
}
