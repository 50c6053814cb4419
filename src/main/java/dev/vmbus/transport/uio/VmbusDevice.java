package dev.vmbus.transport.uio;

import dev.vmbus.channel.DeviceClass;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * A VMBus device as sysfs shows it, whichever driver owns it: the one record of a device read from
 * {@code bus/vmbus/devices} ({@link VmbusDevices} reads it). The running transport serves those on
 * {@code uio_hv_generic} ({@link UioDevice} adds their buffer maps); {@code vmbus doctor} and the binder look at
 * all of them. Immutable.
 *
 * @param instanceId   {@code device_id}
 * @param classId      {@code class_id}
 * @param dir          {@code <sysfsRoot>/bus/vmbus/devices/<instance>}
 * @param driver       the target of the {@code driver} symlink, empty when no driver owns the device
 * @param primaryRelid {@code id}
 * @param channels     the primary channel and the subchannels the kernel has created (primary first)
 * @param uio          the {@code uioN} node when bound to {@code uio_hv_generic} (the one entry of {@code uio/})
 * @param map0Size     {@code maps/map0/size} of that node when it has one: both rings of the primary
 */
public record VmbusDevice(UUID instanceId, UUID classId, Path dir, Optional<String> driver, int primaryRelid,
                          List<UioChannel> channels, Optional<String> uio, OptionalLong map0Size) {

    public VmbusDevice {
        channels = List.copyOf(channels);
    }

    public String className() {
        return DeviceClass.nameOf(classId);
    }

    public UioChannel primary() {
        return channels.stream().filter(c -> c.subchannel() == 0).findFirst()
                .orElse(new UioChannel(primaryRelid, 0, -1, dir.resolve("channels").resolve(Integer.toString(primaryRelid))));
    }

    public List<UioChannel> subchannels() {
        return channels.stream().filter(c -> c.subchannel() != 0).toList();
    }

    public Optional<UioChannel> channel(int relid) {
        return channels.stream().filter(c -> c.relid() == relid).findFirst();
    }

    /** Bound to {@code uio_hv_generic}. */
    public boolean onUio() {
        return driver.filter(VmbusDevices.UIO_DRIVER::equals).isPresent();
    }
}
