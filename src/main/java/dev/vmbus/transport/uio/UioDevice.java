package dev.vmbus.transport.uio;

import dev.vmbus.transport.ChannelBuffer;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A VMBus device bound to {@code uio_hv_generic}, as found in sysfs.
 *
 * @param instanceId      {@code device_id}: which device
 * @param classId         {@code class_id}: which device class
 * @param dir             {@code <sysfsRoot>/bus/vmbus/devices/<instance>}
 * @param uio             the uio node name, e.g. {@code uio0} (from {@code <dir>/uio/})
 * @param primaryRelid    {@code id}: the primary channel's relid
 * @param map0Size        {@code /sys/class/uio/<uio>/maps/map0/size}: both rings of the primary channel
 * @param channels        the primary channel and every subchannel the kernel has created so far
 * @param buffers         uio maps 3 and 4 when the kernel made them (see {@link UioBufferMap}); shared by every channel
 * @param bufferProblems  why a map 3 or 4 that is there cannot be used (one line each), to report; empty normally
 */
public record UioDevice(UUID instanceId, UUID classId, Path dir, String uio, int primaryRelid, long map0Size,
                        List<UioChannel> channels, List<UioBufferMap> buffers, List<String> bufferProblems) {

    public UioDevice {
        channels = List.copyOf(channels);
        buffers = List.copyOf(buffers);
        bufferProblems = List.copyOf(bufferProblems);
    }

    /** The device's buffer of {@code kind}, if the kernel made one. */
    public Optional<UioBufferMap> buffer(ChannelBuffer.Kind kind) {
        return buffers.stream().filter(b -> b.name().kind() == kind).findFirst();
    }

    public Optional<UioChannel> channel(int relid) {
        return channels.stream().filter(c -> c.relid() == relid).findFirst();
    }

    /** The primary channel's ring size per direction (map 0 holds TX then RX, each half of it). */
    public int primaryRingSize() {
        return (int) (map0Size / 2);
    }
}
