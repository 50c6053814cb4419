package dev.vmbus.device.kvp;

import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.channel.DeviceClass;
import dev.vmbus.ic.IcConstants;

import java.util.List;
import java.util.UUID;

/** The KVP (Data Exchange) device class; settings in {@link KvpSettings}. */
public final class KvpHandler implements DevicePlugin<KvpSettings> {
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
    public KvpSettings settings(DeviceContext context) {
        return KvpSettings.from(context);
    }

    @Override
    public Device device(KvpSettings settings, DeviceContext context) {
        return new KvpDevice(settings);
    }
}
