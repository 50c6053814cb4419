package dev.vmbus.spi;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.ic.IcConstants;

import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The declaration of an integration service as a {@link DevicePlugin}, in one constructor call: its
 * {@link DeviceClass} (which gives the name, the config key and the class GUID), how its settings are read, and how
 * its {@link Device} is made. The credit is Linux's for the util drivers ({@link IcConstants#IC_CREDIT}).
 * A subclass with a public no-argument constructor is what {@link java.util.ServiceLoader} finds:
 * <pre>{@code
 * public final class HeartbeatHandler extends IcPlugin<NoSettings> {
 *     public HeartbeatHandler() {
 *         super(DeviceClass.HEARTBEAT, NoSettings::of, (settings, context) -> new HeartbeatDevice());
 *     }
 * }
 * }</pre>
 *
 * <p>Threads: immutable; as any {@link DevicePlugin}.
 *
 * @param <S> the settings record, or {@link NoSettings}
 */
public abstract class IcPlugin<S> implements DevicePlugin<S> {
    private final DeviceClass deviceClass;
    private final Function<DeviceContext, S> settings;
    private final BiFunction<S, DeviceContext, Device> device;

    protected IcPlugin(DeviceClass deviceClass, Function<DeviceContext, S> settings,
                       BiFunction<S, DeviceContext, Device> device) {
        this.deviceClass = Objects.requireNonNull(deviceClass, "deviceClass");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.device = Objects.requireNonNull(device, "device");
    }

    @Override
    public final String name() {
        return deviceClass.name();
    }

    @Override
    public final List<UUID> classIds() {
        return List.of(deviceClass.classId());
    }

    @Override
    public final int credit() {
        return IcConstants.IC_CREDIT;
    }

    @Override
    public final S settings(DeviceContext context) {
        return settings.apply(context);
    }

    @Override
    public final Device device(S parsed, DeviceContext context) {
        return device.apply(parsed, context);
    }
}
