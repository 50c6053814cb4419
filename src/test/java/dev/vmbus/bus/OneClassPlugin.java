package dev.vmbus.bus;

import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.spi.DevicePlugin;
import dev.vmbus.spi.NoSettings;

import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

/** A plug-in of one class GUID and no settings whose device the test makes: what the bus tests deploy by hand. */
public record OneClassPlugin(String name, UUID classId, Supplier<Device> devices) implements DevicePlugin<NoSettings> {
    @Override
    public List<UUID> classIds() {
        return List.of(classId);
    }

    @Override
    public NoSettings settings(DeviceContext context) {
        return NoSettings.of(context);
    }

    @Override
    public Device device(NoSettings settings, DeviceContext context) {
        return devices.get();
    }
}
