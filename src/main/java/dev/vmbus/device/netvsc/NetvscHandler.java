package dev.vmbus.device.netvsc;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.spi.Device;
import dev.vmbus.spi.DeviceContext;
import dev.vmbus.spi.DeviceGauge;
import dev.vmbus.spi.DevicePlugin;

import java.util.List;
import java.util.UUID;

/**
 * The synthetic network adapter ({@code netvsc}, class f8615163-df3e-46c5-913f-f2d2f965ed0e): NVSP + RNDIS over
 * the channel's receive and send buffers, frames to and from {@code devices.netvsc.backend}. Off unless enabled:
 * on a real guest the NIC is usually the machine's network (docs/OPERATIONS.md).
 */
public final class NetvscHandler implements DevicePlugin<NetvscSettings> {
    /**
     * Packets of one channel with the device at once. Each transfer-page packet is completed as soon as its frames
     * are copied out, so this bounds only the event-bus hops in flight: enough for a ring full of 64 B frames.
     */
    public static final int CREDIT = 1024;

    /** Where frames go instead of {@code devices.netvsc.backend}, or null to follow the settings. */
    private final Nic.PortFactory ports;

    public NetvscHandler() {
        this(null);
    }

    /** A handler whose NICs use {@code ports} whatever the backend setting says (tests of the NIC's own paths). */
    NetvscHandler(Nic.PortFactory ports) {
        this.ports = ports;
    }

    @Override
    public String name() {
        return DeviceClass.NETVSC.name();
    }

    @Override
    public List<UUID> classIds() {
        return List.of(DeviceClass.NETVSC.classId());
    }

    @Override
    public boolean enabledByDefault() {
        return false;
    }

    @Override
    public NetvscSettings settings(DeviceContext context) {
        return context.settings(NetvscSettings.class, NetvscSettings.defaults());
    }

    @Override
    public Device device(NetvscSettings settings, DeviceContext context) {
        if (ports != null) {
            return new NetvscDevice(settings, ports);
        }
        return new NetvscDevice(settings, (vertx, name, mac, mtu, maxFrame, link) -> switch (settings.backend()) {
            case EVENTBUS -> new EventBusPort(vertx, name, maxFrame);
            case TAP -> TapBackend.open(vertx, name, mac, mtu, link);
        });
    }

    /** Link, MTU, send sections, frames, bytes and drops per NIC and queue ({@link NetvscGauges}). */
    @Override
    public List<DeviceGauge> gauges() {
        return NetvscGauges.all();
    }

    @Override
    public int credit() {
        return CREDIT;
    }
}
