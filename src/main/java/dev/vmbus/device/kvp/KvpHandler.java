package dev.vmbus.device.kvp;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.spi.IcPlugin;

/** The KVP (Data Exchange) device class; settings in {@link KvpSettings}. */
public final class KvpHandler extends IcPlugin<KvpSettings> {
    public KvpHandler() {
        super(DeviceClass.KVP, context -> context.settings(KvpSettings.class, KvpSettings.defaults(context)), (settings, context) -> new KvpDevice(settings));
    }
}
