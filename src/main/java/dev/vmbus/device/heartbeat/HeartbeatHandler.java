package dev.vmbus.device.heartbeat;

import dev.vmbus.bus.DeviceContext;
import dev.vmbus.bus.DeviceHandler;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.ic.IcConstants;
import io.vertx.core.Deployable;

import java.util.List;
import java.util.UUID;

/** The heartbeat device class: {@code devices.heartbeat} has no settings besides {@code enabled}. */
public final class HeartbeatHandler implements DeviceHandler {
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
    public void validate(DeviceContext context) {
        for (String key : context.config().fieldNames()) {
            throw new IllegalArgumentException("unknown key '" + key + "' (heartbeat has only 'enabled')");
        }
    }

    @Override
    public Deployable createVerticle(DeviceContext context) {
        return new HeartbeatVerticle();
    }
}
