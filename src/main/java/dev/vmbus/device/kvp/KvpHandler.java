package dev.vmbus.device.kvp;

import dev.vmbus.bus.DeviceContext;
import dev.vmbus.bus.DeviceHandler;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.ic.IcConstants;
import io.vertx.core.Deployable;

import java.util.List;
import java.util.UUID;

/** The KVP (Data Exchange) device class; settings in {@link KvpSettings}. */
public final class KvpHandler implements DeviceHandler {
    @Override
    public String name() {
        return "kvp";
    }

    @Override
    public int credit() {
        return IcConstants.IC_CREDIT;
    }

    @Override
    public List<UUID> classIds() {
        return List.of(DeviceClass.KVP.classId());
    }

    @Override
    public void validate(DeviceContext context) {
        KvpSettings.from(context);
    }

    @Override
    public Deployable createVerticle(DeviceContext context) {
        return new KvpVerticle(KvpSettings.from(context));
    }
}
